-- depends: 0001.instrument
-- Every lexeme of instrument.search_vector (literal words and their Spanish/English stems) with
-- the number of listings holding it. Search reads it to decide, per typed word, whether the word
-- matches something as typed (or as a prefix) and, only when it does not, which indexed words are
-- close to it (trigram similarity): the typo expansion. Kept exact by statement triggers on
-- instrument, so every writer (loader, seeder, tests) keeps it current; searchsvc_refresh_search_words()
-- rebuilds it from scratch should it ever drift. (/suggest has its own table, search_suggestion.)

CREATE TABLE search_word (
    word text COLLATE "C" PRIMARY KEY,  -- C collation: the primary key also serves `word LIKE 'abc%'`
    ndoc integer NOT NULL CHECK (ndoc > 0)  -- listings (live or expired) whose search_vector holds it
);
CREATE INDEX search_word_trgm_idx ON search_word USING gin (word gin_trgm_ops);

-- Adds +1 per lexeme of each new row and -1 per lexeme of each old row; drops words that reach 0.
-- Counts are aggregated per lexeme before they touch search_word (a bulk load of 1M rows is one
-- statement: one aggregate, 20,000 upserts); an UPDATE counts only rows whose name changed.
-- Lexemes are applied in sorted order so concurrent loads lock words in the same order.
CREATE FUNCTION searchsvc_count_search_words() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_word AS w (word, ndoc)
        SELECT lexeme, count(*) FROM new_rows, unnest(tsvector_to_array(new_rows.search_vector)) AS lexeme
        GROUP BY lexeme ORDER BY lexeme
        ON CONFLICT (word) DO UPDATE SET ndoc = w.ndoc + EXCLUDED.ndoc;
        RETURN NULL;
    END IF;
    IF to_regclass('pg_temp.search_word_delta') IS NULL THEN
        CREATE TEMP TABLE search_word_delta (word text COLLATE "C", delta integer) ON COMMIT DROP;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO search_word_delta
        SELECT lexeme, sum(delta)
        FROM (
            SELECT lexeme, 1 AS delta
            FROM new_rows n JOIN old_rows o ON o.id = n.id, unnest(tsvector_to_array(n.search_vector)) AS lexeme
            WHERE n.search_vector <> o.search_vector
            UNION ALL
            SELECT lexeme, -1
            FROM old_rows o JOIN new_rows n ON n.id = o.id, unnest(tsvector_to_array(o.search_vector)) AS lexeme
            WHERE n.search_vector <> o.search_vector
        ) AS changes
        GROUP BY lexeme HAVING sum(delta) <> 0;
    ELSE
        INSERT INTO search_word_delta
        SELECT lexeme, -count(*) FROM old_rows, unnest(tsvector_to_array(old_rows.search_vector)) AS lexeme
        GROUP BY lexeme;
    END IF;
    INSERT INTO search_word AS w (word, ndoc)
    SELECT word, delta FROM search_word_delta WHERE delta > 0 ORDER BY word
    ON CONFLICT (word) DO UPDATE SET ndoc = w.ndoc + EXCLUDED.ndoc;
    -- words some listings lost: removed when no listing holds them any more, else counted down
    DELETE FROM search_word w USING search_word_delta d
    WHERE w.word = d.word AND d.delta < 0 AND w.ndoc + d.delta <= 0;
    UPDATE search_word w SET ndoc = w.ndoc + d.delta
    FROM (SELECT word, delta FROM search_word_delta WHERE delta < 0 ORDER BY word) AS d
    WHERE w.word = d.word;
    TRUNCATE search_word_delta;
    RETURN NULL;
END
$$;

CREATE TRIGGER instrument_search_word_insert AFTER INSERT ON instrument
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_search_words();
CREATE TRIGGER instrument_search_word_update AFTER UPDATE ON instrument
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_search_words();
CREATE TRIGGER instrument_search_word_delete AFTER DELETE ON instrument
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION searchsvc_count_search_words();

-- Rebuild from the listings (repair only: the triggers keep the table exact). Returns the word count.
CREATE FUNCTION searchsvc_refresh_search_words() RETURNS integer
    LANGUAGE sql
    AS $$
    DELETE FROM search_word;
    INSERT INTO search_word (word, ndoc)
    SELECT lexeme, count(*) FROM instrument, unnest(tsvector_to_array(search_vector)) AS lexeme GROUP BY lexeme;
    SELECT count(*)::integer FROM search_word;
$$;

DO $$ BEGIN PERFORM searchsvc_refresh_search_words(); END $$;
