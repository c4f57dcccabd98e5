-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS instrument_live_id_idx;
