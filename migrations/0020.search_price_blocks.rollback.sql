-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_search_blocks_idx
    ON instrument USING gin (searchsvc_fold(category), search_vector, searchsvc_publish_blocks(publish));
DROP INDEX CONCURRENTLY IF EXISTS instrument_search_prices_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_words_idx
    ON instrument USING gin (searchsvc_category_words(category, search_vector));
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_words_prices_idx;
DROP FUNCTION IF EXISTS searchsvc_price_blocks(numeric);
ANALYZE instrument;
