-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_search_vector_idx
    ON instrument USING gin (searchsvc_fold(category), search_vector);
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_search_blocks_idx;
DROP FUNCTION IF EXISTS searchsvc_publish_blocks(date);
