"""Publish-date blocks: how a search asks the GIN index for a tier's matches published since a day.

Migration 0018 adds to the GIN index of name search a third column, searchsvc_publish_blocks(publish):
the ids of the aligned blocks of 1, 8, 64, 512, 4,096 and 32,768 days holding the listing's publish
date (days since 2000-01-01, clamped to [0, DAY_MAX]; clamping keeps the order). `span(day)` is the
blocks covering [day, DAY_MAX] exactly, so `searchsvc_publish_blocks(publish) && span(day)` holds
exactly when the (clamped) publish date is on or after `day`, and the index answers it within the
same scan as the tier's words.

Which day: `PublishStats.newest_from(share)`, from PostgreSQL's statistics of the publish column
(pg_stats, read with the word look-up), the latest day from which about `share` of the listings
are published. Approximate, and never a question of correctness: a span holding fewer rows than a
tier needs is followed by the whole tier (sql_search.SPAN_NEWEST_SQL), and listings newer than the
statistics are always inside it. Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

EPOCH = date(2000, 1, 1)
DAY_MAX = (1 << 16) - 1  # 2179-06-06: later dates share its blocks
LEVELS = (0, 3, 6, 9, 12, 15)  # blocks of 2**level days; must match migration 0018's function
LEVEL_STRIDE = 1 << 16  # a block's id: its level's position in LEVELS x LEVEL_STRIDE + day >> level


def day_number(day: date) -> int:
    """Days since EPOCH, clamped to [0, DAY_MAX] as searchsvc_publish_blocks() clamps them."""
    return min(max((day - EPOCH).days, 0), DAY_MAX)


@functools.lru_cache(maxsize=64)
def span(since: date) -> tuple[int, ...]:
    """The ids of the publish blocks covering every (clamped) day from `since` on: at most 7 a level."""
    day, blocks = day_number(since), []
    while day <= DAY_MAX:
        # the largest block starting at `day` that does not pass DAY_MAX (a 1-day block always fits)
        position, level = next((p, lv) for p, lv in reversed(list(enumerate(LEVELS)))
                               if day % (1 << lv) == 0 and day + (1 << lv) - 1 <= DAY_MAX)
        blocks.append(position * LEVEL_STRIDE + (day >> level))
        day += 1 << level
    return tuple(blocks)


@dataclass(frozen=True)
class PublishStats:
    """How the publish dates spread, as ANALYZE saw them: pg_stats of instrument.publish, as the word
    look-up reads it (`{most common dates};{their shares of all rows};{histogram bounds};null share`;
    the histogram's bounds split the other dated rows in equal shares)."""

    text: str

    @functools.cached_property
    def _newest_shares(self) -> tuple[list[int], list[float]]:
        """For each date the statistics name (newest first, as ordinals), the share of rows on it or later."""
        common, bounds, per_bucket = column_spread(self.text, _ordinal)
        common.sort(reverse=True)
        buckets = len(bounds) - 1
        days, shares = [], []
        common_share, next_common = 0.0, 0
        for day in sorted({d for d, _ in common} | set(bounds), reverse=True):
            while next_common < len(common) and common[next_common][0] >= day:
                common_share += common[next_common][1]
                next_common += 1
            share = common_share
            if buckets > 0 and day <= bounds[-1]:
                # histogram rows on `day` or later: the buckets above its own, and of its own the part
                # from `day` on (its days taken as evenly filled)
                i = min(max(bisect.bisect_right(bounds, day) - 1, 0), buckets - 1)
                part = min((bounds[i + 1] - day + 1) / (bounds[i + 1] - bounds[i] + 1), 1.0)
                share += per_bucket * (buckets - 1 - i + part)
            days.append(day)
            shares.append(share)
        return days, shares

    def newest_from(self, share: float) -> date | None:
        """The latest date from which at least about `share` of the rows are published (None: not known)."""
        days, shares = self._newest_shares
        i = bisect.bisect_left(shares, share)  # the shares grow as the dates get older
        return date.fromordinal(days[i]) if i < len(days) else None


def _ordinal(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def column_spread(text: str, parse: Callable[[str], Any]) -> tuple[list[tuple[Any, float]], list[Any], float]:
    """A column's statistics as the word look-up reads them (sql_words.COLUMN_STATS_SQL): its most common
    values with their shares of all rows, the histogram's bounds (`parse`d), and the share of all rows
    each of the histogram's buckets holds (they split the rows that are neither common nor null evenly)."""
    common_text, shares_text, bounds_text, null_text = text.split(";")
    common = list(zip(_array(common_text, parse), _array(shares_text, float)))
    bounds = _array(bounds_text, parse)
    rest = max(0.0, 1.0 - float(null_text or 0) - sum(share for _, share in common))
    return common, bounds, rest / (len(bounds) - 1) if len(bounds) > 1 else 0.0


def _array(text: str, parse: Callable[[str], Any]) -> list:
    """The values of a PostgreSQL array's text (`{a,b}`; empty: none)."""
    values = text.strip("{}")
    return [parse(value) for value in values.split(",")] if values else []


@functools.lru_cache(maxsize=4)
def stats_from_text(text: str | None) -> PublishStats | None:
    """PublishStats from the word look-up's `publish_stats` (None: the table was never analyzed).

    Every look-up reads the same statistics until the next ANALYZE: one object for them, so their
    dates are parsed once per worker (0.4 ms), not once per searched text.
    """
    return PublishStats(text) if text else None
