-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_words_idx;
DROP FUNCTION IF EXISTS searchsvc_category_query(text, tsquery);
DROP FUNCTION IF EXISTS searchsvc_category_words(text, tsvector);
DROP FUNCTION IF EXISTS searchsvc_category_key(text);
