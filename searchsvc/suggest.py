"""Search-box completions (GET /suggest) and "did you mean": parameters, SQL and response models.

Both read `search_suggestion` (migration 0005): the frequent words and two-word phrases of the
live listings, accent- and case-folded, with how many live listings contain each; it is rebuilt by
searchsvc_refresh_suggestions() after every load, so a keystroke costs one or two index probes.
No I/O here: views.py runs the queries through db.py.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, Field, ValidationError, field_validator

from .params import ParamError, SearchParams, clean_search_text, last_value
from .sql import Query, list_count

Q_MAX_LENGTH = 100
NEAR_MIN_LENGTH = 3  # trigrams say little about one or two letters: those only complete
# pg_trgm's `%`: how close a typo must be to a known word (set on every connection: db.connection_settings)
SIMILARITY_THRESHOLD = "0.3"
CACHE_MAX_AGE_S = 300  # completions change only when the table is refreshed (after each load)
DID_YOU_MEAN_BELOW = 3  # a search with fewer results than this offers a correction
# did-you-mean prefers the frequent words: candidates are ordered by distance - FREQUENCY_WEIGHT *
# ln(listings), so a word 10x more frequent wins unless it is 0.35 less similar (a typo a few sellers
# also made, "fendr" in 2 titles, loses to "fender" in 100,000)
FREQUENCY_WEIGHT = 0.15

_NOT_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    """Lower-case words of `text`, split as the suggestion table splits names (letters and digits)."""
    return [word for word in _NOT_WORD.split(text.lower()) if word]


class SuggestParams(BaseModel):
    """What the search box has typed so far."""

    model_config = {"frozen": True}

    q: str = Field(min_length=1, max_length=Q_MAX_LENGTH, description="The text typed so far (the last word may be unfinished)")
    limit: int = Field(10, ge=1, le=50, description="Most suggestions to return")

    @field_validator("q", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_search_text(value) if isinstance(value, str) else value

    @property
    def typed(self) -> str:
        """The typed words as the table stores them (before accent folding, which SQL does)."""
        return " ".join(words_of(self.q))


def parse(query: Mapping[str, str]) -> SuggestParams:
    """SuggestParams from the query string; ParamError naming `q` or `limit`."""
    raw = {key: value for key in ("q", "limit") if (value := last_value(query, key)) is not None}
    if "q" not in raw:
        raise ParamError([{"field": "q", "message": "is required"}])
    try:
        return SuggestParams.model_validate(raw)
    except ValidationError as exc:
        raise ParamError([
            {"field": str(error["loc"][0]), "message": error["msg"]} for error in exc.errors(include_url=False)
        ]) from None


# Rebuilds search_suggestion from the live listings; returns how many words and phrases it kept.
REFRESH_SQL = "SELECT searchsvc_refresh_suggestions()"


# $1 the typed words, $2 how many. Text-pattern (byte) order makes `folded ~>=~ p AND folded ~<~ (p||max)`
# exactly "starts with p", and the btree answers it with a plain range scan, even in a generic plan.
COMPLETIONS_SQL = r"""
SELECT phrase, listings
FROM search_suggestion
WHERE folded ~>=~ searchsvc_fold($1) AND folded ~<~ (searchsvc_fold($1) || U&'\+10FFFF')
ORDER BY listings DESC, folded
LIMIT $2
"""

# Asked only when nothing completes the typed text (a typo, not a word being typed): the closest
# words (one word typed) or phrases (two typed), through the partial trigram index of that kind.
# What the typed text starts with ("fender" for "fendr st") is no help.
NEAR_MATCHES_SQL = r"""
SELECT phrase, listings
FROM search_suggestion
WHERE words = {words} AND folded % searchsvc_fold($1)
    AND NOT starts_with(folded, searchsvc_fold($1)) AND NOT starts_with(searchsvc_fold($1), folded)
ORDER BY folded <-> searchsvc_fold($1), listings DESC, folded
LIMIT $2
"""


def completions(params: SuggestParams) -> Query:
    """The words and phrases starting with the typed text, most listings first."""
    return Query(COMPLETIONS_SQL, (params.typed, params.limit))


def near_matches(params: SuggestParams, found: int) -> Query | None:
    """Close spellings when nothing completes the text (a typo); None after completions or for short text."""
    typed = params.typed
    words = len(typed.split())
    if found > 0 or len(typed) < NEAR_MIN_LENGTH or words > 2:
        return None
    return Query(NEAR_MATCHES_SQL.format(words=words), (typed, params.limit - found))


class Suggestion(BaseModel):
    text: str = Field(description="The completed word or phrase, as most listings spell it")
    count: int = Field(description="Live listings containing it (as of the last refresh)")


class SuggestionList(BaseModel):
    query: str
    suggestions: list[Suggestion]

    @classmethod
    def build(cls, params: SuggestParams, rows: Sequence[Mapping[str, Any]]) -> "SuggestionList":
        return cls(
            query=params.q,
            suggestions=[Suggestion(text=row["phrase"], count=row["listings"]) for row in rows],
        )


# $1 the typed words in order. Each word of 3+ letters that is not a stop word or a number is
# replaced by the known word closest to it, frequent words preferred; the trigram index finds
# the candidates (`%`), `<->` orders them.
DID_YOU_MEAN_SQL = """
SELECT typed.word, searchsvc_fold(typed.word) AS folded, best.phrase AS correction, best.folded AS correction_folded
FROM unnest($1::text[]) WITH ORDINALITY AS typed(word, position)
LEFT JOIN LATERAL (
    SELECT s.phrase, s.folded
    FROM search_suggestion s
    WHERE s.words = 1 AND s.folded % searchsvc_fold(typed.word)
    ORDER BY (s.folded <-> searchsvc_fold(typed.word)) - {weight} * ln(s.listings), s.folded
    LIMIT 1
) AS best ON length(typed.word) >= {min_length}
    AND typed.word !~ '^[0-9]+$'
    AND to_tsvector('searchsvc_es', typed.word) <> ''::tsvector
    AND to_tsvector('searchsvc_en', typed.word) <> ''::tsvector
ORDER BY typed.position
""".format(weight=FREQUENCY_WEIGHT, min_length=NEAR_MIN_LENGTH)


def typed_words(name: str) -> list[str]:
    """The words of a search to correct: excluded words (`-word`) and quotes left out."""
    return [word for token in name.split() if not token.startswith("-") for word in words_of(token)]


def corrections(name: str) -> Query | None:
    """The per-word correction query for a search text, or None when it has no words."""
    words = typed_words(name)
    # it plans the same whatever the words (0.15 ms a search instead of 0.35): sql, "Generic plans"
    return Query(DID_YOU_MEAN_SQL, (words,), generic_plan=True) if words else None


def corrected_text(name: str, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """`name` with each misspelt word replaced (quotes, `-word` and the rest kept), or None when none was."""
    changes = {
        row["word"]: row["correction"] for row in rows if row["correction_folded"] not in (None, row["folded"])
    }
    if not changes:
        return None

    def correct(match: re.Match) -> str:
        return changes.get(match.group(0).lower(), match.group(0))

    return " ".join(token if token.startswith("-") else _WORD.sub(correct, token) for token in name.split())


def corrected_search(params: SearchParams, name: str) -> SearchParams:
    """The same search (filters kept) with text `name`, without the typed text's word look-up."""
    return type(params).model_validate({**params.model_dump(), "name": name})  # re-derive from the text


def probe(corrected: SearchParams) -> Query:
    """How many rows (up to DID_YOU_MEAN_BELOW) the corrected search finds, counted as its page would
    be (pass it with its own word look-up, views._expanded): within a category, words that are rare
    there are read from the category's keys. Without the look-up the count walked the category's
    listings testing each one: `fendr stratocastr` in Bajos, whose correction finds none there, took
    0.2-0.6 s at 1M (cut at FACET_TIMEOUT_MS on every request), 0.7 ms with it (EXPLAIN.md, session 12)."""
    return list_count(corrected, DID_YOU_MEAN_BELOW)
