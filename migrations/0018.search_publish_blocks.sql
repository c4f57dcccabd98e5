-- depends: 0017.search_rank_shuffle
-- transactional: false
-- A tier read whole through the GIN index (one that search_word counts as too rare for the probe of
-- the newest listings, sql._small_tier_rows) fetched every match from the table to keep its newest
-- 60: `st` at 1M read 3,130 rows, 6-9 ms. The GIN index gets a third column: the publish date's
-- aligned blocks of 1, 8, 64, 512, 4,096 and 32,768 days, one integer each (block size level x 65536
-- + days since 2000-01-01 divided by the block size; the days clamped to [0, 65535], which keeps
-- their order). A search then asks the same index scan for the tier's matches published since a day
-- D (`blocks && ` the blocks covering [D, 65535], searchsvc/recency.py) and reads those rows only
-- (ops/bench/EXPLAIN.md, session 8). The first two columns serve every other search as 0014's index
-- did. Integers, not tsvector tokens: the index builds in 12 s at 1M instead of 25 (0014's: 10).
-- Replaces 0014's (category, search_vector) index.

CREATE OR REPLACE FUNCTION searchsvc_publish_blocks(publish date) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN publish IS NULL THEN '{}'::integer[] ELSE ARRAY[
        0 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 0),
        1 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 3),
        2 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 6),
        3 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 9),
        4 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 12),
        5 * 65536 + (least(greatest(publish - DATE '2000-01-01', 0), 65535) >> 15)
    ] END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_search_blocks_idx
    ON instrument USING gin (searchsvc_fold(category), search_vector, searchsvc_publish_blocks(publish));

DROP INDEX CONCURRENTLY IF EXISTS instrument_category_search_vector_idx;
