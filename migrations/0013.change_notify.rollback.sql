DROP TRIGGER IF EXISTS search_suggestion_notify_changed ON search_suggestion;
DROP TRIGGER IF EXISTS search_synonym_notify_changed ON search_synonym;
DROP TRIGGER IF EXISTS instrument_notify_changed ON instrument;
DROP FUNCTION IF EXISTS searchsvc_notify_changed();
