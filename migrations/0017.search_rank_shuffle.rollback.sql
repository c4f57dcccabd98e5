-- transactional: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_publish_rank_idx
    ON instrument (publish DESC NULLS LAST, id);
DROP INDEX CONCURRENTLY IF EXISTS instrument_publish_shuffle_idx;
DROP FUNCTION IF EXISTS searchsvc_shuffle(integer);
