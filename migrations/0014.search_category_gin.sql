-- depends: 0013.change_notify
-- transactional: false
-- Searches within a category: the two GIN indexes of name search (0001: words, trigrams) get the
-- folded category as a first column (btree_gin), so that `minilogue` in Teclados or `fender` in
-- Teclados is one GIN scan ANDing a rare word with the category inside the index, instead of a
-- BitmapAnd of the word's bitmap with a bitmap of the whole category (91,000 rows at 1M: 4.5 ms
-- per tier). A search without a category uses the second column alone, as it used the old index.
-- Figures: ops/bench/EXPLAIN.md, "Category in the GIN indexes".
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_search_vector_idx
    ON instrument USING gin (searchsvc_fold(category), search_vector);
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_name_trgm_idx
    ON instrument USING gin (searchsvc_fold(category), searchsvc_fold(name) gin_trgm_ops);
DROP INDEX CONCURRENTLY IF EXISTS instrument_search_vector_idx;
DROP INDEX CONCURRENTLY IF EXISTS instrument_name_trgm_idx;
