-- depends: 0001.instrument
-- Completions for the search box and "did you mean": frequent words and two-word phrases
-- of the live listings' names, with how many live listings contain each. Precomputed by
-- searchsvc_refresh_suggestions() (after every load) so that a keystroke costs one index probe.

CREATE TABLE search_suggestion (
    folded text PRIMARY KEY,          -- searchsvc_fold(phrase): what the typed text is compared with
    phrase text NOT NULL,             -- shown to the user: the most common lower-case spelling
    words smallint NOT NULL CHECK (words IN (1, 2)),
    listings integer NOT NULL CHECK (listings > 0)  -- live listings whose name contains it
);

-- Prefixes: folded ~>=~ $1 AND folded ~<~ $1 || U&'\+10FFFF' (byte order, no collation).
CREATE INDEX search_suggestion_prefix_idx ON search_suggestion (folded text_pattern_ops);
-- Near matches (typos): folded % $1, ordered by folded <-> $1; words and phrases apart, as a
-- typed word is compared with words only (phrases would share its common trigrams by thousands).
-- fastupdate off: the refresh's bulk insert would otherwise sit in the pending list, which
-- every look-up then scans in full until a vacuum merges it.
CREATE INDEX search_suggestion_word_trgm_idx ON search_suggestion USING gin (folded gin_trgm_ops)
    WITH (fastupdate = off) WHERE words = 1;
CREATE INDEX search_suggestion_phrase_trgm_idx ON search_suggestion USING gin (folded gin_trgm_ops)
    WITH (fastupdate = off) WHERE words = 2;

-- Replace the table's content from the live listings. Words are runs of letters and digits of
-- the lower-cased name; stop words (Spanish or English) and bare numbers are no suggestions,
-- and a phrase never starts or ends with a function word ("de", "con", "the"). Readers keep
-- seeing the old rows until the refresh commits (DELETE + INSERT, no lock that blocks them).
CREATE FUNCTION searchsvc_refresh_suggestions(min_word_listings integer DEFAULT 2,
                                              min_phrase_listings integer DEFAULT 3)
    RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    refreshed integer;
    -- the function words of titles; a shorter list than the full stop-word lists, which hold
    -- words that start real names ("les paul", "mi", "solo")
    phrase_stop_words text[] := ARRAY[
        'a', 'al', 'and', 'con', 'de', 'del', 'e', 'el', 'en', 'for', 'in', 'la', 'las', 'lo', 'los', 'mas',
        'muy', 'o', 'of', 'on', 'or', 'para', 'por', 'sin', 'the', 'to', 'u', 'un', 'una', 'w', 'with', 'y'];
BEGIN
    PERFORM set_config('work_mem', '256MB', true);  -- hash aggregates over every word of every title
    IF to_regclass('pg_temp.suggestion_title') IS NOT NULL THEN  -- a second refresh in one transaction
        DROP TABLE pg_temp.suggestion_title, pg_temp.suggestion_spelling;
    END IF;

    -- (a table, not a subquery: a subquery's array would be split again at every subscript)
    CREATE TEMP TABLE suggestion_title ON COMMIT DROP AS
    SELECT array_remove(regexp_split_to_array(lower(name), '[^[:alnum:]]+'), '') AS tokens
    FROM instrument
    WHERE expiration IS NULL OR expiration >= CURRENT_DATE;

    -- listings per spelling: each title counts once per word or adjacent pair it holds
    CREATE TEMP TABLE suggestion_spelling ON COMMIT DROP AS
    SELECT t.phrase, min(t.words) AS words, count(*) AS listings
    FROM suggestion_title AS title
    CROSS JOIN LATERAL (
        SELECT DISTINCT w.phrase, w.words
        FROM (
            SELECT title.tokens[i] AS phrase, 1 AS words FROM generate_subscripts(title.tokens, 1) AS i
            UNION ALL
            SELECT title.tokens[i] || ' ' || title.tokens[i + 1], 2
            FROM generate_series(1, cardinality(title.tokens) - 1) AS i
        ) AS w
    ) AS t
    GROUP BY t.phrase;

    DELETE FROM search_suggestion;

    -- spellings that fold alike are one suggestion, shown as most listings spell it
    -- (a title holding two spellings of one word counts twice: rare enough not to matter)
    INSERT INTO search_suggestion (folded, phrase, words, listings)
    SELECT folded, (array_agg(phrase ORDER BY listings DESC, phrase))[1], min(words), sum(listings)
    FROM (SELECT searchsvc_fold(phrase) AS folded, phrase, words, listings FROM suggestion_spelling) AS s
    GROUP BY folded
    HAVING sum(listings) >= CASE WHEN min(words) = 1 THEN min_word_listings ELSE min_phrase_listings END;

    -- drop what nobody types: stop words, numbers, one-letter words, phrases around those
    DELETE FROM search_suggestion s
    WHERE (s.words = 1 AND (length(s.folded) < 2 OR s.folded ~ '^[0-9]+$'
                            OR to_tsvector('searchsvc_es', s.folded) = ''::tsvector
                            OR to_tsvector('searchsvc_en', s.folded) = ''::tsvector))
       OR (s.words = 2 AND (split_part(s.folded, ' ', 1) = ANY (phrase_stop_words)
                            OR split_part(s.folded, ' ', 2) = ANY (phrase_stop_words)
                            OR length(split_part(s.folded, ' ', 1)) = 1
                            OR length(split_part(s.folded, ' ', 2)) = 1));

    SELECT count(*) INTO refreshed FROM search_suggestion;
    ANALYZE search_suggestion;
    RETURN refreshed;
END
$$;
