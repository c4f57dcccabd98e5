-- depends: 0011.instrument_category_id
-- Every statement that changes what reads answer (listings, synonyms, suggestions) sends a
-- notification on the channel `searchsvc_changed` when its transaction commits (several in one
-- transaction arrive as one). Each service worker LISTENs there and forgets its cached responses,
-- so a cached page never outlives the data it was read from (searchsvc/cache.py).
CREATE FUNCTION searchsvc_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('searchsvc_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER instrument_notify_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON instrument
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_notify_changed();
CREATE TRIGGER search_synonym_notify_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_synonym
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_notify_changed();
CREATE TRIGGER search_suggestion_notify_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_suggestion
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_notify_changed();
