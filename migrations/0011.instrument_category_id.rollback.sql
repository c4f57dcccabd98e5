-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS instrument_category_id_idx;
