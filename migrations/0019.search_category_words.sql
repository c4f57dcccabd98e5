-- depends: 0018.search_publish_blocks
-- transactional: false
-- A search with a category read the words' GIN index with the category as one more key (0014,
-- 0018): the scan leapfrogs between the category's posting list (91,000 listings for Teclados at
-- 1M) and each word's, so a word common in the table and absent from the category (`fender` in
-- Teclados: 117,000 and 0) walked both lists to find nothing: 10-16 ms a tier, 2.4 ms for
-- `minilogue` in Teclados, 5x that at 5M. This index keys each listing's lexemes by its folded
-- category (`8:teclados:fender`: the category's length first, so no category and lexeme can
-- spell another pair's key), so a word within a category is one key of its own, its posting list
-- exactly the listings of that category holding it (0.04-0.1 ms for the same searches;
-- ops/bench/EXPLAIN.md, session 9). searchsvc_category_query() keys a tsquery of plain words the
-- same way. The statistics ANALYZE keeps on the index expression count each word per category.
--
-- Both functions are single SQL expressions the planner inlines: 4 us a row to build at 1M
-- (a SELECT over unnest() took 18 us, `integer || text` (STABLE) kept it from inlining: 20 us).
-- A lexeme holds no space, so every ` '` of the text form starts a lexeme.

CREATE OR REPLACE FUNCTION searchsvc_category_key(category text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT length(searchsvc_fold(category))::text || ':' || searchsvc_fold(category) || ':' $$;

CREATE OR REPLACE FUNCTION searchsvc_category_words(category text, vector tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT replace(' ' || strip(vector)::text, ' ''',
                   ' ''' || replace(replace(searchsvc_category_key(category), '\', '\\'), '''', ''''''))::tsvector
$$;

-- A tsquery of plain lexemes (no phrase operator, weight or negation: the service passes the
-- indexable part of a tier, sql.py) with every lexeme keyed by the category. Every quoted operand
-- of the text form is a lexeme; the key is escaped for a quoted operand, then for the replacement.
CREATE OR REPLACE FUNCTION searchsvc_category_query(category text, query tsquery) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT regexp_replace(query::text, '''((?:[^'']|'''')*)''',
                          '''' || replace(replace(replace(searchsvc_category_key(category), '\', '\\'), '''', ''''''), '\', '\\')
                          || '\1''', 'g')::tsquery
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS instrument_category_words_idx
    ON instrument USING gin (searchsvc_category_words(category, search_vector));
