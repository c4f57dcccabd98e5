-- depends: 0002.search_word
-- Words that mean the same across Spanish and English titles. A search word matches the listings
-- of every other term of its group (ranked just below literal matches). To add synonyms, write a
-- new migration inserting rows, e.g.
--     INSERT INTO search_synonym (grp, term) VALUES ('pickup', 'pastilla'), ('pickup', 'pickup');
-- No code change and no restart: the next search reads the table. Terms are single words; case,
-- accents, plurals and other Spanish/English inflections of a term already match through `lexemes`.

CREATE TABLE search_synonym (
    grp text NOT NULL,  -- the group's name (any word of it)
    term text NOT NULL CHECK (term ~ '^[^[:space:]]+$'),
    -- what the term is in the index: literal folded word, Spanish stem, English stem
    lexemes text[] GENERATED ALWAYS AS (tsvector_to_array(
        to_tsvector('searchsvc_simple'::regconfig, term)
        || to_tsvector('searchsvc_es'::regconfig, term)
        || to_tsvector('searchsvc_en'::regconfig, term))) STORED,
    PRIMARY KEY (grp, term)
);
CREATE INDEX search_synonym_lexemes_idx ON search_synonym USING gin (lexemes);

INSERT INTO search_synonym (grp, term)
SELECT grp, term
FROM (VALUES
    ('guitar', 'guitarra guitar'),
    ('bass', 'bajo bass'),
    ('drums', 'batería drums drumkit'),
    ('keyboard', 'teclado keyboard'),
    ('synth', 'sintetizador synth synthesizer synthesiser'),
    ('electric', 'eléctrica eléctrico electric'),
    ('acoustic', 'acústica acústico acoustic'),
    ('electroacoustic', 'electroacústica electroacústico electroacoustic'),
    ('classical', 'clásica clásico classical'),
    ('amp', 'amplificador amp amplifier'),
    ('head', 'cabezal head'),
    ('cabinet', 'pantalla cabinet cab'),
    ('speaker', 'altavoz speaker'),
    ('microphone', 'micrófono microphone mic'),
    ('effects', 'efectos effects fx'),
    ('multieffects', 'multiefectos multieffects'),
    ('tuner', 'afinador tuner'),
    ('case', 'estuche case'),
    ('bag', 'funda gigbag bag'),
    ('strings', 'cuerdas strings'),
    ('headphones', 'auriculares headphones'),
    ('controller', 'controlador controller'),
    ('interface', 'interfaz interface'),
    ('mixer', 'mezclador mixer'),
    ('organ', 'órgano organ'),
    ('cymbal', 'plato cymbal'),
    ('violin', 'violín violin'),
    ('ukulele', 'ukelele ukulele'),
    ('saxophone', 'saxofón saxophone sax'),
    ('trumpet', 'trompeta trumpet'),
    ('harmonica', 'armónica harmonica'),
    ('left', 'zurdo zurda lefty'),
    ('used', 'usado usada used'),
    ('new', 'nuevo nueva new')
) AS groups(grp, terms), unnest(string_to_array(terms, ' ')) AS term;
