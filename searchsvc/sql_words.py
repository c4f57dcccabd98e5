"""The word look-up of a search: what the index holds for the typed words, before the search.

One short statement per search text (and category), kept per worker for WORD_CACHE_TTL_S
(views._expanded): each word's literal and stemmed lexemes with how many listings hold them
(search_word), synonyms, near spellings of words that match nothing, the words a short prefix
stands for, the indexed words through which names may hold the text other than as its words (none:
no substring tier; a few: the substring tier is read through them), the spread of publish dates
(recency.py) and, with a category, the category's common words (migration 0019).
query.expansion_from_rows() reads its rows; query.tiers() and sql_search.search_page() use them.
Pure functions, but for look_up(), which runs the look-up and the phrase count through the fetch it
is given (the service's pools, or a benchmark's or test's connection) so that all of them expand a
search alike.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Sequence

from . import query
from .sql import Query, trigram_selective

# How one column's values spread, as ANALYZE saw them (`column`: a constant of this module): one text,
# parsed in Python only when a search needs it (SQL casts cost 0.3 ms; recency.column_spread):
# `{most common values};{their shares};{histogram bounds};null share`. Each column its own subquery:
# one for both (`attname IN (...)`) read the catalog 0.9 ms longer (ops/bench/EXPLAIN.md, session 13).
COLUMN_STATS_SQL = """(
           SELECT format('%s;%s;%s;%s', s.most_common_vals, s.most_common_freqs, s.histogram_bounds, s.null_frac)
           FROM pg_class AS c
           JOIN pg_namespace AS n ON n.oid = c.relnamespace
           JOIN pg_stats AS s ON s.schemaname = n.nspname AND s.tablename = c.relname
           WHERE c.oid = 'instrument'::regclass AND s.attname = '{column}' AND NOT s.inherited
       )"""

WORD_EXPANSION_SQL = """
WITH typed AS MATERIALIZED (
    SELECT t.ord, t.word, t.prefix, t.fuzzy,
           ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_simple', t.word)) ORDER BY positions[1]) AS literal,
           ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_es', t.word)) ORDER BY positions[1]) AS spanish,
           ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_en', t.word)) ORDER BY positions[1]) AS english
    FROM unnest($1::text[], $2::bool[], $3::bool[]) WITH ORDINALITY AS t(word, prefix, fuzzy, ord)
), known AS (
    -- how many listings hold the word literally, as typed or stemmed (the most of any form),
    -- as a prefix (when allowed), and in any of those ways or as a synonym: an upper bound.
    -- Every listing holding the literal word L also holds its stems and matches its prefix, so
    -- the union of those n sets is at most their sizes' sum minus (n - 1) x |L|.
    SELECT typed.*, syn.lexemes AS synonym_lexemes, lit.ndoc AS literal_ndoc,
           coalesce((SELECT max(w.ndoc) FROM search_word w WHERE w.word = ANY (literal || spanish || english)), 0) AS exact_ndoc,
           coalesce(pre.total, 0) AS prefix_ndoc, coalesce(pre.most, 0) AS prefix_most,
           greatest(
               stem.total + coalesce(pre.total, 0)
               - CASE WHEN cardinality(literal) = 1
                      THEN greatest(stem.sets + CASE WHEN pre.total > 0 THEN 1 ELSE 0 END - 1, 0) * lit.ndoc
                      ELSE 0 END,
               lit.ndoc
           ) + coalesce((SELECT sum(w.ndoc) FROM search_word w WHERE w.word = ANY (syn.lexemes)), 0) AS forgiving_ndoc,
           -- the words a prefix stands for, when they are few: GIN looks each up (and skips through
           -- another key such as the category), where `word:*` collects every match first
           CASE WHEN prefix AND cardinality(literal) > 0 THEN (
               SELECT CASE WHEN count(*) <= $7 THEN coalesce(array_agg(p.word ORDER BY p.word), '{}') END
               FROM (
                   SELECT w.word FROM search_word w
                   WHERE w.word >= literal[cardinality(literal)] AND w.word < literal[cardinality(literal)] || chr(1114111)
                   ORDER BY w.word LIMIT $7 + 1
               ) AS p
           ) END AS prefix_words
    FROM typed
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(w.ndoc), 0) AS ndoc FROM search_word w WHERE w.word = ANY (literal)
    ) AS lit
    CROSS JOIN LATERAL (
        SELECT count(*) AS sets, coalesce(sum(w.ndoc), 0) AS total FROM search_word w
        WHERE w.word = ANY (CASE WHEN cardinality(spanish || english) > 0 THEN spanish || english ELSE literal END)
    ) AS stem
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(DISTINCT lexeme), '{}') AS lexemes
        FROM search_synonym AS own JOIN search_synonym AS other USING (grp), unnest(other.lexemes) AS lexeme
        WHERE own.lexemes && (literal || spanish || english) AND other.term <> own.term
    ) AS syn
    LEFT JOIN LATERAL (
        SELECT sum(w.ndoc) AS total, max(w.ndoc) AS most FROM search_word w
        WHERE w.word >= literal[cardinality(literal)] AND w.word < literal[cardinality(literal)] || chr(1114111)
    ) AS pre ON prefix AND cardinality(literal) > 0
), category_key AS MATERIALIZED (
    SELECT searchsvc_category_key($10::text) AS key WHERE $10::text IS NOT NULL  -- once, not once a word
), category_words AS MATERIALIZED (
    -- with a category ($10): its words that ANALYZE found most common in migration 0019's index
    -- (each with its share of all listings), and the least share of any word it lists for any
    -- category: the others are held by fewer listings than that. (The statistics row named by
    -- constants: a generic plan joining pg_stats by the index's oid read every catalog row, 11 ms.)
    SELECT array_agg(substr(m.key, length(k.key) + 1)) FILTER (WHERE starts_with(m.key, k.key)) AS words,
           array_agg(m.share) FILTER (WHERE starts_with(m.key, k.key)) AS shares,
           min(m.share) FILTER (WHERE m.key IS NOT NULL) AS floor
    FROM category_key AS k
    JOIN pg_class AS c ON c.oid = 'instrument'::regclass
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_stats AS s ON s.schemaname = n.nspname AND s.tablename = 'instrument_category_words_prices_idx'
                      AND s.attname = 'searchsvc_category_words' AND NOT s.inherited
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(key, share)
)
SELECT k.word, k.literal, k.spanish, k.english, k.literal_ndoc, k.prefix_ndoc, k.forgiving_ndoc, k.prefix_words,
       (SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'instrument'::regclass) AS listings,
       -- how the publish dates spread, as ANALYZE saw them: where a tier's newest rows start (recency)
       """ + COLUMN_STATS_SQL.format(column="publish") + """ AS publish_stats,
       -- how the prices spread: how many listings a price range holds (prices.py)
       """ + COLUMN_STATS_SQL.format(column="price") + """ AS price_stats,
       (
           SELECT coalesce(json_agg(json_build_object(
               'literal', ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_simple', s.term)) ORDER BY positions[1]),
               'spanish', ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_es', s.term)) ORDER BY positions[1]),
               'english', ARRAY(SELECT lexeme FROM unnest(to_tsvector('searchsvc_en', s.term)) ORDER BY positions[1])
           ) ORDER BY s.term), '[]')::text
           FROM (
               SELECT DISTINCT other.term
               FROM search_synonym AS own JOIN search_synonym AS other USING (grp)
               WHERE own.lexemes && (k.literal || k.spanish || k.english) AND other.term <> own.term
           ) AS s
       ) AS synonyms,
       coalesce(near.words, '{}') AS fuzzy, coalesce(near.ndoc, 0) AS fuzzy_ndoc,
       cw.words AS category_words, cw.shares AS category_shares, cw.floor AS category_floor,
       -- the typed text ($8: its words, letters and digits, when they are all it holds between
       -- single spaces; else NULL) inside names other than as those words: the indexed words where
       -- a name could hold it so (the first typed word ending a longer word, the last beginning one
       -- (one word: either), unless that word is the last one and a prefix ($9, as the tiers match
       -- it); words whose folded form does so), at most $11. None: every name containing the text
       -- matches the tiers' words and the substring tier is empty; a few: the substring-only matches
       -- hold one of them, and their index finds them (sql.holding_words); NULL: not plain words.
       -- (The patterns written out, not read from a CTE: as values of a subquery the planner
       -- scanned search_word for them, 1-2 ms each, not its trigram indexes.)
       CASE WHEN $8::text[] IS NOT NULL AND NOT EXISTS (SELECT FROM typed t WHERE t.literal <> ARRAY[searchsvc_fold(t.word)])
       THEN ARRAY(
           SELECT h.word FROM (
               (SELECT w.word FROM search_word w
                WHERE w.word LIKE '%' || searchsvc_fold(($8::text[])[1]) || CASE WHEN cardinality($8::text[]) = 1 THEN '%' ELSE '' END
                  AND w.word <> searchsvc_fold(($8::text[])[1])
                  AND NOT (cardinality($8::text[]) = 1 AND $9::bool AND w.word LIKE searchsvc_fold(($8::text[])[1]) || '%')
                LIMIT $11)
               UNION
               (SELECT w.word FROM search_word w
                WHERE w.word <> searchsvc_fold(w.word)
                  AND searchsvc_fold(w.word) LIKE '%' || searchsvc_fold(($8::text[])[1]) || CASE WHEN cardinality($8::text[]) = 1 THEN '%' ELSE '' END
                LIMIT $11)
               UNION
               (SELECT w.word FROM search_word w
                WHERE cardinality($8::text[]) > 1 AND NOT $9::bool
                  AND w.word LIKE searchsvc_fold(($8::text[])[cardinality($8::text[])]) || '%'
                  AND w.word <> searchsvc_fold(($8::text[])[cardinality($8::text[])])
                LIMIT $11)
               UNION
               (SELECT w.word FROM search_word w
                WHERE cardinality($8::text[]) > 1 AND NOT $9::bool
                  AND w.word <> searchsvc_fold(w.word)
                  AND searchsvc_fold(w.word) LIKE searchsvc_fold(($8::text[])[cardinality($8::text[])]) || '%'
                LIMIT $11)
           ) AS h ORDER BY h.word LIMIT $11
       ) END AS substring_words
FROM known k
CROSS JOIN category_words AS cw
-- near spellings: for a word that finds nothing, or far less than a similar word does (a typo
-- that a few sellers made too: `fendr`), never for a word that is common itself
LEFT JOIN LATERAL (
    SELECT array_agg(c.word ORDER BY c.rank) AS words, sum(c.ndoc) AS ndoc
    FROM (
        SELECT w.word, w.ndoc, row_number() OVER (ORDER BY similarity(w.word, k.literal[1]) DESC, w.ndoc DESC, w.word) AS rank
        FROM search_word w
        WHERE w.word % k.literal[1] AND similarity(w.word, k.literal[1]) >= $4
          AND w.ndoc > $6 * greatest(k.exact_ndoc, k.prefix_most)
        ORDER BY rank
        LIMIT $5
    ) AS c
) AS near ON k.fuzzy AND cardinality(k.literal) = 1
ORDER BY k.ord
"""


def word_expansion(text: query.SearchText, name: str | None = None, category: str | None = None) -> Query:
    """Look up the typed words' lexemes, synonyms and (for words matching nothing) near spellings;
    when `name` (the search text) is plain words, the indexed words through which names may hold it
    otherwise than as those words, the first maybe ending a word and the last beginning one it is a
    prefix of (Expansion.substring_words);
    with a `category`, its most common words (Expansion.category)."""
    words = text.all_words
    plain = {w: i for i, w in enumerate(text.words)}
    prefix = [w in plain and text.prefix_allowed(plain[w]) for w in words]
    fuzzy = [w in plain and len(w) >= query.FUZZY_MIN_LENGTH for w in words]
    # words of letters and digits only (each one token) between single spaces, 3+ in a row somewhere
    # so the trigram index serves the substring
    parts = tuple(name.split(" ")) if name is not None else ()
    plain_words = bool(parts) and all(p.isalnum() for p in parts) and trigram_selective(name) and text.words == parts
    return Query(WORD_EXPANSION_SQL, (
        list(words), prefix, fuzzy, query.FUZZY_MIN_SIMILARITY, query.FUZZY_MAX_WORDS, query.FUZZY_MORE_COMMON,
        query.PREFIX_MAX_WORDS, list(parts) if plain_words else None, plain_words and prefix[len(parts) - 1], category,
        query.SUBSTRING_WORDS_MAX + 1,
    ), generic_plan=True)


# Two typed words: how many listings' names hold them as a phrase, from the suggestions (migration
# 0005, refreshed after every load; NULL: none of the spellings is there, fewer than its minimum).
# Only how a search is read depends on it (sql_search._recent_spans, sql_search._span_first), so it is a statement
# of its own, cut like an extra (views._phrase_rows): the page never waits on the suggestions table.
PHRASE_LISTINGS_SQL = """
SELECT max(listings) FROM search_suggestion
WHERE folded = ANY (ARRAY(SELECT searchsvc_fold(phrase) FROM unnest($1::text[]) AS phrase)) AND words = 2
"""


def phrase_listings(text: query.SearchText, expansion: query.Expansion) -> Query | None:
    """The count of names holding the two typed words as a phrase, a word that matches nothing replaced
    by each of its near spellings (`fendr stratocastr`: the most of `fend stratocast`, `fender
    stratocaster`...); None: not two plain words."""
    if len(text.words) != 2 or text.phrases or text.excluded:
        return None
    spellings = []
    for word in text.words:
        lexemes = expansion.get(word)
        spellings.append(lexemes.fuzzy if lexemes.fuzzy and lexemes.literal_ndoc == 0 else (word,))
    return Query(PHRASE_LISTINGS_SQL, ([f"{first} {second}" for first in spellings[0] for second in spellings[1]],))


async def look_up(
    text: query.SearchText, lookup: Query, fetch: Callable[[Query], Awaitable[Sequence]],
    fetch_count: Callable[[Query], Awaitable[Sequence | None]] | None = None,
) -> query.Expansion:
    """A search's words expanded, as the service does it (views._expanded): `lookup` (word_expansion's
    statement for `text`), then, for two words, their phrase count. `fetch` runs a statement and returns
    its rows; `fetch_count` runs the count (default `fetch`) and may return None when it was cut."""
    expansion = query.expansion_from_rows(await fetch(lookup))
    phrase = phrase_listings(text, expansion)
    return expansion if phrase is None else query.with_phrase_listings(expansion, await (fetch_count or fetch)(phrase))
