-- depends: 0020.search_price_blocks
-- transactional: false
-- The trigram index of the folded names (0014) gets the price blocks of 0020 as a third column. A
-- search whose text can be a substring of other words reads its names through it, ORed with its
-- words (sql.words_or_substring): with a price range the planner ANDed the price index's bitmap of
-- the whole range to that OR (`moog` in Sintetizadores 1000-3000 at 1M: 252,000 listings of bitmap,
-- 66 ms, then 11,794 listings rechecked); now each arm of the OR asks its own index for the range's
-- blocks (102 -> 54 ms of page; ops/bench/EXPLAIN.md, session 14). Searches without a price range
-- read the first two columns as before. 39 s to build at 1M.

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_name_prices_trgm_idx
    ON instrument USING gin (searchsvc_fold(category), searchsvc_fold(name) gin_trgm_ops, searchsvc_price_blocks(price));
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_name_trgm_idx;

ANALYZE instrument;
