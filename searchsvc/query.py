"""What the user typed, understood: words, quoted phrases, exclusions, and the tsqueries of each rank tier.

Pure functions, no I/O. `parse()` splits the search text; the database then tells which lexemes
each word has (literal, Spanish and English stems, synonyms, near spellings: see
`sql_words.word_expansion`), and `tiers()` turns both into tsquery texts, one per rank tier:

    phrase   the plain words, literal and adjacent, in order (last one a prefix)  + phrases
    literal  every word literal (accents and case folded)                          + phrases
    forgiving every word literal, stemmed (es/en), a prefix, or a synonym          + phrases
    typo     as forgiving, plus indexed words close to a word that matched nothing + phrases

Each tier's rows exclude the earlier tiers' rows, so a listing appears once, in its best tier.
Lexemes reach PostgreSQL as tsquery text with every lexeme quoted: no user text is ever parsed
as a tsquery operator.
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Callable

from .prices import PriceStats
from .prices import stats_from_text as price_stats_from_text
from .recency import PublishStats, stats_from_text
from .validation import fold  # the one Python twin of SQL's searchsvc_fold()

MAX_TERMS = 16  # words beyond this are ignored: each one adds a condition every match must meet
PREFIX_MIN_LENGTH = 3  # a word before the last one also matches as a prefix from this length
LAST_PREFIX_MIN_LENGTH = 2  # the last word (still being typed) from this length: 1 letter would match half the index
FUZZY_MIN_LENGTH = 4  # shorter words have too few trigrams to guess a typo reliably
FUZZY_MIN_SIMILARITY = 0.4  # trigram similarity: fendr~fender 0.44, yamha~yamaha 0.44, guitara~guitarra 0.7
FUZZY_MORE_COMMON = 10  # a word found as typed gets near spellings only if they are 10x as common
FUZZY_MAX_WORDS = 3  # near spellings tried per word, most similar (then most frequent) first
# a prefix standing for at most this many indexed words is searched as those words (`'minilogue' |
# 'minilogue-xd'`), else as `minilogue:*`: the same rows, but a GIN index skips through another key
# (the category) for plain words, while a prefix collects all its matches first (ops/bench/EXPLAIN.md)
PREFIX_MAX_WORDS = 30
# A search's substring tier is read through the indexed words holding its text (Expansion.substring_words)
# when there are at most this many: `moog` has one (`minimoog`), `strat` two (`estratocaster` and its
# stem), and each is one more key of the GIN read; more are looked for through the trigram index.
SUBSTRING_WORDS_MAX = 16

_ENDS_WITH_WORD = re.compile(r"[^\W_]$")
# A hyphen between a word and a number is the number's sign to PostgreSQL's parser, which indexes
# `DS-1` as 'ds' and '-1', `MS-20` as 'ms' and '-20' (20,060 listings hold '-1' at 1M): such a
# number is the word `-1`, else `boss ds-1` matched no listing by its words, only as a substring.
# A hyphen after a space (or first) excludes the word after it.
_TOKEN = re.compile(r'"|(?<!\S)-(?=[^\W_]|")|(?<=\S)-[0-9]+(?![^\W_])|[^\W_]+')


@dataclass(frozen=True)
class SearchText:
    """The search box text split into what must match, what must not, and what is a phrase."""

    words: tuple[str, ...] = ()  # plain words in the order typed (NFC, case kept)
    phrases: tuple[tuple[str, ...], ...] = ()  # quoted phrases of 2+ words
    excluded: tuple[str, ...] = ()  # words after a leading "-" (an excluded "phrase" as words joined by spaces)
    last_is_prefix: bool = True  # the text ends with a plain word the user may still be typing

    @property
    def all_words(self) -> tuple[str, ...]:
        """Every word whose lexemes the database must look up, without repeats."""
        excluded = tuple(w for e in self.excluded for w in e.split(" "))
        return tuple(dict.fromkeys(self.words + tuple(w for p in self.phrases for w in p) + excluded))

    def prefix_allowed(self, position: int) -> bool:
        """May plain word number `position` match as the start of a longer word?"""
        word = self.words[position].removeprefix("-")  # a signed number (`ds-1`) is as long as its digits
        if position == len(self.words) - 1 and self.last_is_prefix:
            return len(word) >= LAST_PREFIX_MIN_LENGTH
        # a finished number is exact: "100" must not find 1000 (a price, a model: D-18 vs D-180)
        return len(word) >= PREFIX_MIN_LENGTH and not word.isdigit()


@functools.lru_cache(maxsize=1024)  # a request parses its text in several places (look-up, page, highlights)
def parse(text: str) -> SearchText:
    """Split search text: `"les paul"` is a phrase, `-squier` excludes; anything else is plain words.

    Operators and punctuation are separators, never syntax errors. A quote without its pair is
    ignored. When only exclusions are left, they are read as plain words (`-fender` alone).
    """
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    in_quote, negate = False, False
    phrase: list[str] = []
    last_kind = ""
    tokens = _TOKEN.findall(text)
    open_quote = tokens.count('"') // 2 * 2  # quotes with a closing pair
    quotes_seen = 0
    for token in tokens:
        if token == '"':
            quotes_seen += 1
            if quotes_seen > open_quote:
                continue  # an unpaired quote: ignore it
            if in_quote:
                _add_phrase(phrase, negate, words, phrases, excluded)
                phrase, negate, last_kind = [], False, "phrase"
            in_quote = not in_quote
            continue
        if token == "-":
            if not in_quote:
                negate = True
            continue
        if in_quote:
            phrase.append(token)
        elif negate:
            excluded.append(token)
            negate, last_kind = False, "excluded"
        else:
            words.append(token)
            last_kind = "word"
    if not words and not phrases and excluded:
        words, excluded, last_kind = excluded, [], "word"
    words = words[:MAX_TERMS]
    phrases = phrases[: max(0, MAX_TERMS - len(words))]
    return SearchText(
        words=tuple(words), phrases=tuple(phrases), excluded=tuple(excluded[:MAX_TERMS]),
        # "the user is still typing it" only when the text ends with that word ("100%" does not)
        last_is_prefix=last_kind == "word" and bool(_ENDS_WITH_WORD.search(text)),
    )


def _add_phrase(phrase, negate, words, phrases, excluded) -> None:
    if not phrase:
        return
    if negate:
        excluded.append(" ".join(phrase))
    elif len(phrase) == 1:
        words.append(phrase[0])
    else:
        phrases.append(tuple(phrase))


@dataclass(frozen=True)
class WordLexemes:
    """What the index holds for one typed word (filled from the database by sql_words.word_expansion)."""

    literal: tuple[str, ...] = ()  # folded words (weight A of search_vector)
    spanish: tuple[str, ...] = ()  # Spanish stems (weight B)
    english: tuple[str, ...] = ()  # English stems (weight C)
    synonyms: tuple["WordLexemes", ...] = ()  # the lexemes of each synonym
    fuzzy: tuple[str, ...] = ()  # indexed words close to this one, when it matched nothing
    # listings holding it (upper bounds, from search_word): literally; as a prefix; in any
    # forgiving way (literal, stems, prefix, synonyms); as one of the near spellings.
    # None: unknown (not looked up), taken as "many".
    literal_ndoc: int | None = None
    prefix_ndoc: int | None = None
    forgiving_ndoc: int | None = None
    fuzzy_ndoc: int | None = None
    prefix_words: tuple[str, ...] | None = None  # the indexed words it is a prefix of, when few (else None)


@dataclass(frozen=True)
class CategoryWords:
    """How many listings of one category hold a word, as ANALYZE estimated (sql_words.word_expansion)."""

    shares: dict[str, float]  # its most common words: the share of all listings holding each, there
    floor: float  # any other word: less than this share
    listings: int

    def at_most(self, lexeme: str) -> int:
        return math.ceil(self.shares.get(lexeme, self.floor) * self.listings)

    def listed(self, lexeme: str) -> int:
        """Listings of the category holding `lexeme` when ANALYZE lists it among the common words; else 0."""
        return round(self.shares.get(lexeme, 0.0) * self.listings)


@dataclass(frozen=True, eq=False)
class Expansion:
    """Lexemes per typed word (keyed by the word as typed)."""

    words: dict[str, WordLexemes] = field(default_factory=dict)
    listings: int | None = None  # rows in the table (the planner's figure), to judge the counts against
    # the search text is plain words, and no other indexed word holds them where a name could (the
    # first ending one, the last beginning one unless it is a prefix; one word: anywhere): every name
    # containing the text matches the tiers, so the substring tier is empty and neither the page nor
    # the counts need the trigram index (sql_words.word_expansion)
    substring_in_words: bool = False
    publish: PublishStats | None = None  # how the publish dates spread (None: not analyzed yet)
    prices: PriceStats | None = None  # how the prices spread (None: not analyzed yet)
    category: CategoryWords | None = None  # the searched category's common words (None: none searched, not analyzed)
    # listings whose names hold the two typed words (a word matching nothing: its nearest spelling) as a
    # phrase (sql_words.phrase_listings; None: unknown)
    phrase_listings: int | None = None
    # the indexed words that do hold plain words where a name could (at most SUBSTRING_WORDS_MAX;
    # None: more, or not plain words; empty: substring_in_words): a name holding the text that
    # matches no tier holds one of them, so their index finds the substring tier (sql.holding_words)
    substring_words: tuple[str, ...] | None = None

    def get(self, word: str) -> WordLexemes:
        found = self.words.get(word)
        return found if found is not None else WordLexemes(literal=(fold(word),))


def expansion_from_rows(rows) -> Expansion:
    """An Expansion from the rows of sql_words.word_expansion (synonyms arrive as JSON text)."""
    words = {}
    listings = publish = prices = category = holding = None
    for r in rows:
        # (the same on every row: the table's size and statistics)
        listings, holding, publish, prices = r["listings"], r["substring_words"], r["publish_stats"], r["price_stats"]
        if category is None and r["category_floor"] is not None and listings:
            category = CategoryWords(dict(zip(r["category_words"] or (), r["category_shares"] or ())), r["category_floor"], listings)
        synonyms = json.loads(r["synonyms"]) if isinstance(r["synonyms"], str) else r["synonyms"]
        words[r["word"]] = WordLexemes(
            literal=tuple(r["literal"]), spanish=tuple(r["spanish"]), english=tuple(r["english"]),
            synonyms=tuple(
                WordLexemes(tuple(s["literal"]), tuple(s["spanish"]), tuple(s["english"])) for s in synonyms
            ),
            fuzzy=tuple(r["fuzzy"]),
            prefix_words=None if r["prefix_words"] is None else tuple(r["prefix_words"]),
            literal_ndoc=r["literal_ndoc"], prefix_ndoc=r["prefix_ndoc"],
            forgiving_ndoc=r["forgiving_ndoc"], fuzzy_ndoc=r["fuzzy_ndoc"],
        )
    substring_words = tuple(holding) if holding is not None and len(holding) <= SUBSTRING_WORDS_MAX else None
    return Expansion(
        words, listings, substring_words == (), stats_from_text(publish), price_stats_from_text(prices), category,
        substring_words=substring_words,
    )


def with_phrase_listings(expansion: Expansion, phrase_rows) -> Expansion:
    """`expansion` with the count of sql_words.phrase_listings (`phrase_rows`; None: cut, or no row: unknown)."""
    return replace(expansion, phrase_listings=phrase_rows[0][0] if phrase_rows else None)


@dataclass(frozen=True)
class Tiers:
    """tsquery texts, best tier first; each tier's text already excludes the earlier tiers."""

    queries: tuple[str, ...]  # one per tier, in rank order
    any_match: str  # matches the rows of every tier (for counts and facets)
    # per tier, at most how many listings it can hold (None: unknown); the SQL reads a small tier
    # through the GIN index instead of scanning the rank order for it
    bounds: tuple[int | None, ...] = ()
    any_bound: int | None = None  # at most how many listings match any tier (None: unknown)
    # with two words or more, the first tier is the typed words as one phrase; these are the later
    # tiers' texts without its exclusion, for when it is looked for among the newest listings only
    # (sql_search.RECENT_PHRASE_SQL): its older matches then rank in the later tiers
    after_recent_phrase: tuple[str, ...] | None = None
    # per tier, True when it holds no listing for sure: a phrase or literal tier whose bound is 0 (their
    # bounds add up search_word's exact counts of the typed words' own lexemes; the later tiers' bounds
    # assume things of stems and are not proof); sql_search.search_page leaves such tiers out
    empty: tuple[bool, ...] = ()

    def __len__(self) -> int:
        return len(self.queries)


def quote(lexeme: str) -> str:
    """A lexeme as a quoted tsquery operand: no character of it can act as an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _any(options: list[str]) -> str:
    unique = list(dict.fromkeys(o for o in options if o))
    if not unique:
        return ""
    return unique[0] if len(unique) == 1 else "(" + " | ".join(unique) + ")"


def _all(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    return " & ".join(parts)


def _literal(lexemes: WordLexemes, prefix: bool = False, weighted: bool = False) -> str:
    """Literal words of one typed word (several when the parser split it, e.g. `ds-1`), adjacent.

    Weights (A: literal words) only in phrases, which read positions from the rows anyway: a
    weight makes the GIN index re-read every candidate row, while a bare lexeme is answered by
    the index alone. A bare literal also matches the same lexeme as an English stem
    (`guitarra` finds "guitarras"): close enough to literal.
    """
    if not lexemes.literal:
        return ""
    weight = "A" if weighted else ""
    operands = [quote(lex) + (":" + weight if weight else "") for lex in lexemes.literal]
    if prefix and lexemes.prefix_words is None:
        operands[-1] = quote(lexemes.literal[-1]) + ":*" + weight
    elif prefix:  # the words it stands for (none: only the literal, which then matches nothing either)
        words = lexemes.prefix_words or lexemes.literal[-1:]
        alternatives = [quote(word) + (":" + weight if weight else "") for word in words]
        operands[-1] = alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"
    return operands[0] if len(operands) == 1 else "(" + " <-> ".join(operands) + ")"


def _stemmed(lexemes: WordLexemes) -> list[str]:
    """The word's own literal, Spanish and English forms (whatever it has)."""
    options = [_literal(lexemes)]
    for stems in (lexemes.spanish, lexemes.english):
        if len(stems) == 1:
            options.append(quote(stems[0]))
        elif stems:
            options.append("(" + " <-> ".join(quote(s) for s in stems) + ")")
    return options


def _forgiving(lexemes: WordLexemes, prefix: bool) -> list[str]:
    options = _stemmed(lexemes)
    if prefix and lexemes.literal:
        options.append(_literal(lexemes, prefix=True))
    for synonym in lexemes.synonyms:
        options += _stemmed(synonym)
    return options


def _phrase(words: tuple[str, ...], expansion: Expansion, prefix_last: bool = False) -> str:
    operands = []
    for i, word in enumerate(words):
        operand = _literal(expansion.get(word), prefix=prefix_last and i == len(words) - 1, weighted=True)
        if operand:
            operands.append(operand)
    if not operands:
        return ""
    return operands[0] if len(operands) == 1 else "(" + " <-> ".join(operands) + ")"


def tiers(text: SearchText, expansion: Expansion) -> Tiers | None:
    """The tsquery of each rank tier for `text`; None when no word has a lexeme (only stop signs, emoji...)."""
    phrases = [_phrase(p, expansion) for p in text.phrases]
    exclusions = []
    for word in text.excluded:
        options = []
        for part in word.split(" "):
            options.append(_any(_stemmed(expansion.get(part))))
        if " " in word:
            exclusions.append(_phrase(tuple(word.split(" ")), expansion))
        else:
            exclusions.append(_any(options))
    exclude = _all(["!" + e for e in exclusions if e])

    literal_words, forgiving_words, typo_words = [], [], []
    has_fuzzy = False
    bound_phrase, bound_literal, bound_forgiving, bound_typo = [], [], [], []
    for i, word in enumerate(text.words):
        lexemes = expansion.get(word)
        if not lexemes.literal and not lexemes.spanish and not lexemes.english and not lexemes.fuzzy:
            continue  # a word the parser drops (lone symbols): no condition
        forgiving = _forgiving(lexemes, text.prefix_allowed(i))
        literal_words.append(_literal(lexemes))
        forgiving_words.append(_any(forgiving))
        typo_words.append(_any(forgiving + [quote(f) for f in lexemes.fuzzy]))
        has_fuzzy = has_fuzzy or bool(lexemes.fuzzy)
        if lexemes.forgiving_ndoc is not None:
            last = i == len(text.words) - 1 and text.last_is_prefix
            bound_literal.append(lexemes.literal_ndoc)
            bound_phrase.append(lexemes.prefix_ndoc if last and text.prefix_allowed(i) else lexemes.literal_ndoc)
            bound_forgiving.append(lexemes.forgiving_ndoc)
            bound_typo.append(lexemes.forgiving_ndoc + (lexemes.fuzzy_ndoc or 0))
        else:
            bound_phrase.append(None)
            bound_literal.append(None)
            bound_forgiving.append(None)
            bound_typo.append(None)
    for phrase in text.phrases:
        ndocs = [expansion.get(w).literal_ndoc for w in phrase]
        for bounds in (bound_phrase, bound_literal, bound_forgiving, bound_typo):
            bounds.extend(ndocs)

    if not forgiving_words and not [p for p in phrases if p]:
        return None
    any_bound = _least(bound_typo)  # every tier is within the broadest one
    if len(bound_literal) == 1 and not text.phrases and bound_literal[0] is not None:
        # one word: each tier holds only what the earlier ones did not (the literal count is exact)
        literal, forgiving, typo = bound_literal[0], bound_forgiving[0], bound_typo[0]
        bound_forgiving, bound_typo = [max(forgiving - literal, 0)], [max(typo - forgiving, 0)]
    # (text, bound, whether a bound of 0 proves it empty)
    candidates: list[tuple[str, int | None, bool]] = []
    if len(text.words) >= 2:
        whole = _phrase(text.words, expansion, prefix_last=text.prefix_allowed(len(text.words) - 1))
        candidates.append((_all([whole] + phrases), _least(bound_phrase), True))
    candidates.append((_all(literal_words + phrases), _least(bound_literal), True))
    candidates.append((_all(forgiving_words + phrases), _least(bound_forgiving), False))
    if has_fuzzy:
        candidates.append((_all(typo_words + phrases), _least(bound_typo), False))

    queries: list[str] = []
    bounds: list[int | None] = []
    empty: list[bool] = []
    earlier: list[str] = []
    for candidate, bound, exact in candidates:
        if not candidate or candidate in earlier:
            continue
        not_earlier = ["!(" + e + ")" for e in earlier]
        queries.append(_all(["(" + candidate + ")"] + not_earlier + ([exclude] if exclude else [])))
        bounds.append(bound)
        empty.append(exact and bound == 0)
        earlier.append(candidate)
    after_recent_phrase = None
    if len(text.words) >= 2 and len(earlier) >= 2:
        after_recent_phrase = tuple(
            _all(["(" + candidate + ")"] + ["!(" + e + ")" for e in earlier[1:i]] + ([exclude] if exclude else []))
            for i, candidate in enumerate(earlier) if i > 0
        )
    # the tiers nest (phrase and literal rows are forgiving matches, forgiving ones typo matches):
    # the broadest one alone matches them all, and the planner estimates it far better than an OR
    any_match = _all(["(" + earlier[-1] + ")"] + ([exclude] if exclude else []))
    return Tiers(tuple(queries), any_match, tuple(bounds), any_bound, after_recent_phrase, tuple(empty))


def _least(bounds: list[int | None]) -> int | None:
    """Rows matching every word hold each of them: at most the rarest word's count (None: unknown)."""
    if not bounds or any(b is None for b in bounds):
        return None
    return min(bounds)


# splits a name into what lies between words (even places, maybe empty) and words (letters and
# digits, never anything to HTML-escape: odd places)
_WORDS = re.compile(r"([^\W_]+)")


def highlighter(text: SearchText, expansion: Expansion) -> Callable[[str], str]:
    """A function giving a name HTML-escaped, each word the query matched wrapped in <mark>...</mark>.

    A name word is marked when its folded form equals, starts with (prefix words), or shares
    the stem of a query word, synonym or typo correction. The query's words are gathered once for
    all the names of a page (gathering them per name, and folding every word through NFKD, took
    2.3 ms a page of 50; then 0.75), and each distinct piece of the page's names is marked once
    (the names of a page repeat their words: 0.7-0.9 -> 0.33-0.49 ms a page of 50).
    """
    exact: set[str] = set()
    prefixes: set[str] = set()
    for i, word in enumerate(text.words):
        lexemes = expansion.get(word)
        exact.update(lexemes.literal)
        exact.update(lexemes.fuzzy)
        for synonym in lexemes.synonyms:
            exact.update(synonym.literal)
            prefixes.update(s for s in synonym.spanish + synonym.english if len(s) >= 3)
        prefixes.update(s for s in lexemes.spanish + lexemes.english if len(s) >= 3)
        if text.prefix_allowed(i):
            prefixes.update(lexemes.literal)
    for phrase in text.phrases:
        for word in phrase:
            exact.update(expansion.get(word).literal)
    # a signed number (`-1`, as the index reads `DS-1`) is marked on its digits: a name's pieces are
    # its letters and digits
    exact.update([lexeme[1:] for lexeme in exact if lexeme.startswith("-")])
    prefixes.update([lexeme[1:] for lexeme in prefixes if lexeme.startswith("-")])
    starts = tuple(prefixes)

    marked: dict[str, str] = {"": "", " ": " "}

    def mark(piece: str) -> str:
        if not piece[:1].isalnum():  # what lies between words (isalnum: the characters of [^\W_])
            value = html.escape(piece)
        else:
            folded = piece.lower() if piece.isascii() else fold(piece)  # the same for ASCII, 10x faster
            value = f"<mark>{piece}</mark>" if folded in exact or folded.startswith(starts) else piece
        marked[piece] = value
        return value

    def highlight(name: str) -> str:
        known = marked.get  # (an empty piece, where a name starts or ends with a word, is its own answer)
        return "".join([known(piece) or (piece and mark(piece)) for piece in _WORDS.split(name)])

    return highlight
