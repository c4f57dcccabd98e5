-- depends: 0015.suggestion_word_trgm
-- transactional: false
-- A one-word search also finds listings whose name merely contains the typed text (the old
-- backend's guarantee: the substring tier, sql.SUBSTRING_ONLY_MATCH, read through the trigram
-- index of every name: 3.9 ms for `minilogue` in Teclados at 1M listings). The word look-up proves
-- that tier empty when no indexed word contains the text except the word itself and the words it
-- is a prefix of (search_word_trgm_idx), and no word the folding would change does (a lexeme keeps
-- its accents when the parser reads it as something other than a plain word, e.g. `Año2020`:
-- this partial index holds those, folded; none at all in the generated data).
CREATE INDEX CONCURRENTLY IF NOT EXISTS search_word_folded_trgm_idx
    ON search_word USING gin (searchsvc_fold(word) gin_trgm_ops) WHERE word <> searchsvc_fold(word);
