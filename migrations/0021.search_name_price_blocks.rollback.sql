-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_name_trgm_idx
    ON instrument USING gin (searchsvc_fold(category), searchsvc_fold(name) gin_trgm_ops);
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_name_prices_trgm_idx;
