"""A tier's tsquery text read back: its indexable plain words, and how many listings it can match.

Migration 0019's index keys each listing's lexemes by its category and keeps no positions or
weights, so it answers a tsquery of plain lexemes, `&`, `|` and prefixes only. `indexable(text)`
gives, for a tier's tsquery text (query.tiers), such a query matching every listing the tier
matches (a phrase `a <-> b` becomes `a & b`, `'a':A` becomes `'a'`, a negation matches anything
and drops out), and whether it matches exactly those listings (no phrase, weight or negation was
loosened); None when nothing indexable is left (`!a`, `a | !b`). `bound(text, count)` is at most
how many listings the text matches, given at most how many hold each lexeme. Pure functions, no I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

# a quoted lexeme with its optional weights and prefix mark, a phrase operator, !, &, |, parentheses
_TOKEN = re.compile(r"'(?:[^']|'')*'(?::[*A-Da-d]+)?|<(?:-|\d+)>|[!&|()]|\s+")


@dataclass(frozen=True)
class Word:
    quoted: str  # as the text quotes it
    prefix: bool
    weighted: bool

    @property
    def lexeme(self) -> str:
        return self.quoted[1:-1].replace("''", "'").replace("\\\\", "\\")


@dataclass(frozen=True)
class Operator:
    kind: str  # "|", "&", "<->" (any phrase operator) or "!"
    operands: tuple[Node, ...]


Node = Word | Operator


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Node:
    """The tree of a tsquery text (ValueError: not one)."""
    tokens, end = [], 0
    for match in _TOKEN.finditer(text):
        if match.start() != end:
            break
        end = match.end()
        if not match[0].isspace():
            tokens.append(match[0])
    if end != len(text):
        raise ValueError(f"not a tsquery text: {text!r}")
    parser = _Parser(tokens)
    tree = parser.any()
    if parser.position != len(tokens):
        raise ValueError(f"not a tsquery text: {text!r}")
    return tree


class _Parser:
    """Recursive descent over tsquery precedence, loosest first: `|`, `&`, phrase, `!`."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.position = tokens, 0

    def _next(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def _take(self) -> str:
        token = self._next()
        self.position += 1
        return token

    def _joined(self, kind: str, operand: Callable[[], Node], is_operator: Callable[[str], bool]) -> Node:
        operands = [operand()]
        while is_operator(self._next()):
            self._take()
            operands.append(operand())
        return operands[0] if len(operands) == 1 else Operator(kind, tuple(operands))

    def any(self) -> Node:
        return self._joined("|", self.all, lambda token: token == "|")

    def all(self) -> Node:
        return self._joined("&", self.adjacent, lambda token: token == "&")

    def adjacent(self) -> Node:
        return self._joined("<->", self.operand, lambda token: token.startswith("<"))  # <-> or <N>

    def operand(self) -> Node:
        token = self._take()
        if token == "!":
            return Operator("!", (self.operand(),))
        if token == "(":
            inner = self.any()
            if self._take() != ")":
                raise ValueError("unbalanced parentheses")
            return inner
        if not token.startswith("'"):
            raise ValueError(f"unexpected {token!r}")
        quoted, _, marks = token.rpartition("'")
        return Word(quoted + "'", "*" in marks, bool(marks.strip(":*")))


@functools.lru_cache(maxsize=1024)
def indexable(text: str) -> tuple[str, bool] | None:
    """(a tsquery of plain lexemes matching every row `text` matches, whether it matches only those)."""
    return _loosened(parse(text))


def _loosened(node: Node) -> tuple[str, bool] | None:
    if isinstance(node, Word):
        return node.quoted + (":*" if node.prefix else ""), not node.weighted
    if node.kind == "!":
        return None
    parts = [_loosened(operand) for operand in node.operands]
    if node.kind == "|":
        if any(part is None for part in parts):  # `a | !b` can match any row
            return None
        return "(" + " | ".join(text for text, _ in parts) + ")", all(exact for _, exact in parts)
    kept = [part for part in parts if part is not None]  # `&` and phrases: each operand must match
    if not kept:
        return None
    exact = node.kind == "&" and len(kept) == len(parts) and all(e for _, e in kept)
    return (kept[0][0] if len(kept) == 1 else "(" + " & ".join(text for text, _ in kept) + ")"), exact


def bound(text: str, count: Callable[[Word], int | None]) -> int | None:
    """At most how many listings `text` matches, given `count(word)`: at most how many hold a word (None: unknown)."""
    return _bound(parse(text), count)


def _bound(node: Node, count: Callable[[Word], int | None]) -> int | None:
    if isinstance(node, Word):
        return count(node)
    if node.kind == "!":
        return None
    bounds = [_bound(operand, count) for operand in node.operands]
    if node.kind == "|":
        return None if None in bounds else sum(bounds)
    known = [b for b in bounds if b is not None]  # every operand must match: the rarest bounds them all
    return min(known) if known else None
