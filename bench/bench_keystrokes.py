"""Keystrokes per record: confirming machine drafts in the review UI against typing from scratch.

A synthetic typed book (ocr_service.synth, with ground truth) is read by the real OCR engine and
extractor (`--drafts ocr`, the default) or given simulated misreadings (`--drafts simulated`); the
drafts are stored, the real app is served by uvicorn, and Playwright drives Debian chromium like a
clerk who knows the truth: fix and accept each field the UI sends the focus to (Enter), reach
any wrong field the machine was sure of with Tab, confirm with Ctrl+Enter. A wrong value is
fixed by the cheaper of retyping it and editing the differing part with Home/End, arrows and
Delete/Backspace (`--strategy edit`, the default), or always retyped (`--strategy retype`). Every
key press goes through one counter and the export is compared with the truth at the end.
From scratch = the characters of every value printed on the page plus one Tab between fields.
Both sides are also costed with Vietnamese Telex typing (ế = e e s).

    python bench/bench_keystrokes.py --records 10            # real OCR drafts (~6 s a page)
    python bench/bench_keystrokes.py --drafts simulated --records 30
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from ocr_service.config import Settings  # noqa: E402
from tests.ui_support import (  # noqa: E402
    PASSWORD,
    SCREEN,
    LiveServer,
    SeededBook,
    SeededRecord,
    add_user,
    seed_book,
)

MARKS_TELEX = {"\u0302": 1, "\u0306": 1, "\u031b": 1}  # circumflex, breve, horn: one extra key
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # each tone: one extra key


def telex_keys(text: str) -> int:
    """Key presses to type `text` with the Telex input method (đ = dd, ế = ees, ư = uw…)."""
    keys = 0
    for ch in unicodedata.normalize("NFC", text):
        if ch in "đĐ":
            keys += 2
            continue
        parts = unicodedata.normalize("NFD", ch)
        keys += 1 + sum(MARKS_TELEX.get(c, 0) for c in parts[1:]) + sum(c in TONES for c in parts)
    return keys


@dataclass
class Counter:
    """Counts every key the simulated clerk presses (a chord counts each of its keys)."""

    page: Page
    keys: int = 0
    chars: int = 0
    telex: int = 0
    log: list[str] = field(default_factory=list)

    def press(self, combo: str) -> None:
        n = len(combo.split("+"))
        self.keys += n
        self.telex += n
        self.log.append(combo)
        self.page.keyboard.press(combo)

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.chars += len(text)
        self.telex += telex_keys(text)
        self.log.append(f"type:{len(text)}")
        self.page.keyboard.type(text)


@dataclass
class RecordResult:
    seq: int
    fields_printed: int
    flagged_fields: int
    corrected: int
    silent_fixed: int
    ui_keys: int
    ui_telex: int
    scratch_keys: int
    scratch_telex: int
    seconds: float
    silent_codes: list[str] = field(default_factory=list)


def edit_plan(current: str, want: str) -> list[tuple[str, str | int]]:
    """The cheapest keyboard fix of `current` into `want` with its text selected.

    Either retype it all, or keep the common prefix / suffix: Home + → × prefix (or End + ← ×
    suffix), Delete / Backspace the differing middle and type the right middle.
    """
    if not current:
        return [("type", want)] if want else []
    p = 0
    while p < min(len(current), len(want)) and current[p] == want[p]:
        p += 1
    s = 0
    while s < min(len(current), len(want)) - p and current[-1 - s] == want[-1 - s]:
        s += 1
    cut = len(current) - p - s
    middle = want[p : len(want) - s]
    retype = len(want) if want else 1
    from_start = 1 + p + cut + len(middle)
    from_end = 1 + s + cut + len(middle)
    if retype <= min(from_start, from_end):
        return [("type", want)] if want else [("press", "Delete")]
    if from_start <= from_end:
        plan: list[tuple[str, str | int]] = [("press", "Home"), ("repeat", p), ("del", cut)]
        return [*plan, ("type", middle)]
    return [("press", "End"), ("back", s), ("backspace", cut), ("type", middle)]


def fix_field(counter: Counter, current: str, want: str, strategy: str) -> None:
    """Type `want` over the selected `current`: retype all, or edit the differing part."""
    if strategy == "retype":
        if want:
            counter.type(want)
        else:
            counter.press("Delete")
        return
    for step, arg in edit_plan(current, want):
        if step == "type":
            if arg:
                counter.type(str(arg))
        elif step == "press":
            counter.press(str(arg))
        else:
            key = {"repeat": "ArrowRight", "back": "ArrowLeft", "del": "Delete"}.get(
                step, "Backspace"
            )
            for _ in range(int(arg)):
                counter.press(key)


def scratch_cost(rec: SeededRecord) -> tuple[int, int]:
    values = [str(rec.truth[c] or "") for c in rec.printed]
    tabs = max(0, len(values) - 1)
    return sum(len(v) for v in values) + tabs, sum(telex_keys(v) for v in values) + tabs


def active_code(page: Page) -> str | None:
    code: str | None = page.evaluate(
        "document.activeElement && document.activeElement.dataset.code"
    )
    return code


def wait_ready(page: Page, record_id: str) -> None:
    page.wait_for_function(
        "id => location.hash.endsWith(id) && document.querySelector('.field-row.active')"
        " && document.activeElement && document.activeElement.dataset.code",
        arg=record_id,
    )


def form_order(page: Page) -> list[str]:
    codes: list[str] = page.eval_on_selector_all(
        ".field-row .field-input", "els => els.map(e => e.dataset.code)"
    )
    return codes


def review_one(page: Page, rec: SeededRecord, strategy: str) -> RecordResult:
    t0 = time.perf_counter()
    wait_ready(page, rec.id)
    counter = Counter(page)
    corrected = 0
    flagged = 0
    seen: set[str] = set()
    # 1. The fields the UI asks about, in the order it sends the focus (Enter = accept, go on).
    while True:
        code = active_code(page)
        if code is None or code in seen:
            break
        seen.add(code)
        flagged += 1
        want = str(rec.truth.get(code) or "")
        current = page.input_value(f"#f-{code}")
        if current != want:
            fix_field(counter, current, want, strategy)  # the text is selected on focus
            corrected += 1
        counter.press("Enter")
        if active_code(page) == code:
            break  # nothing left to check
    # 2. Wrong values the machine was sure of: the clerk spots them and moves there with Tab.
    order = form_order(page)
    silent = 0
    silent_codes: list[str] = []
    for code in order:
        want = str(rec.truth.get(code) or "")
        if page.input_value(f"#f-{code}") == want:
            continue
        here = active_code(page)
        steps = order.index(code) - order.index(here) if here in order else 0
        for _ in range(abs(steps)):
            counter.press("Tab" if steps > 0 else "Shift+Tab")
        assert active_code(page) == code, (code, active_code(page))
        fix_field(counter, page.input_value(f"#f-{code}"), want, strategy)
        silent += 1
        silent_codes.append(code)
    # Everything on the form is right before confirming (the export is checked again at the end).
    for code in order:
        want = str(rec.truth.get(code) or "")
        got = page.input_value(f"#f-{code}")
        if got != want:
            raise AssertionError(
                f"{code}: {got!r} != {want!r}; draft wrong={rec.wrong.get(code)!r} "
                f"silent={rec.silent_wrong.get(code)!r} keys={counter.log[-12:]}"
            )
    counter.press("Control+Enter")
    page.wait_for_function("id => !location.hash.endsWith(id)", arg=rec.id)
    scratch, scratch_telex = scratch_cost(rec)
    return RecordResult(
        seq=rec.seq,
        fields_printed=len(rec.printed),
        flagged_fields=flagged,
        corrected=corrected,
        silent_fixed=silent,
        ui_keys=counter.keys,
        ui_telex=counter.telex,
        scratch_keys=scratch,
        scratch_telex=scratch_telex,
        seconds=time.perf_counter() - t0,
        silent_codes=silent_codes,
    )


def ocr_drafts(book_dir: Path, engine_name: str) -> list[Any]:
    """The real pipeline's reading of each page: OCR engine + block-form extraction."""
    import cv2

    from models.book import BookMeta
    from ocr_service.extract.records import extract_records
    from ocr_service.ocr import get_engine, ocr_image

    truth = json.loads((book_dir / "truth.json").read_text(encoding="utf-8"))
    engine = get_engine(engine_name)
    pages = []
    images = {}
    for p in truth["pages"]:
        image = cv2.imread(str(book_dir / p["file"]), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise SystemExit(f"cannot read {p['file']}")
        pages.append((p["page"], ocr_image(image, engine, None)))
        images[p["page"]] = image
    m = truth["ledger"]
    meta = BookMeta(
        m["register"],
        commune=m["commune"],
        book=m["book"],
        year=m["year"],
        authority=m["noiDangKy"],
    )
    drafts = extract_records(truth["register"], "block", pages, meta, images=images)
    by_page = {d.page: d for d in drafts}
    return [by_page[p["page"]] for p in truth["pages"]]


def export_errors(page: Page, url: str, book: SeededBook) -> tuple[int, int]:
    """Fields of the confirmed export that differ from the truth, and fields compared."""
    res = page.request.get(f"{url}/api/v1/ledgers/{book.ledger_id}/export?format=json")
    data = json.loads(res.body())
    by_id = {r["id"]: r for r in data["records"]}
    wrong = total = 0
    for rec in book.records:
        fields = by_id[rec.id]["fields"]
        for code, value in rec.truth.items():
            total += 1
            got = (fields.get(code) or {}).get("value")
            wrong += (got or None) != (value or None)
    return wrong, total


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ocr_service.synth.book import generate_book

    work = Path(tempfile.mkdtemp(prefix="sohoa-keys-"))
    dpi = 200 if args.drafts == "ocr" else 100
    book_dir = generate_book(
        args.register, args.records, work / "book", style="typed", layout="block",
        seed=args.seed, degrade="light", dpi=dpi,
    )  # fmt: skip
    settings = Settings(
        environment="test",
        data_dir=work / "data",
        database_url=f"sqlite:///{work / 'bench.db'}",
        ocr_engine="none",
    )
    t = time.perf_counter()
    drafts = ocr_drafts(book_dir, args.engine) if args.drafts == "ocr" else None
    ocr_seconds = time.perf_counter() - t
    book = seed_book(
        settings, book_dir, drafts=drafts, seed=args.seed,
        error_rate=args.error_rate, unsure_rate=args.unsure_rate, silent_rate=args.silent_rate,
    )  # fmt: skip
    add_user(settings, "canbo", "clerk")
    server = LiveServer(settings).start()
    results: list[RecordResult] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport=SCREEN)
            page.set_default_timeout(20_000)
            page.goto(server.url + "/")  # logging in is not part of a record's cost
            page.fill("#login-user", "canbo")
            page.fill("#login-pass", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_selector("button.start:focus")
            page.keyboard.press("Enter")
            for rec in book.records:
                results.append(review_one(page, rec, args.strategy))
            wrong, total = export_errors(page, server.url, book)
            browser.close()
    finally:
        server.stop()
    ui = sum(r.ui_keys for r in results)
    scratch = sum(r.scratch_keys for r in results)
    ui_t = sum(r.ui_telex for r in results)
    scratch_t = sum(r.scratch_telex for r in results)
    n = len(results)
    drafted = sum(len(r.wrong) + len(r.silent_wrong) for r in book.records)
    printed = sum(len(r.printed) for r in book.records)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": "2-core, 24 GiB, no GPU",
        "register": args.register,
        "drafts": args.drafts + (f" ({args.engine})" if args.drafts == "ocr" else ""),
        "strategy": args.strategy,
        "records": n,
        "printed_fields_per_record": round(printed / n, 1),
        "machine_wrong_fields_per_record": round(drafted / n, 2),
        "flagged_fields_per_record": round(sum(r.flagged_fields for r in results) / n, 2),
        "silent_errors_per_record": round(sum(r.silent_fixed for r in results) / n, 2),
        "ui_keys_per_record": round(ui / n, 1),
        "scratch_keys_per_record": round(scratch / n, 1),
        "ratio_keys": round(ui / scratch, 3),
        "ui_telex_per_record": round(ui_t / n, 1),
        "scratch_telex_per_record": round(scratch_t / n, 1),
        "ratio_telex": round(ui_t / scratch_t, 3),
        "export_fields_wrong": wrong,
        "export_fields_compared": total,
        "ui_seconds_per_record": round(sum(r.seconds for r in results) / n, 2),
        "ocr_seconds_per_page": round(ocr_seconds / n, 2) if drafts is not None else None,
        "per_record": [r.__dict__ for r in results],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10)
    ap.add_argument("--register", default="khai-sinh")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drafts", choices=["ocr", "simulated"], default="ocr")
    ap.add_argument("--engine", default="vi", help="OCR engine for --drafts ocr")
    ap.add_argument("--error-rate", type=float, default=0.10, help="simulated: misread, flagged")
    ap.add_argument("--unsure-rate", type=float, default=0.15, help="simulated: right, flagged")
    ap.add_argument("--silent-rate", type=float, default=0.02, help="simulated: wrong, sure")
    ap.add_argument(
        "--strategy",
        choices=["edit", "retype"],
        default="edit",
        help="fix a wrong value by editing the differing part (cheaper of edit / retype) or "
        "always retyping it",
    )
    ap.add_argument("--json", type=Path, help="write the full result here")
    ap.add_argument("--per-record", action="store_true", help="print every record's figures")
    args = ap.parse_args()
    result = run(args)
    shown = {k: v for k, v in result.items() if k != "per_record" or args.per_record}
    print(json.dumps(shown, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
