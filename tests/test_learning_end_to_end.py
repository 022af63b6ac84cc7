"""The learning loop end to end (#17), in the product as a clerk meets it.

A handwritten synthetic book is read; its clerk corrects and confirms the first pages through
the API; that confirmation queues a training job, which the in-process runner runs; the guard
measures the new version on corrections held out from its training and activates it; the
book's other pages are read again with it, their untouched drafts get better, and nothing the
clerk typed or confirmed changes.

The run is the same every time on a machine: the book is seeded, training is seeded and the
corrections held out are chosen by their place in the book (learning.job.split_heldout), not
by the record ids that are new in every run. How often the loop activates across hands it was
never tuned on is a benchmark (bench/bench_learning_loop.py, docs/BENCHMARKS.md "The learning
loop end to end"), not this test: here the book's hand is a tuning one, Caramel, which the
default recogniser never learnt (its recipe took the first nine tuning hands,
training/forms.RECIPE_HAND_FONTS) and the hand model, asked where the default is unsure, did
(ocr/hand_model): still the clerk has real corrections to make (pages 5-8: 44 of 81 fields
read exact) and a new version real room to win (59 of 81 on 2026-12-07; 43 -> 63 without the
hand model), the same in every run.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
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
from ocr_service.learning.models import local_model_dir
from ocr_service.storage import get_storage
from ocr_service.synth import generate_book
from tests.conftest import make_settings
from tests.test_learning_loop import _edit_confirm

RECORDS = 8  # one record a page
SEED = 0  # the book's records
HAND_FONT = "Caramel-Regular.ttf"
GROUP = "tuning"
CORRECTED = 4  # the clerk corrects and confirms the first pages
MIN_CORRECTIONS = 10  # fewer: the shipped model reads the hand, and there is nothing to learn
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


@dataclass
class LoopRun:
    """What one run of the loop did: the stored state before and after, and the version."""

    register: str
    corrections: dict[int, dict[str, str]]  # page -> field -> what the clerk typed
    before: dict[int, dict[str, Any]]  # records as first read
    typed: dict[int, dict[str, Any]]  # records once the clerk had confirmed
    after: dict[int, dict[str, Any]]  # records once the job and its re-reads were done
    first_read: dict[int, Any]  # page -> (finished_at, provenance) as first read
    pages: dict[int, Any]  # the same at the end
    truth: dict[int, dict[str, Any]]  # page -> the generator's record
    state: str | None = None  # the version's state (None: no job ran)
    reason: str | None = None
    metrics: dict[str, Any] | None = None
    scope: tuple[str, str] | None = None
    sha: str | None = None
    model_dir: Path | None = None  # the version's model dir (model.json: how it was trained)

    @property
    def count(self) -> int:
        return sum(len(c) for c in self.corrections.values())

    def exact(self, records: dict[int, dict[str, Any]]) -> tuple[int, int]:
        """(exact, of) verbatim fields of the pages nobody touched."""
        untouched = range(CORRECTED + 1, RECORDS + 1)
        truth = {p: _verbatim_truth(self.register, self.truth[p]) for p in untouched}
        total = sum(len(fields) for fields in truth.values())
        return _exact({p: records[p] for p in untouched}, truth), total


def run_loop(
    tmp_path: Path, *, hand_font: str = HAND_FONT, group: str = GROUP, seed: int = SEED
) -> LoopRun:
    """One book through the loop; the training job runs only if the first pages needed more
    than MIN_CORRECTIONS corrections."""
    book = generate_book(
        "khai-sinh",
        RECORDS,
        tmp_path / "book",
        style="hand",
        seed=seed,
        hand_font=hand_font,
        group=group,
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
        run = LoopRun(register, corrections, before, before, before, {}, {}, truth_by_page)
        if run.count <= MIN_CORRECTIONS:
            return run
        settings = base.model_copy(update={"train_every": run.count})
        from ocr_service.api.app import create_app

        with TestClient(create_app(settings, start_jobs=False)) as client:
            # The runner takes the training job; the app must not close it when it stops.
            client.app.state.dispatcher = SubmitOnly(runner)  # type: ignore[attr-defined]
            for page, fields in corrections.items():
                _edit_confirm(client, token, before[page]["id"], fields)
        run.typed = _records(settings, ledger_id)
        run.first_read = _page_reads(settings, ledger_id)

        def trained(session: Any, ledger: Ledger) -> bool:
            version = session.scalar(select(ModelVersion))
            if version is None or version.state == ModelState.candidate:
                return False
            return version.state != ModelState.active or _finished(session, ledger)

        _wait(settings, ledger_id, trained)
        _wait(settings, ledger_id, _reread_ended)
    finally:
        runner.close()

    with session_scope(settings) as session:
        version = session.scalar(select(ModelVersion))
        assert version is not None
        run.metrics, run.state, run.reason = dict(version.metrics), version.state, version.reason
        run.scope, run.sha = (version.scope_kind, version.scope_key), version.sha256
    run.model_dir = local_model_dir(settings, run.sha)
    run.pages = _page_reads(settings, ledger_id)
    run.after = _records(settings, ledger_id)
    assert run.scope == ("ledger", ledger_id)
    return run


def _reread_ended(session: Any, ledger: Ledger) -> bool:
    """No page of the ledger is still waiting for, or in, a reading."""
    states = session.scalars(select(Page.state).where(Page.ledger_id == ledger.id))
    return all(state in ("done", "failed") for state in states)


def _page_reads(settings: Settings, ledger_id: str) -> dict[int, Any]:
    with session_scope(settings) as session:
        return {
            p.index: (
                p.finished_at,
                session.get(PageOcr, p.id).provenance,  # type: ignore[union-attr]
                p.state,
                p.error,
            )
            for p in session.scalars(select(Page).where(Page.ledger_id == ledger_id))
        }


def check_clerks_work_kept(run: LoopRun) -> None:
    """Nothing the clerk typed or confirmed changed, byte for byte, and their pages were not
    read again: whatever the guard decided."""
    for page in range(1, CORRECTED + 1):
        assert run.after[page]["status"] == "confirmed"
        assert run.after[page] == run.typed[page]
        for code, value in run.corrections[page].items():
            assert run.after[page]["fields"][code][0] == value
        assert run.pages[page] == run.first_read[page]


def check_reread(run: LoopRun) -> None:
    """The untouched pages were read again by the activated version."""
    assert run.sha is not None
    for page in range(CORRECTED + 1, RECORDS + 1):
        assert run.after[page]["status"] == "draft" and run.after[page]["version"] == 1
        assert run.pages[page][0] != run.first_read[page][0]
        assert run.sha in json.dumps(run.pages[page][1]), (page, run.pages[page], run.state)


@pytest.mark.slow
def test_corrections_train_a_version_that_rereads_the_untouched_drafts_better(
    tmp_path: Path,
) -> None:
    run = run_loop(tmp_path)
    assert run.count > MIN_CORRECTIONS, "the shipped model should misread this hand"
    metrics = run.metrics
    assert metrics is not None
    print(f"version {run.state}: {run.reason}; {metrics}")
    # The guard really decided, on numbers stored with the version: better on the corrections
    # held out from training, no worse on the regression sets of print and handwriting fonts.
    assert run.state == ModelState.active, run.reason
    assert metrics["heldout_cer_after"] < metrics["heldout_cer_before"]
    assert set(metrics["regression"]) == {"print", "hand"}
    assert metrics["steps"] >= 1 and metrics["seconds"] > 0 and metrics["peak_rss_mb"] > 0
    assert metrics["steps"] <= TRAIN_MAX_STEPS or os.environ.get("SOHOA_TRAIN_MAX_STEPS")
    check_clerks_work_kept(run)
    check_reread(run)
    # ... and read better.
    was, total = run.exact(run.before)
    now, _ = run.exact(run.after)
    print(f"pages {CORRECTED + 1}-{RECORDS}, verbatim fields exact: {was} -> {now} of {total}")
    assert now > was
