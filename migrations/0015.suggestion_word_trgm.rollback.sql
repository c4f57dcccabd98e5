-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS search_suggestion_word_trgm_idx;
