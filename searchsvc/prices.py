"""How the prices spread: about what share of the listings a price range holds, from PostgreSQL's statistics.

The word look-up reads pg_stats of instrument.price with the publish dates' (recency.py), as one
text: `{most common prices};{their shares of all rows};{histogram bounds};null share` (the bounds
split the other priced rows in equal shares). A search's page, counts and facets decide from that
share whether a GIN read asks its index for the blocks of prices covering the range (price_blocks, as
migrations 0020-0021 key them) or tests the price of each listing it reads (tested). Approximate, and
never a question of correctness: both give the same rows. Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from decimal import Decimal

from .recency import column_spread


@dataclass(frozen=True)
class PriceStats:
    text: str

    @functools.cached_property
    def _parsed(self) -> tuple[list[tuple[float, float]], list[float], float]:
        """The most common prices with their shares, the histogram's bounds, and the share each bucket holds."""
        return column_spread(self.text, float)

    def share(self, low: Decimal | None, high: Decimal | None) -> float:
        """About what share of all listings have a price from `low` to `high` (None: no bound that side)."""
        common, bounds, per_bucket = self._parsed
        low_f = -float("inf") if low is None else float(low)
        high_f = float("inf") if high is None else float(high)
        share = sum(s for price, s in common if low_f <= price <= high_f)
        return min(1.0, share + per_bucket * (_buckets_below(bounds, high_f) - _buckets_below(bounds, low_f)))


def _buckets_below(bounds: list[float], price: float) -> float:
    """How many of the histogram's buckets lie below `price` (a bucket's prices taken as evenly spread)."""
    if len(bounds) < 2 or price <= bounds[0]:
        return 0.0
    if price >= bounds[-1]:
        return float(len(bounds) - 1)
    i = bisect.bisect_right(bounds, price) - 1
    width = bounds[i + 1] - bounds[i]
    return i + ((price - bounds[i]) / width if width > 0 else 1.0)


@functools.lru_cache(maxsize=4)
def stats_from_text(text: str | None) -> PriceStats | None:
    """PriceStats from the word look-up's `price_stats` (None: the table was never analyzed); one object
    per worker until the next ANALYZE, as recency.stats_from_text."""
    return PriceStats(text) if text else None


# A price range in a GIN read: asking the index for the range's price blocks (migrations 0020-0021)
# costs ~0.02 us a listing in the range (the blocks' posting lists it decodes beside the words' or
# trigrams': `fender stratocaster` in 100-500, 2.8 ms more index scan, 73 -> 21 ms of page at 1M; the
# price index's bitmap of the range, which reads ANDed before, ~0.14 us: `pearl` over 500, 536,453
# listings, 75 ms); testing the price on each listing the index gives costs what reading a listing
# for nothing costs, ~2.4 us (+ its recheck, when the trigram index's lossy pages have it test the
# folded name and category: sql.words_or_substring). A generic plan cannot weigh them (it knows
# neither the range nor the words' count), so each read is written for the cheaper, from the words'
# bound and the range's share of the listings (ops/bench/EXPLAIN.md, sessions 13 and 14).
PRICE_BLOCKS_US = 0.02
LISTING_READ_US = 2.4
FOLDED_RECHECK_US = 8.0


def tested(rows: int | None, listings: int | None, share: float | None, recheck_us: float = 0.0) -> bool:
    """Should a GIN read of at most `rows` listings test the price range (`share` of the `listings`)
    on each listing it reads, rather than ask its index for the range's blocks? (see above)"""
    if rows is None or share is None or not listings:
        return False
    return rows * (1.0 - share) * (LISTING_READ_US + recheck_us) < share * listings * PRICE_BLOCKS_US


# Migration 0020's searchsvc_price_blocks(price): one key per block size, level x 65536 + the whole
# euros (clamped to [0, PRICE_BLOCK_TOP]) divided by the block's size. Change both together.
PRICE_BLOCK_SIZES = (10, 100, 1_000, 10_000)  # levels 1, 2, 3, 4
PRICE_BLOCK_TOP = 99_999
_LEVEL = 65_536


def price_blocks(low: Decimal | None, high: Decimal | None) -> list[int]:
    """The keys of the fewest aligned blocks that together hold every price from `low` to `high` (None:
    no bound that side), and prices in the edge blocks beside them: a listing's price blocks overlap
    them when its whole euros lie in [floor(low), floor(high)]; the exact bounds are tested apart."""
    first = 0 if low is None else min(max(math.floor(low), 0), PRICE_BLOCK_TOP)
    last = PRICE_BLOCK_TOP if high is None else min(max(math.floor(high), 0), PRICE_BLOCK_TOP)
    keys, euro = [], first
    while euro <= last:  # from the low end, the largest block that starts here and ends by `last`
        level, size = next(
            (level, size) for level, size in reversed(list(enumerate(PRICE_BLOCK_SIZES, 1)))
            if euro % size == 0 and euro + size - 1 <= last or size == PRICE_BLOCK_SIZES[0]
        )
        keys.append(level * _LEVEL + euro // size)
        euro = (euro // size + 1) * size
    return keys
