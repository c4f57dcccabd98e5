-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS instrument_facet_idx;
