"""Service configuration, read from the environment (and an optional `.env` file)."""

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


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
    statement_timeout_ms: int = Field(
        2000, ge=10, le=600_000, description="Longest a search query may run before it is cut (ms)."
    )
    pool_min_size: int = Field(2, ge=0, le=100, description="Connections each worker keeps open.")
    pool_max_size: int = Field(10, ge=1, le=200, description="Most connections each worker opens.")
    pool_acquire_timeout_s: float = Field(
        3.0, gt=0, le=60, description="Longest a request waits for a free connection before a 503 (s)."
    )
    migrations_dir: Path = Field(
        PROJECT_DIR / "migrations", description="Folder of the yoyo SQL migrations."
    )
    log_level: str = Field("INFO", description="Python logging level.")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value
