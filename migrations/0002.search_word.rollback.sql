DROP TRIGGER IF EXISTS instrument_search_word_insert ON instrument;
DROP TRIGGER IF EXISTS instrument_search_word_update ON instrument;
DROP TRIGGER IF EXISTS instrument_search_word_delete ON instrument;
DROP FUNCTION IF EXISTS searchsvc_refresh_search_words();
DROP FUNCTION IF EXISTS searchsvc_count_search_words();
DROP TABLE IF EXISTS search_word;
