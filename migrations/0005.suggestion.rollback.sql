DROP FUNCTION IF EXISTS searchsvc_refresh_suggestions(integer, integer);
DROP TABLE IF EXISTS search_suggestion;
