"""The judged relevance set: its fixture listings, its queries, and the metrics that score a ranking.

Used by tests/test_search_quality.py (which fails below the stated nDCG@10) and by
ops/bench/relevance (which prints the figures per query class). No database code here.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
LISTINGS = HERE / "listings.csv"
JUDGEMENTS = HERE / "judgements.json"
LINK = "https://relevance.test/item/{}"
K = 10


def fixture_rows() -> list[dict[str, Any]]:
    """The fixture listings as loader rows (ingest.COLUMNS); each link ends with the listing's number."""
    rows = []
    with open(LISTINGS, newline="", encoding="utf-8") as stream:
        for record in csv.DictReader(stream):
            rows.append({
                "name": record["name"], "price": Decimal(record["price"]), "link": LINK.format(record["id"]),
                "website": record["website"], "image": None, "location": "Madrid", "category": record["category"],
                "expiration": date.fromisoformat(record["expiration"]) if record["expiration"] else None,
                "publish": date.fromisoformat(record["publish"]),
            })
    return rows


def judgements() -> list[dict[str, Any]]:
    """[{class, query, params, grades: {listing number: 1..3}}]; no grades: the query must find nothing."""
    return json.loads(JUDGEMENTS.read_text(encoding="utf-8"))


def search_path(judgement: Mapping[str, Any]) -> str:
    """The request of one judged query: its text, its filters, the first K results."""
    pairs: list[tuple[str, str]] = [("name", judgement["query"]), ("page_size", str(K))]
    for key, value in judgement["params"].items():
        pairs += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return "/searchInstrument?" + urlencode(pairs)


def listing_numbers(results: Iterable[Mapping[str, Any]]) -> list[str]:
    return [result["link"].rsplit("/", 1)[1] for result in results]


def ndcg(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """Normalised discounted cumulative gain of the first k results (gain 2^grade - 1)."""
    if not grades:
        return 1.0 if not ranked else 0.0
    dcg = sum((2 ** grades.get(n, 0) - 1) / math.log2(i + 2) for i, n in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """1 / position of the first result graded as well as the best listing for the query."""
    if not grades:
        return 1.0 if not ranked else 0.0
    best = max(grades.values())
    for i, n in enumerate(ranked[:k]):
        if grades.get(n, 0) == best:
            return 1.0 / (i + 1)
    return 0.0


def score(judgement: Mapping[str, Any], ranked: Sequence[str]) -> dict[str, Any]:
    grades = judgement["grades"]
    return {
        "class": judgement["class"], "query": judgement["query"],
        "ndcg": ndcg(ranked, grades), "rr": reciprocal_rank(ranked, grades), "zero": not ranked,
    }


def summary(scores: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean nDCG@10, MRR and zero-result rate per query class, and over all ('all')."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in scores:
        groups[s["class"]].append(s)
        groups["all"].append(s)
    return {
        name: {
            "queries": len(group),
            "ndcg@10": sum(s["ndcg"] for s in group) / len(group),
            "mrr": sum(s["rr"] for s in group) / len(group),
            "zero_rate": sum(1 for s in group if s["zero"]) / len(group),
        }
        for name, group in groups.items()
    }


def table(stats: Mapping[str, Mapping[str, float]]) -> str:
    lines = [f"{'class':<10} {'queries':>7} {'nDCG@10':>8} {'MRR':>6} {'zero':>6}"]
    for name in sorted(stats, key=lambda n: (n == "all", n)):
        s = stats[name]
        lines.append(f"{name:<10} {s['queries']:>7} {s['ndcg@10']:>8.3f} {s['mrr']:>6.3f} {s['zero_rate']:>6.2f}")
    return "\n".join(lines)
