-- transactional: false
-- btree_gin stays installed: other objects may use it, and it costs nothing unused.
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_search_vector_idx ON instrument USING gin (search_vector);
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_name_trgm_idx ON instrument USING gin (searchsvc_fold(name) gin_trgm_ops);
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_search_vector_idx;
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_name_trgm_idx;
