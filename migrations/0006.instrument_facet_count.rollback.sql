DROP TRIGGER IF EXISTS instrument_facet_count_insert ON instrument;
DROP TRIGGER IF EXISTS instrument_facet_count_update ON instrument;
DROP TRIGGER IF EXISTS instrument_facet_count_delete ON instrument;
DROP FUNCTION IF EXISTS searchsvc_count_facets();
DROP TABLE IF EXISTS instrument_facet_count;
