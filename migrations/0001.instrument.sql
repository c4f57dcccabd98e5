-- The listings table, the text-search configurations and the indexes search needs.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Immutable accent- and case-folding, usable in indexes and generated columns
-- (unaccent() itself is only STABLE because its dictionary could change).
CREATE FUNCTION searchsvc_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

-- Three configurations over the same words: literal (only folded), Spanish stems, English stems.
CREATE TEXT SEARCH CONFIGURATION searchsvc_simple (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION searchsvc_simple
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH public.unaccent, simple;

CREATE TEXT SEARCH CONFIGURATION searchsvc_es (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION searchsvc_es
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH public.unaccent, spanish_stem;

CREATE TEXT SEARCH CONFIGURATION searchsvc_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION searchsvc_en
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH public.unaccent, english_stem;

CREATE TABLE instrument (
    id serial PRIMARY KEY,
    name varchar(500) NOT NULL,
    price numeric(10, 2),
    link varchar(1000) NOT NULL UNIQUE,
    website varchar(500) NOT NULL,
    image varchar(1000),
    location varchar(500),
    category varchar(200),
    expiration date,
    publish date,
    -- weight A: literal folded words, B: Spanish stems, C: English stems
    search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('searchsvc_simple'::regconfig, name), 'A')
        || setweight(to_tsvector('searchsvc_es'::regconfig, name), 'B')
        || setweight(to_tsvector('searchsvc_en'::regconfig, name), 'C')
    ) STORED
);

CREATE INDEX instrument_search_vector_idx ON instrument USING gin (search_vector);
CREATE INDEX instrument_name_trgm_idx ON instrument USING gin (searchsvc_fold(name) gin_trgm_ops);
CREATE INDEX instrument_category_idx ON instrument (searchsvc_fold(category));
CREATE INDEX instrument_website_idx ON instrument (lower(website));
CREATE INDEX instrument_price_idx ON instrument (price);
CREATE INDEX instrument_publish_idx ON instrument (publish);
