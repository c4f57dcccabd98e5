-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS instrument_publish_rank_idx;
DROP FUNCTION IF EXISTS searchsvc_name_words(text);
