"""Settings from the environment (SOHOA_*) or a .env file, validated once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocr_service.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./sohoa-data")
    database_url: str | None = None
    redis_url: str | None = None
    ocr_engine: str = "vi"
    second_engine: str | None = None
    secret_key: str | None = None

    # Ingest limits: every one gives a clear error, never a crash or a half-stored ledger.
    max_upload_bytes: int = 2 * 1024**3
    max_pages: int = 2000
    max_page_pixels: int = 150_000_000
    render_dpi: int = Field(default=200, ge=72, le=600)
    thumb_size: int = 320

    # Jobs: a page claimed by a worker that stops heart-beating is re-queued after the lease.
    page_lease_seconds: int = 120
    page_max_attempts: int = 3
    page_timeout_seconds: int = 300
    inline_workers: int = 2
    queue_name: str = "sohoa"

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.environment == "production" and not self.secret_key:
            raise ConfigError("SOHOA_SECRET_KEY must be set when SOHOA_ENVIRONMENT=production")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgresql:// means psycopg 3 here; SQLAlchemy would otherwise pick psycopg2.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'sohoa.db').resolve()}"

    @property
    def effective_secret(self) -> str:
        return self.secret_key or "sohoa-development-secret-not-for-production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
