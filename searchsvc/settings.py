"""Service configuration, read from the environment (and an optional `.env` file)."""

import json
import os
import sys
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
FACET_CUT_RETRY_S = 10.0  # facet answers with a count cut by FACET_TIMEOUT_MS are reused this long at most


class Settings(BaseSettings):
    """Every setting the service reads; nothing else looks at os.environ."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/searchsvc",
        description="PostgreSQL URL of the primary (reads and writes).",
    )
    host: str = Field("127.0.0.1", description="Address `searchsvc serve` binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port `searchsvc serve` listens on.")
    cors_allow_origins: list[str] = Field(
        ["*"],
        description='Origins allowed to read the API (JSON list); ["*"] allows any.',
    )
    page_size: int = Field(50, ge=1, le=100, description="Results per page unless `page_size` is given.")
    count_exact_limit: int = Field(
        1000, ge=0, le=10_000_000,
        description="Counts up to this many matches are exact; above it `count` is the planner's "
        "estimate and `count_exact` is false.",
    )
    count_estimate_ttl_s: float = Field(
        60.0, ge=0, le=86_400,
        description="How long a worker reuses the planner's estimate of a filter's match count (s); "
        "0 asks the planner on every request.",
    )
    exact_count_ttl_s: float = Field(
        300.0, ge=0, le=86_400,
        description="When a page answers with an estimate for a filter already answered so within this time, "
        "its worker counts that filter exactly in the background and answers it with the exact count for this "
        "long (s); 0 turns it off.",
    )
    exact_count_timeout_ms: int = Field(
        1000, ge=10, le=600_000,
        description="Longest a background exact count may run; a filter whose count takes longer keeps "
        "its estimate and is not counted again for EXACT_COUNT_TTL_S (ms).",
    )
    page_anchor_ttl_s: float = Field(
        60.0, ge=0, le=86_400,
        description="How long a worker remembers where a deep page (id order) starts, so the next "
        "deep page skips from there instead of from the first row (s); 0 turns it off.",
    )
    statement_timeout_ms: int = Field(
        2000, ge=10, le=600_000, description="Longest a search query may run before it is cut (ms)."
    )
    work_mem_mb: int = Field(
        32, ge=1, le=4096,
        description="Memory each step of a read (a sort, a hash, a bitmap of matching rows) may use (PostgreSQL "
        "work_mem, MiB). A bitmap larger than this goes lossy and every row of its pages is checked again: a word with "
        "a price ceiling at 5M listings took 1.7 s with PostgreSQL's default 4, 0.3 s with 32. A bound per step and "
        "connection, not per server: size it with POOL_MAX_SIZE and the workers in mind.",
    )
    facet_timeout_ms: int = Field(
        500, ge=1, le=600_000,
        description="Longest each facet count may run; a facet cut short is reported in `facets_timed_out` (ms).",
    )
    facet_cache_ttl_s: float = Field(
        60.0, ge=0, le=86_400,
        description=(
            "How long a worker reuses the facet counts of one query and filters (s); 0 counts every time. "
            f"Counts cut by FACET_TIMEOUT_MS are reused {FACET_CUT_RETRY_S:g} s at most."
        ),
    )
    response_cache_ttl_s: float = Field(
        30.0, ge=0, le=86_400,
        description="How long a worker serves a list, search or suggest answer again without asking the database (s); "
        "any change to the data empties the cache at once (0 turns it off).",
    )
    word_cache_ttl_s: float = Field(
        300.0, ge=0, le=86_400,
        description="How long a worker reuses what it looked up about a search's words (lexemes, synonyms, near "
        "spellings, did-you-mean corrections), whatever the page, filters or sort around them, and where the "
        "windows of a one-word search's deeper pages start, and the counts under COUNT_EXACT_LIMIT its pages made (s); "
        "any change to the data forgets it at once (0 looks the words up for every search, counts on every page and "
        "ranks every page from the newest listing).",
    )
    response_cache_max_mb: int = Field(
        64, ge=1, le=65_536, description="Memory each worker gives to cached answers (MiB)."
    )
    pool_min_size: int = Field(
        2, ge=0, le=100, description="Connections each worker keeps open, per pool (two per server: custom and generic plans).",
    )
    pool_max_size: int = Field(
        10, ge=1, le=200, description="Most connections each worker opens, per pool (two per server: custom and generic plans).",
    )
    pool_acquire_timeout_s: float = Field(
        3.0, gt=0, le=60, description="Longest a request waits for a free connection before a 503 (s)."
    )
    database_replica_urls: Annotated[list[str], NoDecode] = Field(
        [],
        description="PostgreSQL URLs of streaming replicas that serve reads in turn (comma-separated or "
        "a JSON list); empty: everything reads the primary.",
    )
    replica_retry_s: float = Field(
        30.0, gt=0, le=3600, description="How long a failing replica stays out of rotation before it is tried again (s)."
    )
    shutdown_timeout_s: float = Field(
        30.0, ge=0, le=600,
        description="On SIGTERM, longest `searchsvc serve` waits for in-flight requests (s); gunicorn: `graceful_timeout`.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, le=1_073_741_824, description="Largest request body accepted; larger: 413 (bytes)."
    )
    max_query_string_length: int = Field(
        8000, ge=256, le=65_536, description="Longest query string accepted; longer: 414 (characters)."
    )
    max_result_depth: int = Field(
        200_000, ge=100, le=100_000_000,
        description="Deepest result served: `page` × `page_size` beyond this answers 400 naming `page`.",
    )
    max_query_words: int = Field(
        100, ge=1, le=1000,
        description="Most words in a search `name`; more: 400 naming `name` (100 lets any 200 characters of noise through).",
    )
    migrations_dir: Path = Field(
        PROJECT_DIR / "migrations", description="Folder of the yoyo SQL migrations."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    prometheus_multiproc_dir: Path | None = Field(
        None,
        description="Writable folder (created if missing) where each gunicorn worker writes its metrics so a scrape "
        "sums all workers (process environment only, not .env); unset: /metrics shows one process.",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("prometheus_multiproc_dir")
    @classmethod
    def _writable_folder(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            value.mkdir(parents=True, exist_ok=True)  # e.g. on a fresh tmpfs
        except OSError as exc:
            raise ValueError(f"cannot create folder {value}: {exc.strerror}") from None
        if not os.access(value, os.W_OK):
            raise ValueError(f"folder {value} is not writable")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _url_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [url.strip() for url in text.split(",") if url.strip()]
        return value

    @field_validator("database_replica_urls")
    @classmethod
    def _postgres_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("postgresql://", "postgres://")):
                raise ValueError(f"{url.split('@')[-1]!r} is not a postgresql:// URL")
        return value


def settings_or_exit(exit_code: int = 1) -> Settings:
    """Settings from the environment; a bad one stops the process with one line naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]).upper()
        print(f"searchsvc: bad setting {field}: {error['msg']}", file=sys.stderr)
        raise SystemExit(exit_code) from None
