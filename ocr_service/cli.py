"""The `sohoa` command line: serve, work, ingest, follow, read, export, manage users."""

from __future__ import annotations

import csv
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, NoReturn, NotRequired, TypedDict, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from models.book import BookMeta, InvalidBookMeta, parse_year
from models.json_types import JsonObject
from ocr_service.config import Settings, get_settings, log_format, log_level
from ocr_service.errors import SohoaError
from ocr_service.jobs.queues import WorkerQueue
from ocr_service.logs import configure as configure_logging

app = typer.Typer(
    name="sohoa",
    help="OCR-assisted transcription of Vietnamese civil-status register books (sổ hộ tịch).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png"}
FINAL = {"done", "partial", "failed"}


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr, no traceback."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_fail() -> Settings:
    try:
        return get_settings()
    except SohoaError as exc:
        fail(exc.message)
    except Exception as exc:  # pydantic validation of SOHOA_* variables
        first = str(exc).splitlines()
        fail(f"bad configuration: {' '.join(first[:3])}")


def prepared_settings() -> Settings:
    from ocr_service.db import upgrade_database

    settings = settings_or_fail()
    try:
        upgrade_database(settings)
    except Exception as exc:
        fail(f"cannot open the database ({settings.db_url.split('@')[-1]}): {exc}", code=1)
    return settings


def emit_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")


# --- serve / worker --------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the REST API and the review UI (and, without Redis, the job runner)."""
    import uvicorn

    from ocr_service.api.app import create_app

    settings = prepared_settings()
    uvicorn.run(
        create_app(settings), host=host, port=port, log_level="info", **uvicorn_logging(settings)
    )


def uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """JSON logs: uvicorn's own lines go through the root handler too (no config of its own)."""
    return {"log_config": None} if settings.log_format == "json" else {}


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="exit when the queue is empty")] = False,
    queue: Annotated[
        WorkerQueue,
        typer.Option(
            help="pages: split and read books (SOHOA_QUEUE_NAME); train: train recogniser "
            "versions from corrections (SOHOA_TRAIN_QUEUE_NAME, needs sohoa[train])"
        ),
    ] = WorkerQueue.pages,
) -> None:
    """Process queued jobs from Redis (needs SOHOA_REDIS_URL); run as many as you like, on any
    machine that reaches the database, Redis and the store (SOHOA_STORAGE_URL)."""
    settings = settings_or_fail()
    if not settings.redis_url:
        fail("sohoa worker needs SOHOA_REDIS_URL (without Redis, `sohoa serve` runs jobs itself)")
    from ocr_service.jobs.worker import preflight, run_worker

    try:
        preflight(settings)
    except SohoaError as exc:
        fail(exc.message, code=exc.exit_code)
    run_worker(settings, burst=burst, queue=queue)


# --- ingest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestItem:
    """One scan to ingest and the book it is."""

    path: Path
    meta: BookMeta


@dataclass(frozen=True)
class Accepted:
    """A scan stored as a ledger (or found already stored)."""

    path: str
    id: str
    pages: int
    duplicate: bool


def _read_manifest(manifest: Path) -> dict[Path, dict[str, str]]:
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"cannot read manifest {manifest}: {exc.strerror}")
    rows: dict[Path, dict[str, str]] = {}
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "path" not in reader.fieldnames:
        fail(f"manifest {manifest.name} needs a header row with at least: path, register")
    for n, row in enumerate(reader, start=2):
        raw = (row.get("path") or "").strip()
        if not raw:
            fail(f"manifest {manifest.name} line {n}: empty path")
        path = Path(raw)
        if not path.is_absolute():
            path = manifest.parent / path
        rows[path.resolve()] = {k: (v or "").strip() for k, v in row.items() if k}
    return rows


def _manifest_layout(name: str, manifest: Path | None) -> JsonObject:
    """A manifest row's layout file, relative to the manifest."""
    from ocr_service.ingest.service import read_layout_file

    path = Path(name)
    if not path.is_absolute() and manifest is not None:
        path = manifest.parent / path
    return read_layout_file(path)


def _collect(
    paths: list[Path], defaults: BookMeta, manifest: Path | None
) -> tuple[list[IngestItem], list[tuple[str, str]]]:
    """The scans to ingest, each with its book: a manifest row's values, else `defaults`."""
    meta = _read_manifest(manifest) if manifest else {}
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SCAN_SUFFIXES)
            )
        elif p.exists():
            files.append(p)
        else:
            fail(f"no such file or folder: {p}")
    if manifest and not paths:
        files = sorted(meta)
    items, refused = [], []
    for f in files:
        if not f.is_file():
            refused.append((str(f), "no such file"))
            continue
        row = meta.get(f.resolve(), {})
        reg = row.get("register") or defaults.register
        if not reg:
            refused.append((str(f), "no register: give --register or a manifest row"))
            continue
        try:
            row_year = parse_year(row.get("year"))
            layout_name = row.get("layout_file")
            row_layout = (
                _manifest_layout(layout_name, manifest) if layout_name else defaults.layout_file
            )
        except InvalidBookMeta as exc:
            refused.append((str(f), str(exc)))
            continue
        except SohoaError as exc:
            refused.append((str(f), exc.message))
            continue
        book = replace(
            defaults.with_text(row),  # columns named after the attributes: commune, book, …
            register=reg,
            layout_file=row_layout,
            year=row_year if row_year is not None else defaults.year,
        )
        items.append(IngestItem(f, book))
    return items, refused


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not enabled,
        transient=True,
    )


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="scan files or folders (walked)")
    ] = None,
    register: Annotated[
        str | None,
        typer.Option(help="khai-sinh, khai-tu, ket-hon, nhan-cha-me-con, xac-nhan-hon-nhan"),
    ] = None,
    commune: Annotated[str | None, typer.Option(help="commune (xã/phường) of the books")] = None,
    book: Annotated[str | None, typer.Option(help="book number (quyển số), e.g. 01/2019")] = None,
    year: Annotated[int | None, typer.Option(help="year of the book")] = None,
    layout: Annotated[str, typer.Option(help="block (since 2016) or table (older)")] = "block",
    authority: Annotated[
        str | None,
        typer.Option(help="registering authority (noiDangKy), e.g. 'UBND xã An Nhơn, huyện …'"),
    ] = None,
    layout_file: Annotated[
        Path | None,
        typer.Option(help="table ledgers: column layout file (TOML/JSON, docs/LAYOUT_FILES.md)"),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(help="CSV: path, register[, commune, book, year, layout, authority]"),
    ] = None,
    wait: Annotated[bool, typer.Option(help="process now and wait for the result")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Add books: one ledger per file; folders are walked."""
    from ocr_service.db import session_scope
    from ocr_service.ingest.service import ingest_path, read_layout_file
    from ocr_service.storage import get_storage

    settings = prepared_settings()
    defaults = BookMeta(
        register or "",
        layout=layout,
        layout_file=read_layout_file(layout_file) if layout_file else None,
        commune=commune,
        book=book,
        year=year,
        authority=authority,
    )
    items, refused = _collect(paths or [], defaults, manifest)
    if not items and not refused:
        fail("no scans found (accepted: .pdf .tif .tiff .jpg .jpeg .png)")
    storage = get_storage(settings)
    single = len(items) + len(refused) == 1
    accepted: list[Accepted] = []
    show = sys.stderr.isatty() and not as_json
    with _progress(show and len(items) > 1) as bar:
        task = bar.add_task("ingest", total=len(items))
        for item in items:
            try:
                with session_scope(settings) as session:
                    result = ingest_path(
                        session, storage, settings, item.path, meta=item.meta, user_id=None
                    )
                    ledger_id, pages = result.ledger.id, result.ledger.pages_total
                accepted.append(Accepted(str(item.path), ledger_id, pages, result.duplicate))
            except SohoaError as exc:
                refused.append((str(item.path), exc.message))
            bar.advance(task)
    if single and refused:
        fail(f"{Path(refused[0][0]).name}: {refused[0][1]}")
    ledgers = _run_and_wait(settings, [a.id for a in accepted], show) if wait else None
    _report_ingest(accepted, refused, ledgers, as_json)
    if refused:
        raise typer.Exit(2)


class FailedPage(TypedDict):
    page: int
    error: str | None


class LedgerSummary(TypedDict):
    """`sohoa status --json`, and what `ingest --wait` reports of each ledger."""

    id: str
    status: str
    register: str
    pages: int
    records: int
    failed_pages: list[FailedPage]
    progress: dict[str, int]  # models.schemas.Progress
    error: str | None


class IngestedJson(TypedDict):
    """One ledger in `sohoa ingest --json` (CONTRACT.md)."""

    id: str
    status: str
    pages: int
    records: int
    failed_pages: list[FailedPage]
    path: str
    duplicate: NotRequired[bool]


class RefusedJson(TypedDict):
    path: str
    error: str


class IngestReport(TypedDict):
    ledgers: list[IngestedJson]
    refused: list[RefusedJson]


def _run_and_wait(settings: Settings, ids: list[str], show: bool) -> list[LedgerSummary]:
    from ocr_service.jobs.dispatch import make_dispatcher
    from ocr_service.jobs.sweep import enqueue_ledger

    dispatcher = make_dispatcher(settings)
    try:
        for ledger_id in ids:
            # With the queue down the ledger waits; a worker's sweep queues it when it is back.
            enqueue_ledger(settings, dispatcher, ledger_id)
        return wait_for_ledgers(settings, ids, show)
    finally:
        close = getattr(dispatcher, "close", None)
        if close:
            close()


def ledger_summary(settings: Settings, ledger_id: str) -> LedgerSummary:
    from sqlalchemy import select

    from models.entities import Ledger, Page, PageState
    from ocr_service.db import session_scope
    from ocr_service.ledgers import progress

    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        if ledger is None:
            fail(f"no ledger {ledger_id}")
        prog = progress(session, ledger)
        failed = session.scalars(
            select(Page)
            .where(Page.ledger_id == ledger_id, Page.state == PageState.failed)
            .order_by(Page.index)
        ).all()
        return {
            "id": ledger.id,
            "status": ledger.status,
            "register": ledger.register,
            "pages": ledger.pages_total,
            "records": prog.drafts + prog.confirmed + prog.flagged,
            "failed_pages": [{"page": p.index, "error": p.error} for p in failed],
            "progress": prog.model_dump(),
            "error": ledger.error,
        }


def wait_for_ledgers(settings: Settings, ids: list[str], show: bool) -> list[LedgerSummary]:
    total = 0
    for ledger_id in ids:
        total += ledger_summary(settings, ledger_id)["pages"]
    with _progress(show) as bar:
        task = bar.add_task("pages", total=total)
        while True:
            summaries = [ledger_summary(settings, i) for i in ids]
            ended = sum(
                s["progress"]["pages_done"] + s["progress"]["pages_failed"] for s in summaries
            )
            bar.update(task, completed=ended)
            if all(s["status"] in FINAL for s in summaries):
                return summaries
            time.sleep(0.3)


def _report_ingest(
    accepted: list[Accepted],
    refused: list[tuple[str, str]],
    ledgers: list[LedgerSummary] | None,
    as_json: bool,
) -> None:
    by_id = {s["id"]: s for s in ledgers or []}
    if as_json:
        entries: list[IngestedJson] = []
        for a in accepted:
            s = by_id.get(a.id)
            entry = IngestedJson(
                id=a.id,
                status=s["status"] if s else "queued",
                pages=s["pages"] if s else a.pages,
                records=s["records"] if s else 0,
                failed_pages=s["failed_pages"] if s else [],
                path=a.path,
            )
            if a.duplicate:
                entry["duplicate"] = True
            entries.append(entry)
        refusals = [RefusedJson(path=p, error=e) for p, e in refused]
        emit_json(IngestReport(ledgers=entries, refused=refusals))
        return
    for a in accepted:
        s = by_id.get(a.id)
        dup = " (already ingested)" if a.duplicate else ""
        state = f"{s['status']}, {s['records']} records" if s else "queued"
        print(f"{a.id}  {a.pages:>4} pages  {state}{dup}  {a.path}")
        if s and s["failed_pages"]:
            for fp in s["failed_pages"]:
                print(f"    page {fp['page']} failed: {fp['error']}")
    for path, error in refused:
        err.print(f"refused  {path}: {error}", highlight=False, soft_wrap=True)
    err.print(f"{len(accepted)} accepted, {len(refused)} refused", highlight=False)


@app.command()
def status(
    ledger_id: Annotated[str | None, typer.Argument(help="ledger id")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="the whole installation instead of one ledger")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a ledger's processing state and progress, or (--all) the whole installation's."""
    if all_ == (ledger_id is not None):
        fail("give a ledger id, or --all for the whole installation")
    settings = prepared_settings()
    if all_:
        _status_all(settings, as_json)
        return
    assert ledger_id is not None
    s = ledger_summary(settings, ledger_id)
    if as_json:
        emit_json(s)
        return
    p = s["progress"]
    print(f"{s['id']}  {s['register']}  {s['status']}")
    print(
        f"pages: {p['pages_done']} done, {p['pages_failed']} failed, "
        f"{p['pages_pending'] + p['pages_running']} waiting, of {s['pages']}"
    )
    print(f"records: {p['drafts']} draft, {p['confirmed']} confirmed, {p['flagged']} flagged")
    for fp in s["failed_pages"]:
        print(f"page {fp['page']} failed: {fp['error']}")
    if s["error"]:
        print(f"note: {s['error']}")


def _status_all(settings: Settings, as_json: bool) -> None:
    from ocr_service.db import session_scope
    from ocr_service.metrics.overview import installation_overview

    with session_scope(settings) as session:
        o = installation_overview(settings, session)
    q = o.queue
    queue_doc = (
        None
        if q is None
        else {"name": q.name, "reachable": q.reachable, "jobs": q.jobs, "workers": q.workers}
    )
    if as_json:
        emit_json(
            {
                "ledgers": o.ledgers,
                "pages": o.pages,
                "attempts": o.attempts,
                "failures": o.failures,
                "queue": queue_doc,
                "exports": o.exports,
                "training": o.training,
                "models": o.models,
            }
        )
        return

    def counts(d: dict[str, int]) -> str:
        return ", ".join(f"{n} {k}" for k, n in d.items()) or "none"

    print(f"ledgers: {counts(o.ledgers)}")
    print(f"pages: {counts(o.pages)}")
    print(f"page runs: {counts(o.attempts)}")
    print(f"export jobs: {counts(o.exports)}")
    print(f"training jobs: {counts(o.training)}; recogniser versions: {counts(o.models)}")
    if q is None:
        print("queue: none (no SOHOA_REDIS_URL: `sohoa serve` runs jobs itself)")
    elif not q.reachable:
        print(f"queue {q.name}: UNREACHABLE (uploads wait; workers reconnect when it is back)")
    else:
        print(f"queue {q.name}: {counts(q.jobs)}")
        print(f"workers alive: {q.workers}")
    print("failures by reason:" + ("" if o.failures else " none"))
    for reason, n in sorted(o.failures.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {reason}")


# --- one-off OCR, export, synthetic books ---------------------------------------------------


class OcrLineJson(TypedDict):
    text: str
    confidence: float
    bbox: list[int]


class OcrPageJson(TypedDict):
    """One page in `sohoa ocr --json` (CONTRACT.md)."""

    page: int
    width: int
    height: int
    lines: list[OcrLineJson]


@app.command()
def ocr(
    file: Annotated[Path, typer.Argument(help="an image or PDF")],
    engine: Annotated[str | None, typer.Option(help="vi, tesseract, paddle")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    model: Annotated[
        Path | None,
        typer.Option(help="a model dir (from `sohoa train`) for the vi engine's recogniser"),
    ] = None,
    line: Annotated[
        bool,
        typer.Option("--line", help="read each image or page as one text line (no detection)"),
    ] = False,
) -> None:
    """OCR one image or PDF without the database; prints the lines of every page."""
    import cv2
    import numpy as np

    from ocr_service.ingest.documents import Limits, inspect_document, split_pages
    from ocr_service.ingest.sniff import sniff_media_type
    from ocr_service.ocr import get_engine, ocr_image

    settings = settings_or_fail()
    if not file.is_file():
        fail(f"no such file: {file}")
    if model is not None:
        settings = _with_model(settings, engine, model)
    media = sniff_media_type(file, file.name)
    limits = Limits(settings.max_pages, settings.max_page_pixels, settings.render_dpi)
    inspect_document(file, media, limits)
    reader = get_engine(engine or settings.ocr_engine, settings.ocr)
    pages: list[OcrPageJson] = []
    for sp in split_pages(file, media, limits):
        image = cv2.imdecode(np.frombuffer(sp.data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            fail(f"page {sp.index} cannot be decoded")
        if line:
            pages.append(_one_line_page(sp.index, image, reader))
            continue
        result = ocr_image(image, reader)
        lines = [
            OcrLineJson(text=ln.text, confidence=round(ln.confidence, 4), bbox=list(ln.bbox))
            for ln in result.lines
        ]
        pages.append(
            OcrPageJson(page=sp.index, width=result.width, height=result.height, lines=lines)
        )
    if as_json:
        emit_json(
            {
                "pages": pages,
                "engine": reader.name,
                "engine_version": reader.version(),
                "provenance": reader.provenance(),
            }
        )
        return
    for p in pages:
        print(f"--- page {p['page']} ({p['width']}×{p['height']})")
        for ln in p["lines"]:
            print(f"{ln['confidence']:.2f}  {ln['text']}")


def _with_model(settings: Settings, engine: str | None, model: Path) -> Settings:
    """The settings with the vi engine reading with the model dir `model` (checked first)."""
    from ocr_service.ocr.rec_model import load_model_dir

    if (engine or settings.ocr_engine) != "vi":
        fail("--model needs the vi engine (--engine vi)")
    load_model_dir(model)  # BadInput (exit 2) when it is not a usable model dir
    vi = settings.ocr.vi.model_copy(update={"model_dir": str(model.resolve())})
    return settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"vi": vi})})


def _one_line_page(index: int, image: Any, reader: Any) -> OcrPageJson:
    """A page read as one text line (`--line`): the whole image is the line's box."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    text, conf = reader.read_line(grey)
    h, w = grey.shape[:2]
    lines = [OcrLineJson(text=text, confidence=round(conf, 4), bbox=[0, 0, w, h])] if text else []
    return OcrPageJson(page=index, width=w, height=h, lines=lines)


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="the model dir to write (model.onnx + model.json)")],
    lines: Annotated[
        Path | None,
        typer.Option(help="a folder with labels.tsv (file<TAB>text) or a training export"),
    ] = None,
    ledger: Annotated[
        str | None, typer.Option(help="train on the confirmed fields of this ledger")
    ] = None,
    commune: Annotated[str | None, typer.Option(help="... of every ledger of this commune")] = None,
    all_corrections: Annotated[
        bool, typer.Option("--all-corrections", help="... of every ledger of the installation")
    ] = False,
    base: Annotated[
        Path | None, typer.Option(help="the model dir to start from (default: the shipped one)")
    ] = None,
    minutes: Annotated[float, typer.Option(help="time budget, minutes", min=0.1)] = 3.0,
    measure: Annotated[
        bool, typer.Option(help="measure base and new model on the regression set")
    ] = True,
) -> None:
    """Fine-tune the vi recogniser on labelled lines; prints a JSON summary."""
    from ocr_service.training import require_torch
    from ocr_service.training.data import Scope, lines_from_database, read_lines_dir

    sources = [lines is not None, ledger is not None, commune is not None, all_corrections]
    if sum(sources) != 1:
        fail("give exactly one of --lines DIR, --ledger ID, --commune NAME, --all-corrections")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"{out} already exists and is not an empty folder")
    require_torch()
    if base is not None:
        from ocr_service.ocr.rec_model import load_model_dir

        load_model_dir(base)
    if lines is not None:
        data = read_lines_dir(lines)
    else:
        settings = prepared_settings()
        data = lines_from_database(settings, Scope(ledger_id=ledger, commune=commune))
        if not data:
            fail("no confirmed field crops to train on in that scope")
    from ocr_service.training.train import TrainConfig, train_from_lines

    result = train_from_lines(data, out, base=base, config=TrainConfig(minutes=minutes))
    summary: dict[str, Any] = result.to_json()
    if measure:
        from ocr_service.training.guard import evaluate
        from ocr_service.training.synthetic import load_regression_set
        from ocr_service.training.version import update_metrics

        metrics = {}
        for kind, subset in load_regression_set().items():
            metrics[f"regression_{kind}_cer_base"] = round(evaluate(base, subset), 4)
            metrics[f"regression_{kind}_cer"] = round(evaluate(out, subset), 4)
        update_metrics(out, metrics)
        summary["metrics"] = metrics
    emit_json(summary)


@app.command()
def export(
    ledger_id: Annotated[str, typer.Argument(help="ledger id")],
    format: Annotated[
        str, typer.Option("--format", help="json, xlsx, csv, zip, pagexml, training")
    ] = "json",
    out: Annotated[
        Path | None, typer.Option(help="file to write (default: stdout for json/csv)")
    ] = None,
    include_drafts: Annotated[bool, typer.Option(help="also drafts and flagged records")] = False,
    variant: Annotated[str | None, typer.Option(help="Excel column variant, e.g. tst_60")] = None,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv",
            help="csv: values as they are (by default one starting with =, +, -, @, tab or CR "
            "gets a leading ' so that spreadsheets never run it)",
        ),
    ] = False,
) -> None:
    """Export a ledger; only confirmed records unless --include-drafts."""
    import shutil
    import tempfile

    from ocr_service.export.from_db import FORMATS, run_export

    settings = prepared_settings()
    if format not in FORMATS:
        fail(f"unknown format {format!r}: use {', '.join(FORMATS)}")
    if out is None and format not in ("json", "csv"):
        fail(f"--out is needed for {format} (a binary file)")
    if out is not None and out.is_dir():
        fail(f"--out {out} is a folder: give a file name")
    if raw_csv and format != "csv":
        fail("--raw-csv applies to --format csv only")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"export.{format}"
        result = run_export(
            settings,
            ledger_id,
            format,
            include_drafts=include_drafts,
            variant=variant,
            out=target,
            raw_csv=raw_csv,
        )
        if out is None:
            with target.open("rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(target), out)
            err.print(f"{result.records} records → {out}", highlight=False)


@app.command()
def synth(
    register: Annotated[str, typer.Option(help="register slug, e.g. khai-sinh")],
    records: Annotated[int, typer.Option(help="number of records")],
    out: Annotated[Path, typer.Option(help="output folder")],
    style: Annotated[str, typer.Option(help="typed or hand (handwriting-like values)")] = "typed",
    layout: Annotated[str, typer.Option(help="block (since 2016) or table (older)")] = "block",
    seed: Annotated[int, typer.Option(help="random seed: same seed, same book")] = 0,
    degrade: Annotated[
        str, typer.Option(help="none, light or heavy scan defects, or phone (a phone photo)")
    ] = "light",
    plant_errors: Annotated[bool, typer.Option(help="plant numbering/date errors")] = False,
    spreads: Annotated[
        bool, typer.Option(help="two pages per image (table ledgers; block pages with --wide)")
    ] = False,
    group: Annotated[
        str, typer.Option(help="fonts and printings of the tuning or the held-out group")
    ] = "tuning",
    wide: Annotated[
        bool,
        typer.Option(help="wrapping values, capitals, crossed-out words, blots, other printings"),
    ] = False,
) -> None:
    """Generate a realistic synthetic register book with its ground truth."""
    from ocr_service.synth import generate_book

    path = generate_book(
        register,
        records,
        out,
        style=style,
        layout=layout,
        seed=seed,
        degrade=degrade,
        plant_errors=plant_errors,
        spreads=spreads,
        group=group,
        wide=wide,
    )
    print(path)


@app.command()
def bench(
    dirs: Annotated[
        list[Path] | None,
        typer.Argument(help="labelled sets (synth truth.json, or PAGE/ALTO XML beside images)"),
    ] = None,
    engine: Annotated[
        list[str] | None, typer.Option(help="engine(s) to measure (repeat); default vi + tesseract")
    ] = None,
    pages: Annotated[
        int, typer.Option(help="pages per generated set (4 sets: tuning and held-out) when no DIR")
    ] = 4,
    max_pages: Annotated[int | None, typer.Option(help="at most this many pages per set")] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="read page images as they are, not as the pipeline does")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Speed and accuracy of OCR engines on labelled sets (default: fresh synthetic books of the
    tuning and the held-out group), pages read as the pipeline reads them (printed dot leaders
    erased) unless --raw; every figure also by group."""
    import tempfile

    from ocr_service.bench import format_report, run_bench
    from ocr_service.synth import generate_book

    engines = engine or ["vi", "tesseract"]
    for d in dirs or []:
        if not d.is_dir():
            fail(f"no such folder: {d}")
    with tempfile.TemporaryDirectory() as tmp:
        sets = list(dirs or [])
        if not sets:
            # Both groups of issue #13's held-out discipline, drawn with the same variations.
            for group in ("tuning", "held-out"):
                for style in ("typed", "hand"):
                    sets.append(
                        generate_book(
                            "khai-sinh",
                            pages,
                            Path(tmp) / f"khai-sinh-{group}-{style}",
                            style=style,
                            seed=3,
                            group=group,
                            wide=True,
                        )
                    )
        result = run_bench(sets, engines, max_pages=max_pages, raw=raw)
    if as_json:
        emit_json(result)
    else:
        print(format_report(result))


@app.command()
def demo(
    records: Annotated[int, typer.Option(help="records in the sample book")] = 8,
    register: Annotated[str, typer.Option(help="register of the sample book")] = "khai-sinh",
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="start the server")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Generate a sample book, read it, and start the server with a demo clerk account."""
    from sqlalchemy import select

    from models.entities import User
    from ocr_service.auth import create_user
    from ocr_service.db import session_scope
    from ocr_service.ingest.service import ingest_path
    from ocr_service.storage import get_storage
    from ocr_service.synth import generate_book

    settings = prepared_settings()
    if settings.environment == "production":
        fail("sohoa demo creates a demo account with a known password: not in production")
    book_dir = Path(settings.data_dir) / "demo" / f"{register}-{records}"
    show = sys.stderr.isatty() and not as_json
    if show:
        err.print(f"generating a sample {register} book of {records} records…")
    generate_book(register, records, book_dir, style="typed", degrade="light", seed=2019)
    with session_scope(settings) as session:
        if session.scalar(select(User).where(User.username == DEMO_USER)) is None:
            create_user(
                session, DEMO_USER, "reviewer", commune=DEMO_COMMUNE, password=DEMO_PASSWORD
            )
        truth = json.loads((book_dir / "truth.json").read_text(encoding="utf-8"))
        book = truth.get("ledger", {}).get("book")
        year = truth.get("ledger", {}).get("year")
        result = ingest_path(
            session,
            get_storage(settings),
            settings,
            book_dir / "book.pdf",
            meta=BookMeta(
                register,
                commune=DEMO_COMMUNE,
                book=book,
                year=year,
                authority=truth["ledger"].get("noiDangKy"),
            ),
            user_id=None,
        )
        ledger_id = result.ledger.id
    summary = (
        ledger_summary(settings, ledger_id)
        if result.duplicate
        else _run_and_wait(settings, [ledger_id], show)[0]
    )
    if as_json:
        emit_json({"ledger": summary, "user": DEMO_USER, "url": f"http://{host}:{port}/"})
    else:
        print(
            f"sample book {ledger_id}: {summary['status']}, {summary['pages']} pages, "
            f"{summary['records']} draft records"
        )
        print(f"review UI: http://{host}:{port}/  (user {DEMO_USER}, password {DEMO_PASSWORD})")
    if serve_after:
        import uvicorn

        from ocr_service.api.app import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            **uvicorn_logging(settings),
        )


DEMO_USER = "canbo"
DEMO_PASSWORD = "sohoa-demo"
DEMO_COMMUNE = "Xã Mẫu"


# --- users and tokens ------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="clerk, reviewer or admin")] = "clerk",
    commune: Annotated[str | None, typer.Option(help="limit a clerk to this commune")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Create a user (password from stdin, or none for token-only API users)."""
    from ocr_service.auth import create_user
    from ocr_service.db import session_scope

    settings = prepared_settings()
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin")
    with session_scope(settings) as session:
        user = create_user(session, name, role, commune=commune, password=password)
        print(f"user {user.username} ({user.role}) created")


def _set_active(name: str, active: bool) -> None:
    from ocr_service.audit import record_event
    from ocr_service.auth import end_user_sessions, get_user
    from ocr_service.db import session_scope

    settings = prepared_settings()
    with session_scope(settings) as session:
        user = get_user(session, name)
        if user.active != active:
            user.active = active
            changes: JsonObject = {"active": [not active, active]}
            if not active:
                # As the API does: enabling the user later brings back no open session.
                changes["sessions_ended"] = end_user_sessions(session, user)
            # No user acts here: whoever runs the CLI holds the server itself.
            record_event(
                session,
                "user.update",
                "user",
                str(user.id),
                data={"username": user.username, "changes": changes},
            )
    state = "enabled" if active else "disabled: its sessions and tokens no longer work"
    print(f"user {name} {state}")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    _set_active(name, False)


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Enable a disabled user again (their unrevoked tokens work again)."""
    _set_active(name, True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="user the token acts as")],
    label: Annotated[str, typer.Option(help="what the token is for")] = "api",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API bearer token for a user; it is shown once."""
    from ocr_service.auth import create_token, get_user
    from ocr_service.db import session_scope

    settings = prepared_settings()
    with session_scope(settings) as session:
        user = get_user(session, name)
        token = create_token(session, user, label)
    if as_json:
        emit_json({"token": token, "user": name, "name": label})
    else:
        print(token)


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="only this user's tokens")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List API tokens: id, user, label, first characters, created, last used, revoked."""
    from ocr_service.auth import get_user, list_tokens
    from ocr_service.db import session_scope

    settings = prepared_settings()
    with session_scope(settings) as session:
        owner = get_user(session, user) if user is not None else None
        rows: list[JsonObject] = [
            {
                "id": t.id,
                "user": t.user.username,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in list_tokens(session, owner)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        used = row["last_used_at"] or "never used"
        print(f"{row['id']}\t{row['user']}\t{row['name']}\t{row['prefix']}…\t{used}\t{state}")


@token_app.command("revoke")
def token_revoke(
    token_ref: Annotated[str, typer.Argument(metavar="ID", help="the token's id (token list)")],
) -> None:
    """Revoke an API token: it stops working at once."""
    from ocr_service.audit import record_event
    from ocr_service.auth import find_token, revoke_token
    from ocr_service.db import session_scope

    # Parsed here, not by click, so a wrong id is one line like every other CLI error.
    if not token_ref.strip().isdecimal():
        fail(f"a token id is a number (sohoa token list), not {token_ref!r}")
    token_id = int(token_ref)
    settings = prepared_settings()
    with session_scope(settings) as session:
        token = find_token(session, token_id) if 1 <= token_id < 2**31 else None
        if token is None:
            fail(f"no token with id {token_id}")
        if revoke_token(token):
            record_event(
                session,
                "token.revoke",
                "api_token",
                str(token.id),
                data={"user": token.user.username, "name": token.name, "prefix": token.prefix},
            )
            print(f"token {token_id} ({token.user.username}, {token.name}) revoked")
        else:
            print(f"token {token_id} was already revoked")


# --- entry point -----------------------------------------------------------------------------


def main() -> None:
    configure_logging(log_level(), log_format())
    try:
        result = app(standalone_mode=False)
    except (click.exceptions.Exit, typer.Exit) as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        err.print("aborted")
        sys.exit(1)
    except (click.ClickException, typer.TyperException) as exc:
        # Usage errors (a missing argument, an unknown command or option): one line, exit 2.
        # Typer ≥ 0.22 raises its own copy of click's exceptions, not click's.
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        err.print(f"[red]error:[/red] {escape(str(message))}", highlight=False)
        sys.exit(2)
    except SohoaError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        logging.getLogger("sohoa").debug("internal error", exc_info=True)
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
