"""The learning loop's bookkeeping (#17): the training trigger, one job per scope, which
version reads a page, rollback through the API, and which pages a new version re-reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from models.entities import (
    AuditEvent,
    DraftRecord,
    Ledger,
    ModelState,
    ModelVersion,
    Page,
    PageAttempt,
    PageState,
    ScopeKind,
    TrainScope,
)
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import BadInput
from ocr_service.jobs.lifecycle import JobTask
from ocr_service.jobs.state import AttemptOutcome, now
from ocr_service.learning import trigger
from ocr_service.learning.job import split_heldout
from ocr_service.learning.reread import pages_to_reread
from ocr_service.learning.scopes import ScopeRef, version_for_ledger, version_reaching
from ocr_service.training.data import LabelledLine
from tests.conftest import auth, make_settings
from tests.factories import add_book, add_user


class Recorder:
    """A dispatcher that remembers what it was asked to queue."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str | int]] = []

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.jobs.append((task.value, arg))


@pytest.fixture
def loop_settings(tmp_path: object, db_url: str) -> Settings:
    from pathlib import Path

    from ocr_service.db import upgrade_database

    assert isinstance(tmp_path, Path)
    s = make_settings(tmp_path, db_url, train_every=3)
    upgrade_database(s)
    return s


@pytest.fixture
def api(loop_settings: Settings) -> Iterator[tuple[TestClient, Recorder]]:
    from ocr_service.api.app import create_app

    recorder = Recorder()
    with TestClient(create_app(loop_settings, start_jobs=False)) as c:
        c.app.state.dispatcher = recorder  # type: ignore[attr-defined]
        yield c, recorder


def _edit_confirm(client: TestClient, token: str, record_id: str, fields: dict[str, str]) -> None:
    version = client.get(f"/api/v1/records/{record_id}", headers=auth(token)).json()["version"]
    if fields:
        r = client.patch(
            f"/api/v1/records/{record_id}",
            json={"version": version, "fields": fields},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    r = client.post(
        f"/api/v1/records/{record_id}/confirm", json={"version": version}, headers=auth(token)
    )
    assert r.status_code == 200, r.text


def _train_jobs(recorder: Recorder) -> list[tuple[str, str | int]]:
    return [job for job in recorder.jobs if job[0] == JobTask.train_scope.value]


# --- the trigger ----------------------------------------------------------------------------


def test_every_n_confirmed_corrections_queue_one_training_job(
    api: tuple[TestClient, Recorder], loop_settings: Settings
) -> None:
    client, recorder = api
    book = add_book(loop_settings, records=4)
    _, token = add_user(loop_settings, "thu", "clerk")
    scope = f"ledger:{book.ledger_id}"
    # A confirmation without a correction counts nothing; two corrected fields are not yet 3.
    _edit_confirm(client, token, book.record_ids[0], {})
    _edit_confirm(client, token, book.record_ids[1], {"nksHoTen": "Lê Văn Hai", "nksDanToc": "Tày"})
    assert _train_jobs(recorder) == []
    # The third corrected field confirmed: one job for the ledger.
    _edit_confirm(client, token, book.record_ids[2], {"nksHoTen": "Trần Thị Ba"})
    assert _train_jobs(recorder) == [("train", scope)]
    # More corrections while that job is queued queue nothing more.
    _edit_confirm(
        client,
        token,
        book.record_ids[3],
        {"nksHoTen": "Phạm Văn Tư", "nksDanToc": "Nùng", "nksQuocTich": "Lào"},
    )
    assert _train_jobs(recorder) == [("train", scope)]
    # The job starts (it has seen 6), ends; the count starts again from there.
    with session_scope(loop_settings) as session:
        held = trigger.claim(session, ScopeRef(ScopeKind.ledger, book.ledger_id), 60)
        assert held is not None and held.fields == 6
        assert trigger.release(session, held)
    with session_scope(loop_settings) as session:
        assert trigger.corrected_fields(session, held.scope) == 6
        assert not trigger.due(session, held.scope, 3)


def test_commune_scope_counts_the_communes_books(loop_settings: Settings) -> None:
    first = add_book(loop_settings, records=2, commune="Xã Hòa Bình", year=2001)
    second = add_book(loop_settings, records=2, commune="Xã Hòa Bình", year=2002)
    settings = loop_settings.model_copy(update={"train_scope": "commune", "train_every": 2})
    with session_scope(settings) as session:
        for record_id in (first.record_ids[0], second.record_ids[0]):
            record = session.get(DraftRecord, record_id)
            assert record is not None
            record.status = "confirmed"
            record.fields[0].edited = True
    with session_scope(settings) as session:
        scope = trigger.due_after_confirm(session, settings, second.ledger_id)
    assert scope == ScopeRef(ScopeKind.commune, "Xã Hòa Bình")
    assert ScopeRef.from_job_arg(scope.job_arg()) == scope


def test_job_arguments_are_checked() -> None:
    for bad in ("ledger", "book:x", "installation:x", "ledger:"):
        with pytest.raises(BadInput):
            ScopeRef.from_job_arg(bad)


# --- one job per scope ----------------------------------------------------------------------


def test_one_training_job_per_scope_and_a_lapsed_lease_is_taken_over(
    loop_settings: Settings,
) -> None:
    book = add_book(loop_settings, records=1)
    scope = ScopeRef(ScopeKind.ledger, book.ledger_id)
    other = ScopeRef(ScopeKind.commune, "Xã An Nhơn")
    with session_scope(loop_settings) as session:
        first = trigger.claim(session, scope, 60)
        assert first is not None
        assert trigger.claim(session, scope, 60) is None  # the same scope: refused
        assert trigger.claim(session, other, 60) is not None  # another scope runs beside it
    with session_scope(loop_settings) as session:  # the first job's worker stops beating
        session.execute(update(TrainScope).values(lease_until=now() - timedelta(seconds=1)))
    with session_scope(loop_settings) as session:
        second = trigger.claim(session, scope, 60)
        assert second is not None
        assert not trigger.holds(session, first)
        assert not trigger.release(session, first)  # the lost job cannot end the new one's
        assert trigger.holds(session, second)
        assert trigger.release(session, second)
        assert trigger.claim(session, scope, 60) is not None


def test_held_out_lines_are_chosen_by_their_place_and_stay_held_out() -> None:
    image = np.zeros((4, 4), np.uint8)

    def line(i: int, run: str = "a") -> LabelledLine:
        # The name carries ids that are new each time a book is read; the key is the field's
        # place in the book.
        return LabelledLine(image, str(i), f"{run}/images/{i:03d}.png", key=f"p{i}/name")

    lines = [line(i) for i in range(1000)]
    split = split_heldout(list(reversed(lines)), 5)
    held = {x.key for x in split.heldout}
    assert 150 < len(held) < 250  # about one in five
    assert len(split.train) + len(split.heldout) == 1000
    assert not held & {x.key for x in split.train}
    assert split_heldout(lines, 5) == split  # whatever order they come in
    # Confirmed later: the first 100 lines are split as they were.
    first = split_heldout(lines[:100], 5)
    assert {x.key for x in first.heldout} == held & {f"p{i}/name" for i in range(100)}
    # The same book read again (new record ids): the same fields held out.
    again = split_heldout([line(i, "b") for i in range(1000)], 5)
    assert {x.key for x in again.heldout} == held
    # Without a key, the name is the key.
    plain = [LabelledLine(image, str(i), f"l/{i:02d}.png") for i in range(50)]
    assert split_heldout(plain, 5) == split_heldout(list(reversed(plain)), 5)


# --- which version reads a page -------------------------------------------------------------


def _version(settings: Settings, kind: ScopeKind, key: str, state: ModelState, sha: str) -> int:
    with session_scope(settings) as session:
        v = ModelVersion(
            sha256=sha * 64, scope_kind=kind, scope_key=key, state=state, data={}, metrics={}
        )
        session.add(v)
        session.flush()
        return v.id


def _reader(settings: Settings, ledger_id: str) -> int | None:
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        version = version_for_ledger(session, ledger)
        return version.id if version else None


def test_the_most_specific_active_version_reads_a_page(loop_settings: Settings) -> None:
    here = add_book(loop_settings, records=1, commune="Xã An Nhơn", year=2010)
    there = add_book(loop_settings, records=1, commune="Xã Phú Mỹ", year=2011)
    s = loop_settings
    assert _reader(s, here.ledger_id) is None  # nothing trained: the shipped model
    _version(s, ScopeKind.installation, "", ModelState.retired, "0")
    assert _reader(s, here.ledger_id) is None  # a retired version reads nothing
    everywhere = _version(s, ScopeKind.installation, "", ModelState.active, "a")
    assert _reader(s, here.ledger_id) == everywhere
    commune = _version(s, ScopeKind.commune, "Xã An Nhơn", ModelState.active, "b")
    assert _reader(s, here.ledger_id) == commune
    assert _reader(s, there.ledger_id) == everywhere
    _version(s, ScopeKind.ledger, here.ledger_id, ModelState.rejected, "c")
    assert _reader(s, here.ledger_id) == commune
    book = _version(s, ScopeKind.ledger, here.ledger_id, ModelState.active, "d")
    assert _reader(s, here.ledger_id) == book
    with session_scope(s) as session:
        # What a new version of the ledger must beat: the ledger's own, else wider ones.
        reaching = version_reaching(session, ScopeRef(ScopeKind.ledger, there.ledger_id))
        assert reaching is not None and reaching.id == everywhere
        reaching = version_reaching(session, ScopeRef(ScopeKind.ledger, here.ledger_id))
        assert reaching is not None and reaching.id == book


def test_one_active_version_per_scope_in_the_database(loop_settings: Settings) -> None:
    _version(loop_settings, ScopeKind.commune, "Xã An Nhơn", ModelState.active, "a")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        _version(loop_settings, ScopeKind.commune, "Xã An Nhơn", ModelState.active, "b")


# --- rollback through the API ---------------------------------------------------------------


def test_admin_lists_versions_and_rolls_back_and_the_untouched_pages_are_read_again(
    api: tuple[TestClient, Recorder], loop_settings: Settings
) -> None:
    client, recorder = api
    s = loop_settings
    book = add_book(s, records=3)
    _, admin = add_user(s, "quantri", "admin")
    _, clerk = add_user(s, "thu", "clerk")
    _edit_confirm(client, clerk, book.record_ids[0], {})  # page 1: confirmed
    old = _version(s, ScopeKind.ledger, book.ledger_id, ModelState.retired, "a")
    new = _version(s, ScopeKind.ledger, book.ledger_id, ModelState.active, "b")

    listed = client.get("/api/v1/models", headers=auth(admin))
    assert listed.status_code == 200
    assert [(v["id"], v["state"], v["scope"]) for v in listed.json()["items"]] == [
        (new, "active", "ledger"),
        (old, "retired", "ledger"),
    ]
    assert client.get("/api/v1/models", headers=auth(clerk)).status_code == 403
    refused = client.post(f"/api/v1/models/{old}/activate", json={}, headers=auth(clerk))
    assert refused.status_code == 403 and "error" in refused.json()

    r = client.post(
        f"/api/v1/models/{old}/activate", json={"reason": "đọc kém hơn"}, headers=auth(admin)
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "active" and r.json()["activated_by"] == "quantri"
    states = {
        v["id"]: v["state"]
        for v in client.get("/api/v1/models", headers=auth(admin)).json()["items"]
    }
    assert states == {old: "active", new: "retired"}
    with session_scope(s) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "model.activate"))
        assert event is not None and event.entity_id == str(old)
        assert event.data["replaced"] == new and event.data["reason"] == "đọc kém hơn"
        pages = dict(
            session.execute(
                select(Page.index, Page.state).where(Page.ledger_id == book.ledger_id)
            ).all()
        )
        page_ids = dict(
            session.execute(
                select(Page.index, Page.id).where(Page.ledger_id == book.ledger_id)
            ).all()
        )
        assert session.get(Ledger, book.ledger_id).status == "processing"  # type: ignore[union-attr]
    # Pages 2 and 3 hold untouched drafts: read again; page 1 is all confirmed: left alone.
    assert pages == {1: PageState.done, 2: PageState.pending, 3: PageState.pending}
    assert sorted(recorder.jobs) == [("page", page_ids[2]), ("page", page_ids[3])]

    again = client.post(f"/api/v1/models/{old}/activate", headers=auth(admin))
    assert again.status_code == 409 and again.json()["error"]
    missing = client.post("/api/v1/models/999999/activate", headers=auth(admin))
    assert missing.status_code == 404 and missing.json()["error"]


def test_pages_to_reread_skip_every_page_a_clerk_finished(loop_settings: Settings) -> None:
    book = add_book(loop_settings, records=5)
    with session_scope(loop_settings) as session:
        records = [session.get(DraftRecord, rid) for rid in book.record_ids]
        assert all(records)
        records[0].status = "confirmed"  # type: ignore[union-attr]
        records[1].status = "flagged"  # type: ignore[union-attr]
        records[2].version = 2  # type: ignore[union-attr]  # edited, not yet confirmed
        session.delete(records[4])  # page 5 read nothing: read it again
        session.execute(
            update(Page)
            .where(Page.ledger_id == book.ledger_id, Page.index == 3)
            .values(state="running")
        )
    with session_scope(loop_settings) as session:
        ids = pages_to_reread(session, book.ledger_id)
        indexes = [session.get(Page, i).index for i in ids]  # type: ignore[union-attr]
    assert indexes == [4, 5]


def test_a_page_being_read_when_a_version_is_activated_is_read_again_with_it(
    loop_settings: Settings,
) -> None:
    """Its job chose the model before the activation: that job's reading is dropped (its
    claim is lost) and the page goes back to pending, to be read with the new version."""
    from ocr_service.jobs import state
    from ocr_service.learning.reread import SUPERSEDED, queue_reread

    s = loop_settings
    book = add_book(s, records=3)
    with session_scope(s) as session:
        page_ids = dict(
            session.execute(
                select(Page.index, Page.id).where(Page.ledger_id == book.ledger_id)
            ).all()
        )
        confirmed = session.get(DraftRecord, book.record_ids[0])
        assert confirmed is not None
        confirmed.status = "confirmed"
        session.execute(
            update(Page)
            .where(Page.id.in_([page_ids[1], page_ids[2]]))
            .values(state=PageState.pending)
        )
    claims = {}
    for index in (1, 2):  # two workers read pages 1 and 2 with the model active before
        with session_scope(s) as session:
            claim = state.claim_page(
                session, page_ids[index], "w", lease_seconds=60, max_attempts=3
            )
            assert claim is not None
            claims[index] = claim
    version = _version(s, ScopeKind.ledger, book.ledger_id, ModelState.active, "e")
    with session_scope(s) as session:
        v = session.get(ModelVersion, version)
        assert v is not None
        queued = queue_reread(session, v)
    # Page 1 is confirmed: its reading may finish. Page 2's draft is untouched: read again.
    # Page 3 was done with an untouched draft: read again.
    assert sorted(queued) == [page_ids[2], page_ids[3]]
    with session_scope(s) as session:
        assert state.mark_done(session, claims[1])
    with session_scope(s) as session:
        assert not state.mark_done(session, claims[2])  # the stale reading is dropped
        assert session.get(Page, page_ids[2]).state == PageState.pending  # type: ignore[union-attr]
        again = state.claim_page(session, page_ids[2], "w2", lease_seconds=60, max_attempts=3)
    assert again is not None and again.token != claims[2].token
    with session_scope(s) as session:
        attempts = session.execute(
            select(PageAttempt.claim_token, PageAttempt.outcome, PageAttempt.error).where(
                PageAttempt.page_id == page_ids[2]
            )
        ).all()
    # The dropped reading is in the page's history, closed as lost, and why.
    assert (claims[2].token, AttemptOutcome.lost, SUPERSEDED) in attempts
    assert (again.token, None, None) in attempts


def test_a_dropped_job_unqueues_its_scope_and_start_up_requeues_lost_jobs(
    loop_settings: Settings,
) -> None:
    from ocr_service.jobs.tasks import recover

    book = add_book(loop_settings, records=1)
    scope = ScopeRef(ScopeKind.ledger, book.ledger_id)
    with session_scope(loop_settings) as session:
        running = trigger.claim(session, scope, 60)
        assert running is not None
    with session_scope(loop_settings) as session:  # a second job was queued meanwhile
        session.execute(update(TrainScope).values(queued=True))
    with session_scope(loop_settings) as session:
        assert trigger.claim(session, scope, 60) is None  # dropped: one job per scope
    with session_scope(loop_settings) as session:
        assert session.scalar(select(TrainScope.queued)) is False
        assert trigger.queued_scopes(session) == []
        session.execute(update(TrainScope).values(queued=True))  # queued when the server died
    recorder = Recorder()
    recover(loop_settings, recorder, startup=True)
    assert ("train", scope.job_arg()) in recorder.jobs
