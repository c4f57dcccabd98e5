-- depends: 0003.search_synonym
-- transactional: false
-- Rank order within a search tier (sql.TIER_SQL): newest first, then id. This index lets a tier
-- with many matches (`guitarra`: a quarter of all listings) read its newest rows in order and stop
-- after a window of rows, instead of ranking every match. searchsvc_name_words() orders the rows
-- inside each window (short titles first).

CREATE OR REPLACE FUNCTION searchsvc_name_words(text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT length($1) - length(replace($1, ' ', '')) + 1 $$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_publish_rank_idx
    ON instrument (publish DESC NULLS LAST, id);
