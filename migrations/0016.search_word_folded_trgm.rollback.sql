-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS search_word_folded_trgm_idx;
