"""The indexable part of a tsquery text: its plain words, for an index that keeps no positions.

Migration 0019's index keys each listing's lexemes by its category and keeps no positions or
weights, so it answers a tsquery of plain lexemes, `&`, `|` and prefixes only. `indexable(text)`
gives, for a tier's tsquery text (query.tiers), such a query matching every listing the tier
matches (a phrase `a <-> b` becomes `a & b`, `'a':A` becomes `'a'`, a negation matches anything
and drops out), and whether it matches exactly those listings (no phrase, weight or negation was
loosened). None when nothing indexable is left (`!a`, `a | !b`). Pure functions, no I/O.
"""

from __future__ import annotations

import functools
import re

# a quoted lexeme with its optional weights and prefix mark, a phrase operator, !, &, |, parentheses
_TOKEN = re.compile(r"'(?:[^']|'')*'(?::[*A-Da-d]+)?|<(?:-|\d+)>|[!&|()]|\s+")


@functools.lru_cache(maxsize=1024)
def indexable(text: str) -> tuple[str, bool] | None:
    """(a tsquery of plain lexemes matching every row `text` matches, whether it matches only those)."""
    tokens, end = [], 0
    for match in _TOKEN.finditer(text):
        if match.start() != end:
            raise ValueError(f"not a tsquery text: {text!r}")
        end = match.end()
        if not match[0].isspace():
            tokens.append(match[0])
    if end != len(text):
        raise ValueError(f"not a tsquery text: {text!r}")
    parser = _Parser(tokens)
    result = parser.any()
    if parser.position != len(tokens):
        raise ValueError(f"not a tsquery text: {text!r}")
    return result


class _Parser:
    """Recursive descent over tsquery precedence (loosest first): `|`, `&`, phrase, `!`.

    Each method returns the loosened query of what it read (None: matches anything) and whether
    that loosening kept it exact.
    """

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.position = tokens, 0

    def _next(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def _take(self) -> str:
        token = self._next()
        self.position += 1
        return token

    def any(self) -> tuple[str, bool] | None:
        parts = [self.all()]
        while self._next() == "|":
            self._take()
            parts.append(self.all())
        if len(parts) == 1:
            return parts[0]
        if any(part is None for part in parts):  # `a | !b` can match any row
            return None
        return "(" + " | ".join(text for text, _ in parts) + ")", all(exact for _, exact in parts)

    def all(self) -> tuple[str, bool] | None:
        parts = [self.adjacent()]
        while self._next() == "&":
            self._take()
            parts.append(self.adjacent())
        return _and(parts, exact=True)

    def adjacent(self) -> tuple[str, bool] | None:
        parts = [self.operand()]
        while self._next().startswith("<"):  # <-> or <N>
            self._take()
            parts.append(self.operand())
        return _and(parts, exact=len(parts) == 1)  # rows holding the words anywhere, not only in a row

    def operand(self) -> tuple[str, bool] | None:
        token = self._take()
        if token == "!":
            self.operand()
            return None
        if token == "(":
            inner = self.any()
            if self._take() != ")":
                raise ValueError("unbalanced parentheses")
            return inner
        if not token.startswith("'"):
            raise ValueError(f"unexpected {token!r}")
        lexeme, _, marks = token.rpartition("'")
        return lexeme + "'" + (":*" if "*" in marks else ""), not marks.strip(":*")


def _and(parts: list[tuple[str, bool] | None], exact: bool) -> tuple[str, bool] | None:
    kept = [part for part in parts if part is not None]
    if not kept:
        return None
    exact = exact and len(kept) == len(parts) and all(e for _, e in kept)
    if len(kept) == 1:
        return kept[0][0], exact
    return "(" + " & ".join(text for text, _ in kept) + ")", exact
