-- depends: 0016.search_word_folded_trgm
-- transactional: false
-- Rank order within a search tier (sql.TIER_ORDER): newest first, then, within a day, the ids in
-- blocks of 16 shuffled (searchsvc_shuffle) instead of the ids in order. Ids follow insertion and
-- scrapers load one marketplace after another, so in id order a day's first listings are one
-- shop's: at 5M listings the newest 5,000 were all one guitar shop's. A tier's probe of the newest
-- listings then judged a keyboard search by that shop alone, found almost none, and read every match
-- through the GIN index (`piano digital` 236 ms, `roland juno` 89 ms). Shuffled blocks give the
-- probe listings from every shop of the day; within a block the ids stay in order, so a day loaded in
-- one go is still read a heap page or two at a time. Multiplying the block number by an odd constant
-- modulo 2^27 is a bijection: distinct ids get distinct keys, a total order, stable pages.
-- Replaces 0004's index (publish DESC NULLS LAST, id).

CREATE OR REPLACE FUNCTION searchsvc_shuffle(integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (((($1 >> 4)::bigint * 2654435761) % 134217728) * 16 + ($1 & 15))::integer $$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_publish_shuffle_idx
    ON instrument (publish DESC NULLS LAST, searchsvc_shuffle(id));

DROP INDEX CONCURRENTLY IF EXISTS instrument_publish_rank_idx;
