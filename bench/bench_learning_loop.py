"""The learning loop end to end (#17), a benchmark run on purpose, not part of the suite:

    python -m pytest -s bench/bench_learning_loop.py

It is not in tests/ because its outcome is not yet reliable enough for CI: with the job's pull
toward the replaced version (learning.job.JOB_ANCHOR) and this book's hand, 6 of 6 runs
activated on 2026-12-07 and pages 5-8 went from 41 to 59-63 of 81 fields; on a held-out script
hand 6 of 8 (the others refused for 2-3 edits of print); docs/BENCHMARKS.md "The learning loop
end to end". A test that fails one run in several would only make CI flaky; the loop's parts
are tested in tests/test_learning_loop.py, tests/test_learning_queue.py and
tests/test_training.py.

The loop in the product: a handwritten synthetic book is read; its clerk
corrects and confirms the first pages through the API; that confirmation queues a training
job, which the in-process runner runs; the guard measures the new version on corrections held
out from its training and activates it; the book's other pages are read again with it, their
untouched drafts get better, and nothing the clerk typed or confirmed changes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.book import BookMeta
from models.entities import DraftRecord, Ledger, ModelState, ModelVersion, Page, PageOcr
from ocr_service.auth import create_token, create_user
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.export.spec import field_spec
from ocr_service.export.training import VERBATIM_TYPES
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.dispatch import LocalRunner
from ocr_service.jobs.lifecycle import JobTask
from ocr_service.storage import get_storage
from ocr_service.synth import generate_book
from tests.conftest import make_settings
from tests.test_learning_loop import _edit_confirm

RECORDS = 8  # one record a page
SEED = 0  # the book's records
# The book's hand: a tuning-group font the shipped recogniser never learnt (its recipe took the
# first nine tuning hands, training/forms.RECIPE_HAND_FONTS), so the clerk has real corrections
# to make and a new version real room to win (pages 5-8: 41 of 81 fields read exact). Until
# the thirteenth session it was seed 0's Dancing Script, which the shipped model now reads
# (71 of 81: two of three runs found nothing left to win). SOHOA_BENCH_HAND and
# SOHOA_BENCH_GROUP measure another hand (a held-out one, for a held-out figure).
HAND_FONT = os.environ.get("SOHOA_BENCH_HAND", "Caramel-Regular.ttf")
GROUP = os.environ.get("SOHOA_BENCH_GROUP", "tuning")
CORRECTED = 4  # the clerk corrects and confirms the first pages
WAIT_S = 1800
# The training job's budget, unless the environment sets it as it does for the product
# (SOHOA_TRAIN_MINUTES, SOHOA_TRAIN_MAX_STEPS): a few minutes of a 2-core CI machine.
TRAIN_MINUTES = 5.0
TRAIN_MAX_STEPS = 40


def _train_budget() -> dict[str, object]:
    budget: dict[str, object] = {}
    if not os.environ.get("SOHOA_TRAIN_MINUTES"):
        budget["train_minutes"] = TRAIN_MINUTES
    if not os.environ.get("SOHOA_TRAIN_MAX_STEPS"):
        budget["train_max_steps"] = TRAIN_MAX_STEPS
    return budget


class SubmitOnly:
    """The runner's submit, without its close."""

    def __init__(self, runner: LocalRunner) -> None:
        self.runner = runner

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.runner.submit(task, arg)


def _wait(settings: Settings, ledger_id: str, done: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with session_scope(settings) as session:
            if done(session, session.get(Ledger, ledger_id)):
                return
        time.sleep(0.5)
    raise AssertionError("timed out")


def _finished(session: Any, ledger: Ledger) -> bool:
    return ledger.status in ("done", "partial", "failed")


def _records(settings: Settings, ledger_id: str) -> dict[int, dict[str, Any]]:
    """Each page's record: status, version and every field's stored columns."""
    with session_scope(settings) as session:
        rows = session.scalars(
            select(DraftRecord)
            .where(DraftRecord.ledger_id == ledger_id)
            .options(selectinload(DraftRecord.fields))
        )
        return {
            r.page: {
                "id": r.id,
                "status": r.status,
                "version": r.version,
                "confirmed_by": r.confirmed_by,
                "confirmed_at": r.confirmed_at,
                "fields": {
                    f.code: (f.value, f.raw, f.confidence, f.band, f.bbox, f.source, f.edited)
                    for f in r.fields
                },
            }
            for r in rows
        }


def _verbatim_truth(register: str, record: dict[str, Any]) -> dict[str, str]:
    """The record's fields written on the page whose value is the text as written."""
    return {
        code: f["value"]
        for code, f in record["fields"].items()
        if f["text"] is not None
        and f["value"]
        and field_spec(register, code).get("type") in VERBATIM_TYPES
    }


def _exact(stored: dict[int, dict[str, Any]], truth: dict[int, dict[str, str]]) -> int:
    """How many of the truth's verbatim fields have exactly the right stored value."""
    return sum(
        code in stored[page]["fields"] and stored[page]["fields"][code][0] == value
        for page, fields in truth.items()
        for code, value in fields.items()
    )


@pytest.mark.slow
def test_corrections_train_a_version_that_rereads_the_untouched_drafts_better(
    tmp_path: Path,
) -> None:
    book = generate_book(
        "khai-sinh",
        RECORDS,
        tmp_path / "book",
        style="hand",
        seed=SEED,
        hand_font=HAND_FONT,
        group=GROUP,
    )
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    register = truth["register"]
    truth_by_page = {r["page"]: r for r in truth["records"]}
    # The budget is the runner's: its child processes run the training job.
    base = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", ocr_engine="vi", **_train_budget()
    )
    upgrade_database(base)
    meta = truth["ledger"]
    with session_scope(base) as session:
        ledger_id = ingest_path(
            session,
            get_storage(base),
            base,
            book / "book.pdf",
            meta=BookMeta(register, commune=meta["commune"], book=meta["book"], year=meta["year"]),
            user_id=None,
        ).ledger.id
        clerk = create_user(session, "thu", "clerk", password="thu-mat-khau")
        token = create_token(session, clerk)

    runner = LocalRunner(base, workers=2)
    try:
        runner.submit("split", ledger_id)
        _wait(base, ledger_id, _finished)
        before = _records(base, ledger_id)
        # What the clerk will type: every written field the machine read wrong on the
        # first pages. The training job is due exactly at the last of them.
        corrections = {
            page: {
                code: value
                for code, value in _verbatim_truth(register, truth_by_page[page]).items()
                if before[page]["fields"].get(code, (None,))[0] != value
            }
            for page in range(1, CORRECTED + 1)
        }
        count = sum(len(c) for c in corrections.values())
        assert count > 10, "the shipped model should misread this hand"
        settings = base.model_copy(update={"train_every": count})
        from ocr_service.api.app import create_app

        with TestClient(create_app(settings, start_jobs=False)) as client:
            # The runner takes the training job; the app must not close it when it stops.
            client.app.state.dispatcher = SubmitOnly(runner)  # type: ignore[attr-defined]
            for page, fields in corrections.items():
                _edit_confirm(client, token, before[page]["id"], fields)
        typed = _records(settings, ledger_id)
        with session_scope(settings) as session:
            first_read = {
                p.index: (p.finished_at, session.get(PageOcr, p.id).provenance)  # type: ignore[union-attr]
                for p in session.scalars(select(Page).where(Page.ledger_id == ledger_id))
            }

        def trained(session: Any, ledger: Ledger) -> bool:
            version = session.scalar(select(ModelVersion))
            if version is None or version.state == ModelState.candidate:
                return False
            return version.state != ModelState.active or _finished(session, ledger)

        _wait(settings, ledger_id, trained)
    finally:
        runner.close()

    with session_scope(settings) as session:
        version = session.scalar(select(ModelVersion))
        assert version is not None
        metrics, state, reason = dict(version.metrics), version.state, version.reason
        scope, sha = (version.scope_kind, version.scope_key), version.sha256
        pages = {
            p.index: (p.finished_at, session.get(PageOcr, p.id).provenance)  # type: ignore[union-attr]
            for p in session.scalars(select(Page).where(Page.ledger_id == ledger_id))
        }
    print(f"version {state}: {reason}; {metrics}")
    # The guard really decided, on numbers stored with the version: better on the corrections
    # held out from training, no worse on the regression sets of print and handwriting fonts.
    assert state == ModelState.active, reason
    assert scope == ("ledger", ledger_id)
    assert metrics["heldout_cer_after"] < metrics["heldout_cer_before"]
    assert set(metrics["regression"]) == {"print", "hand"}
    assert metrics["steps"] >= 1 and metrics["seconds"] > 0 and metrics["peak_rss_mb"] > 0
    budget = settings.train_max_steps
    assert budget is None or metrics["steps"] <= budget
    after = _records(settings, ledger_id)
    # Nothing the clerk typed or confirmed changed, byte for byte.
    for page in range(1, CORRECTED + 1):
        assert after[page]["status"] == "confirmed"
        assert after[page] == typed[page]
        for code, value in corrections[page].items():
            assert after[page]["fields"][code][0] == value
        assert pages[page] == first_read[page]  # and their pages were not read again
    # The untouched pages were read again by the new version, and read better.
    untouched = range(CORRECTED + 1, RECORDS + 1)
    for page in untouched:
        assert after[page]["status"] == "draft" and after[page]["version"] == 1
        assert pages[page][0] != first_read[page][0]
        assert sha in json.dumps(pages[page][1])
    truth_rest = {p: _verbatim_truth(register, truth_by_page[p]) for p in untouched}
    total = sum(len(fields) for fields in truth_rest.values())
    was = _exact({p: before[p] for p in untouched}, truth_rest)
    now = _exact({p: after[p] for p in untouched}, truth_rest)
    print(f"pages {CORRECTED + 1}-{RECORDS}, verbatim fields exact: {was} -> {now} of {total}")
    assert now > was
