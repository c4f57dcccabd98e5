"""Locust users of the listings site: they type into the search box, search, refine, page and open listings.

Run headless against any base URL (locust is an optional dependency: pip install -e '.[ops]'):

    locust -f ops/locust/locustfile.py --headless -u 20 -r 5 -t 1m --host http://127.0.0.1:8080

or with the web UI on http://localhost:8089 (drop --headless). Requests are grouped in the
statistics by what the user did ("suggest", "search", "search refined", "list category", ...),
not by URL.

What a user does, and how often (task weights, out of 10 visits):
  6  search session: types a query letter by letter (one /suggest per keystroke from the
     second letter, 0.1-0.4 s apart, as a search box with a short debounce asks), runs the
     search; then may refine it by category (40%) and by price (25%), pages forward
     (each next page with 30%), and opens listings (50%).
  3  category browsing: a category page of /listInstrument (with a price range 50% of the time),
     paging forward (each next page 35%) and opening listings (40%).
  1  latest listings: /listInstrument in id order, paging forward (each next page 30%).
Opening a listing sends the browser to the marketplace's own page (its `link`): no request
reaches this service, so it is modelled as reading time (3-10 s), after which the user comes
back and the frontend reloads the result page it left ("back", recorded as such).
Between visits a user thinks for 1-5 s.
"""

from __future__ import annotations

import random
from urllib.parse import urlencode, urlsplit

import gevent
from locust import HttpUser, between, task

# What people type: common words, brand + model, Spanish and English, a few typos.
QUERIES = [
    "guitarra", "guitarra electrica", "fender stratocaster", "fender telecaster", "gibson les paul",
    "epiphone", "ibanez", "squier", "bajo", "bajo fender jazz bass", "precision bass", "korg minilogue",
    "roland juno", "moog", "nord stage", "yamaha", "teclado", "piano digital", "sintetizador",
    "bateria", "batería electrónica", "pearl", "tama", "zildjian", "caja de ritmos", "pedal delay",
    "boss ds-1", "overdrive", "amplificador", "marshall", "fender twin", "vox ac30", "strat",
    "fendr stratocastr", "gibson sg", "acoustic guitar", "guitarra clasica", "ukelele",
]
CATEGORIES = ["Guitarras", "Bajos", "Teclados", "Sintetizadores", "Baterias", "Amplificadores", "Efectos"]
PRICE_RANGES = [(None, 200), (100, 500), (300, 1000), (500, None), (1000, 3000)]


def path_of(url: str) -> str:
    """The path and query of an absolute `next` URL: the service may sit behind a proxy."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class SiteUser(HttpUser):
    wait_time = between(1, 5)

    def _get(self, path: str, name: str) -> dict | None:
        with self.client.get(path, name=name, catch_response=True) as resp:
            if resp.status_code == 404 and "page=" in path:
                resp.success()  # paged past the end of an estimated count: what the frontend sees too
                return None
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")
                return None
            return resp.json()

    def _page_forward(self, path: str, page: dict | None, chance: float, name: str) -> tuple[str, dict | None]:
        """Follow `next` while the user keeps going; the path and page they stop on."""
        while page and page.get("next") and random.random() < chance:
            next_path = path_of(page["next"])
            next_page = self._get(next_path, name)
            if next_page is None:
                break
            path, page = next_path, next_page
        return path, page

    def _open_listings(self, path: str, page: dict | None, chance: float, name: str) -> None:
        results = (page or {}).get("results") or []
        while results and random.random() < chance:
            random.choice(results)  # its `link` is the marketplace's page: no request to us
            gevent.sleep(random.uniform(3, 10))  # reading the listing
            self._get(path, name)  # back: the frontend reloads the result page

    @task(6)
    def search_session(self) -> None:
        text = random.choice(QUERIES)
        for end in range(2, len(text) + 1):
            if text[end - 1] == " ":
                continue
            self._get(f"/suggest?{urlencode({'q': text[:end]})}", "suggest")
            gevent.sleep(random.uniform(0.1, 0.4))
        query = {"name": text}
        path = f"/searchInstrument/?{urlencode(query)}"
        page = self._get(path, "search")
        if random.random() < 0.4:
            query["category"] = random.choice(CATEGORIES)
            path = f"/searchInstrument/?{urlencode(query)}"
            page = self._get(path, "search refined")
        if random.random() < 0.25:
            low, high = random.choice(PRICE_RANGES)
            query.update({k: v for k, v in (("minPrice", low), ("maxPrice", high)) if v is not None})
            path = f"/searchInstrument/?{urlencode(query)}"
            page = self._get(path, "search refined")
        path, page = self._page_forward(path, page, 0.3, "search next page")
        self._open_listings(path, page, 0.5, "back to results")

    @task(3)
    def browse_category(self) -> None:
        query: dict[str, object] = {"category": random.choice(CATEGORIES)}
        if random.random() < 0.5:
            low, high = random.choice(PRICE_RANGES)
            query.update({k: v for k, v in (("minPrice", low), ("maxPrice", high)) if v is not None})
        path = f"/listInstrument?{urlencode(query)}"
        path, page = self._page_forward(path, self._get(path, "list category"), 0.35, "list next page")
        self._open_listings(path, page, 0.4, "back to results")

    @task(1)
    def latest_listings(self) -> None:
        self._page_forward("/listInstrument", self._get("/listInstrument", "list latest"), 0.3, "list next page")
