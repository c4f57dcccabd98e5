-- depends: 0019.search_category_words
-- transactional: false
-- A search with a price range read its words' GIN index and then either ANDed the price index's
-- bitmap of the whole range (0.14 us a listing in it: `pearl` over 500 at 1M, 75 ms for 536,453
-- listings) or read every listing of its words to test the price (2.4 us each: `fender stratocaster`
-- within 100-500 read 22,597 listings to keep 1,420, 63 ms). Both GIN indexes of the words get one
-- more column: the price's aligned blocks of 10, 100, 1,000 and 10,000 (one integer each: block
-- size level x 65536 + whole euros divided by the block size, the euros clamped to [0, 99999]).
-- A range is the few blocks that cover it (searchsvc/prices.py, price_blocks: 100-500 is 100-199,
-- ..., 400-499 and 500-509), asked in the same index scan as the words, which then yields the
-- listings of the words in those blocks only; the exact bounds are tested on the listings read
-- (those of the edge blocks). `fender stratocaster` in 100-500: its page 73 -> 21 ms (its second
-- tier's read 63 -> 14; ops/bench/EXPLAIN.md, session 14). Replaces 0018's and 0019's indexes
-- (same columns first: every other search reads them as before), then ANALYZE: the service reads
-- the category words' counts from the new index's statistics.

CREATE OR REPLACE FUNCTION searchsvc_price_blocks(price numeric) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN price IS NULL THEN '{}'::integer[] ELSE ARRAY[
        1 * 65536 + least(greatest(floor(price), 0), 99999)::integer / 10,
        2 * 65536 + least(greatest(floor(price), 0), 99999)::integer / 100,
        3 * 65536 + least(greatest(floor(price), 0), 99999)::integer / 1000,
        4 * 65536 + least(greatest(floor(price), 0), 99999)::integer / 10000
    ] END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_search_prices_idx
    ON instrument USING gin (
        searchsvc_fold(category), search_vector, searchsvc_publish_blocks(publish), searchsvc_price_blocks(price)
    );
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_search_blocks_idx;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_words_prices_idx
    ON instrument USING gin (searchsvc_category_words(category, search_vector), searchsvc_price_blocks(price));
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_words_idx;

ANALYZE instrument;
