"""Review-UI test support: a live uvicorn server and a seeded synthetic book with draft records."""

from __future__ import annotations

import hashlib
import json
import random
import socket
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page as BrowserPage
from playwright.sync_api import ViewportSize, expect

from models.entities import (
    DraftRecord,
    FieldValue,
    Ledger,
    LedgerStatus,
    Original,
    Page,
    PageState,
)
from ocr_service.auth import create_user
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.records.store import field_value
from ocr_service.storage import get_storage, original_key

PASSWORD = "mat-khau-dung-8"
SCREEN: ViewportSize = {"width": 1366, "height": 768}

# Fields a clerk would type from the page (printed on it); the others come from the book's cover
# or are derived, and the review form shows them already filled.
BOOK_SOURCES = {"noiDangKy": "book", "quyenSo": "book"}
CONFUSIONS = dict(zip("01356789", "87865134", strict=True))  # digits OCR commonly swaps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """The real app under uvicorn in a background thread, on a free 127.0.0.1 port.

    `start_jobs`: with the job runner (uploads are read, exports written); off by default.
    """

    def __init__(self, settings: Settings, *, start_jobs: bool = False) -> None:
        from ocr_service.api.app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, start_jobs=start_jobs),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="ui-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class SeededRecord:
    id: str
    seq: int
    truth: dict[str, str | None]  # code -> true value (export form)
    printed: list[str]  # codes printed on the page, in reading order
    wrong: dict[str, str]  # code -> the machine's wrong draft value
    unsure_right: list[str]  # codes flagged unsure/check although the draft is right
    silent_wrong: dict[str, str] = field(default_factory=dict)  # wrong but marked sure


@dataclass
class SeededBook:
    ledger_id: str
    register: str
    book_dir: Path
    records: list[SeededRecord]


def strip_marks(text: str) -> str:
    """The commonest OCR slip on Vietnamese: diacritics lost (đ kept as d)."""
    nfd = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in nfd if not unicodedata.combining(c)))


def misread(value: str, rng: random.Random) -> str:
    """A plausible misreading of `value`: lost diacritics, or a swapped / confused digit."""
    if any(c.isdigit() for c in value):
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        i = rng.choice(digits)
        c = value[i]
        return value[:i] + CONFUSIONS.get(c, str((int(c) + 1) % 10)) + value[i + 1 :]
    plain = strip_marks(value)
    if plain != value:
        return plain
    return value[:-1] if len(value) > 2 else value + "l"


def make_book(out: Path, records: int, seed: int, register: str = "khai-sinh") -> Path:
    """A synthetic typed block-form book (real rendered pages, with ground truth)."""
    from ocr_service.synth.book import generate_book

    if not (out / "truth.json").exists():
        generate_book(
            register, records, out, style="typed", layout="block", seed=seed, degrade="light",
            dpi=100,
        )  # fmt: skip
    return out


def seed_book(
    settings: Settings,
    book_dir: Path,
    *,
    commune: str | None = None,
    plan: dict[int, dict[str, Any]] | None = None,
    error_rate: float = 0.0,
    unsure_rate: float = 0.0,
    silent_rate: float = 0.0,
    seed: int = 0,
    drafts: list[Any] | None = None,
) -> SeededBook:
    """Store the book's pages and one draft record per truth record.

    Drafts equal the truth except: `plan[i] = {"wrong": [codes], "unsure": [codes],
    "warnings": [{"field", "rule", "message"}], "issues": {code: [issue codes]}}` for exact
    test cases, or random misreadings at
    `error_rate` (flagged unsure), right values flagged at `unsure_rate`, and wrong values the
    machine is sure of at `silent_rate`. With `drafts` (RecordDraft objects from the real OCR +
    extraction, one per page), those are stored instead.
    """
    truth = json.loads((book_dir / "truth.json").read_text(encoding="utf-8"))
    register = truth["register"]
    storage = get_storage(settings)
    pdf = (book_dir / "book.pdf").read_bytes()
    sha = hashlib.sha256(pdf).hexdigest()
    rng = random.Random(seed)
    upgrade_database(settings)
    seeded: list[SeededRecord] = []
    with session_scope(settings) as session:
        okey = original_key(sha)
        storage.put_bytes(okey, pdf)
        if session.get(Original, sha) is None:
            session.add(
                Original(sha256=sha, size=len(pdf), media_type="application/pdf", storage_key=okey)
            )
        ledger = Ledger(
            original_sha256=sha,
            filename="so-khai-sinh.pdf",
            register=register,
            commune=commune or truth["ledger"]["commune"],
            book=truth["ledger"]["book"],
            year=truth["ledger"]["year"],
            layout="block",
            status=LedgerStatus.done,
            pages_total=len(truth["pages"]),
        )
        session.add(ledger)
        session.flush()
        for p in truth["pages"]:
            key = f"pages/{ledger.id}/{p['page']:05d}.jpg"
            storage.put_bytes(key, (book_dir / p["file"]).read_bytes())
            session.add(
                Page(
                    ledger_id=ledger.id,
                    index=p["page"],
                    state=PageState.done,
                    width=p["width"],
                    height=p["height"],
                    image_key=key,
                    image_source="image",
                )
            )
        for i, rec in enumerate(truth["records"]):
            page_no = i + 1  # block form: one record per page
            if drafts is not None:
                seeded.append(store_draft(session, ledger.id, page_no, rec, drafts[i]))
                continue
            case = (plan or {}).get(i, {})
            printed = [c for c, v in rec["fields"].items() if v.get("bbox")]
            printed.sort(key=lambda c: (rec["fields"][c]["bbox"][1], rec["fields"][c]["bbox"][0]))
            wrong: dict[str, str] = {}
            unsure: list[str] = list(case.get("unsure", []))
            silent: dict[str, str] = {}
            for code in printed:
                value = rec["fields"][code]["value"]
                if code in case.get("wrong", []) or (
                    not case and error_rate and rng.random() < error_rate
                ):
                    bad = misread(value, rng)
                    if bad != value:
                        wrong[code] = bad
                elif not case and silent_rate and rng.random() < silent_rate:
                    bad = misread(value, rng)
                    if bad != value:
                        silent[code] = bad
                elif not case and unsure_rate and rng.random() < unsure_rate:
                    unsure.append(code)
            record = DraftRecord(
                ledger_id=ledger.id,
                source_key=f"p{page_no}",
                page=page_no,
                pages=[page_no],
                seq=page_no * 1000,
                warnings=list(case.get("warnings", [])),
            )
            for code, v in rec["fields"].items():
                value = wrong.get(code, silent.get(code, v["value"]))
                on_page = bool(v.get("bbox"))
                if code in wrong:
                    band, conf = "unsure", 0.41
                elif code in unsure:
                    band, conf = "check", 0.72
                else:
                    band, conf = "sure", 0.97
                record.fields.append(
                    FieldValue(
                        code=code,
                        value=value,
                        raw=(wrong[code] if code in wrong else v["text"]) if on_page else None,
                        confidence=conf,
                        band=band,
                        bbox=v.get("bbox"),
                        page=page_no if on_page else None,
                        source="ocr" if on_page else BOOK_SOURCES.get(code, "derived"),
                        issues=list(case.get("issues", {}).get(code, [])),
                        candidates=[],
                    )
                )
            session.add(record)
            session.flush()
            seeded.append(
                SeededRecord(
                    id=record.id,
                    seq=record.seq,
                    truth={c: v["value"] for c, v in rec["fields"].items()},
                    printed=printed,
                    wrong=wrong,
                    unsure_right=unsure,
                    silent_wrong=silent,
                )
            )
        ledger_id = ledger.id
    return SeededBook(ledger_id=ledger_id, register=register, book_dir=book_dir, records=seeded)


def store_draft(
    session: Any, ledger_id: str, page_no: int, truth_rec: dict[str, Any], draft: Any
) -> SeededRecord:
    """One extracted RecordDraft as a stored draft record, compared with its truth."""
    record = DraftRecord(
        ledger_id=ledger_id,
        source_key=f"p{page_no}",
        page=page_no,
        pages=[page_no],
        seq=page_no * 1000,
        warnings=[w.to_json() for w in draft.warnings],
    )
    for code, fd in draft.fields.items():
        record.fields.append(field_value(code, fd, page_no))
    session.add(record)
    session.flush()
    truth = {c: v["value"] for c, v in truth_rec["fields"].items()}
    printed = [c for c, v in truth_rec["fields"].items() if v.get("bbox")]
    wrong: dict[str, str] = {}
    silent: dict[str, str] = {}
    unsure: list[str] = []
    for code, fd in draft.fields.items():
        right = (fd.value or None) == (truth.get(code) or None)
        if not right and fd.band == "sure":
            silent[code] = fd.value or ""
        elif not right:
            wrong[code] = fd.value or ""
        elif fd.band != "sure":
            unsure.append(code)
    return SeededRecord(
        id=record.id,
        seq=record.seq,
        truth=truth,
        printed=printed,
        wrong=wrong,
        unsure_right=unsure,
        silent_wrong=silent,
    )


def add_user(settings: Settings, username: str, role: str, commune: str | None = None) -> str:
    with session_scope(settings) as session:
        create_user(session, username, role, commune=commune, password=PASSWORD)
    return username


def keyboard_login(
    page: BrowserPage, url: str, username: str, password: str, errors: list[str], timeout_ms: int
) -> None:
    """Log in with the keyboard only; script errors and CSP refusals go to `errors`."""
    page.on("pageerror", lambda err: errors.append(f"{username}: {err}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"{username}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    page.set_default_timeout(timeout_ms)
    page.goto(url + "/")
    expect(page.locator("#login-user")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text(username)
