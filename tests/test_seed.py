"""The listing generator: deterministic, realistic enough, and loadable. No database needed."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from searchsvc.seed import COLUMNS, DEFAULT_TODAY, generate, write_csv

CATEGORIES = {"guitarras", "bajos", "teclados", "sintetizadores", "baterias", "amplificadores", "efectos", "otros"}
WEBSITES = {"reverb", "hispasonic", "guitarristas", "soundmarket"}
ROWS = 20_000


@pytest.fixture(scope="module")
def listings() -> list[tuple]:
    return list(generate(ROWS, seed=3))


def column(listings: list[tuple], name: str) -> list:
    index = COLUMNS.index(name)
    return [row[index] for row in listings]


def test_same_seed_gives_the_same_rows():
    assert list(generate(2_000, seed=7)) == list(generate(2_000, seed=7))


def test_different_seeds_give_different_rows():
    first, second = list(generate(500, seed=1)), list(generate(500, seed=2))
    assert sum(a != b for a, b in zip(first, second)) > 450


def test_a_shorter_run_is_a_prefix_of_a_longer_one():
    assert list(generate(300, seed=5)) == list(generate(1_000, seed=5))[:300]


def test_today_defaults_to_a_fixed_date():
    assert DEFAULT_TODAY == date(2026, 11, 1)
    assert list(generate(200)) == list(generate(200, seed=1, today=date(2026, 11, 1)))


def test_zero_rows_and_negative_rows():
    assert list(generate(0)) == []
    with pytest.raises(ValueError):
        list(generate(-1))


def test_rows_have_the_column_types_and_limits(listings):
    for row in listings:
        assert len(row) == len(COLUMNS)
        name, price, link, website, image, location, category, expiration, publish = row
        assert isinstance(name, str) and 0 < len(name) <= 500 and name == name.strip()
        assert price is None or isinstance(price, Decimal)
        assert isinstance(link, str) and link.startswith("https://") and len(link) <= 1000
        assert website in WEBSITES
        assert image is None or image.startswith("https://")
        assert location is None or (isinstance(location, str) and location)
        assert category is None or category in CATEGORIES
        assert expiration is None or isinstance(expiration, date)
        assert publish is None or isinstance(publish, date)


def test_links_are_unique(listings):
    links = column(listings, "link")
    assert len(set(links)) == len(links)


def test_every_category_and_website_is_present_and_guitars_lead(listings):
    categories = Counter(column(listings, "category"))
    assert set(categories) - {None} == CATEGORIES
    assert categories.most_common(1)[0][0] == "guitarras"
    assert set(column(listings, "website")) == WEBSITES


def test_spanish_and_english_titles(listings):
    by_site: dict[str, list[str]] = {}
    for name, website in zip(column(listings, "name"), column(listings, "website")):
        by_site.setdefault(website, []).append(name)
    spanish = by_site["hispasonic"] + by_site["guitarristas"] + by_site["soundmarket"]
    accented = [name for name in spanish if re.search(r"[áéíóúñ]", name)]
    assert len(accented) > len(spanish) / 3
    for word in ("Guitarra eléctrica", "Batería", "Sintetizador", "Bajo eléctrico", "envío"):
        assert any(word in name for name in spanish), word
    english = by_site["reverb"]
    assert any(" w/ " in name for name in english)
    assert any(name.endswith(("guitar", "synth", "pedal")) for name in english)
    assert not any(re.search(r"\b(Guitarra|Teclado|Sintetizador|envío)\b", name) for name in english)


def test_word_frequencies_have_a_head_and_a_long_tail(listings):
    words = Counter(w for name in column(listings, "name") for w in re.findall(r"\w+", name.lower()))
    top = {word for word, _ in words.most_common(30)}
    assert {"guitarra", "fender", "con", "bajo"} <= top
    assert sum(1 for count in words.values() if count == 1) > 500


def test_prices_are_sane(listings):
    prices = column(listings, "price")
    missing = sum(price is None for price in prices)
    assert 0.01 * len(prices) < missing < 0.06 * len(prices)
    present = sorted(price for price in prices if price is not None)
    assert all(Decimal("0") < price < Decimal("100000000") for price in present)
    assert all(price.as_tuple().exponent == -2 for price in present)
    assert Decimal("150") < present[len(present) // 2] < Decimal("2000")


def test_cymbals_and_pedals_are_cheaper_than_keyboards(listings):
    def median(category: str) -> Decimal:
        values = sorted(row[1] for row in listings if row[6] == category and row[1] is not None)
        return values[len(values) // 2]

    assert median("efectos") < median("teclados")
    assert median("efectos") < median("guitarras")


def test_dates_span_two_years_and_expiration_follows_publish(listings):
    publish = [d for d in column(listings, "publish") if d is not None]
    assert all(DEFAULT_TODAY - timedelta(days=731) <= d < DEFAULT_TODAY for d in publish)
    assert max(publish) - min(publish) > timedelta(days=700)
    pairs = [(e, p) for e, p in zip(column(listings, "expiration"), column(listings, "publish")) if e and p]
    assert all(expiration > published for expiration, published in pairs)
    expirations = [e for e in column(listings, "expiration") if e is not None]
    assert 0.1 * len(listings) < len(expirations) < 0.2 * len(listings)
    assert any(e < DEFAULT_TODAY for e in expirations) and any(e > DEFAULT_TODAY for e in expirations)


def test_a_different_today_moves_the_dates():
    today = date(2030, 6, 15)
    publish = [row[8] for row in generate(1_000, today=today) if row[8] is not None]
    assert all(today - timedelta(days=731) <= d < today for d in publish)


def test_locations_are_mostly_spanish_cities(listings):
    locations = Counter(column(listings, "location"))
    assert 0.05 * len(listings) < locations[None] < 0.15 * len(listings)
    assert {"Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga", "A Coruña"} <= set(locations)


def test_write_csv_round_trips(tmp_path):
    path = tmp_path / "listings.csv"
    assert write_csv(path, 3_000, seed=9) == 3_000
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        parsed = list(reader)
    assert tuple(reader.fieldnames) == COLUMNS
    assert len(parsed) == 3_000
    for record, row in zip(parsed, generate(3_000, seed=9)):
        assert record["name"] == row[0] and record["link"] == row[2]
        assert record["price"] == ("" if row[1] is None else str(row[1]))
        assert re.fullmatch(r"(\d+\.\d{2})?", record["price"])
        assert record["publish"] == ("" if row[8] is None else row[8].isoformat())
        assert record["image"] == (row[4] or "")


def test_write_csv_to_an_open_file():
    buffer = io.StringIO(newline="")
    assert write_csv(buffer, 0) == 0
    assert buffer.getvalue() == ",".join(COLUMNS) + "\n"
    buffer = io.StringIO(newline="")
    write_csv(buffer, 50, seed=4)
    assert len(list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))) == 50
