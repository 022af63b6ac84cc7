"""The training job: one scope's confirmed corrections train a candidate version from the one
that reads the scope now; the guard activates it only if it reads the held-out corrections
better and the regression set no worse; then the scope's untouched pages are read again."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from models.entities import ScopeKind
from models.json_types import JsonObject
from ocr_service.config import Settings, get_settings
from ocr_service.db import session_scope
from ocr_service.jobs.dispatch import train_timeout
from ocr_service.jobs.lifecycle import Dispatcher, JobTask, failure_reason
from ocr_service.learning import trigger
from ocr_service.learning.models import local_model_dir
from ocr_service.learning.reread import queue_reread, reread_pages
from ocr_service.learning.scopes import ScopeRef, version_reaching
from ocr_service.learning.versions import activate, record_candidate, reject
from ocr_service.storage import get_storage

if TYPE_CHECKING:
    from ocr_service.training.data import LabelledLine, Scope

log = logging.getLogger(__name__)


class TrainOutcome(StrEnum):
    """What a training job came to; the value is the RQ job's result."""

    activated = "activated"
    rejected = "rejected"  # the guard kept the current version
    too_few = "too-few"  # not enough corrections to train and hold out
    skipped = "skipped"  # another job holds the scope, or this one lost its claim
    failed = "failed"


@dataclass(frozen=True)
class Split:
    train: list[LabelledLine]
    heldout: list[LabelledLine]


def split_heldout(lines: list[LabelledLine], every: int) -> Split:
    """About one line in `every` held out to judge the version, chosen by a hash of the line's
    stable key (its field's place in the book, data.LabelledLine.key): the same lines in every
    run and whatever is confirmed later, so a line judged once is never trained on, and a book
    read again is split as before."""
    ordered = sorted(lines, key=lambda line: line.name)
    held = [_held_out(line.stable_key, every) for line in ordered]
    return Split(
        train=[line for line, out in zip(ordered, held, strict=True) if not out],
        heldout=[line for line, out in zip(ordered, held, strict=True) if out],
    )


def _held_out(key: str, every: int) -> bool:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % every == 0


def _data_scope(scope: ScopeRef) -> Scope:
    from ocr_service.training.data import Scope

    if scope.kind == ScopeKind.ledger:
        return Scope(ledger_id=scope.key)
    if scope.kind == ScopeKind.commune:
        return Scope(commune=scope.key)
    return Scope()


def run_training(arg: str, settings: Settings, dispatcher: Dispatcher) -> TrainOutcome:
    """Train the scope named by `arg` ("ledger:<id>", ...) once, if no other job is."""
    scope = ScopeRef.from_job_arg(arg)
    with session_scope(settings) as session:
        # Held at least as long as the job may run, so nobody takes over a live one.
        lease = max(settings.train_lease_seconds, train_timeout(settings))
        held = trigger.claim(session, scope, lease)
    if held is None:
        return TrainOutcome.skipped
    try:
        outcome = _train(settings, dispatcher, held)
    except Exception as exc:
        reason = failure_reason(exc)
        log.warning("training %s failed: %s", scope.kind.value, reason)
        with session_scope(settings) as session:
            trigger.release(session, held, error=reason)
        outcome = TrainOutcome.failed
    if outcome != TrainOutcome.skipped:
        # Corrections confirmed while this job ran may already call for the next one.
        with session_scope(settings) as session:
            again = trigger.due(session, scope, settings.train_every)
        if again:
            dispatcher.submit(JobTask.train_scope, scope.job_arg())
    return outcome


# A scope's corrections are few (a book's: some 60 field crops of one hand): half of every
# batch replays print and the handwriting fonts, so 40 steps on them do not unlearn print's
# label punctuation (':' read ';' on the regression set in two of two runs with a quarter:
# docs/BENCHMARKS.md "The learning loop end to end").
JOB_REPLAY_SHARE = 0.5
# Every step pulls the weights back 1 % of the way to the version being replaced (L2-SP,
# train.TrainConfig.anchor): a book's corrections teach its hand while print and the other
# hands stay near what the guard measures them against. On a held-out script hand the print
# regression set drifted 8, 8, 2, 1, 1, 1, 8, 1 edits without it (4 of 8 activated), at most
# 3 with it (6 of 8); on tuning hands 6 of 7 without, 8 of 8 with it (docs/BENCHMARKS.md "The
# learning loop end to end", thirteenth session).
JOB_ANCHOR = 100.0
# The candidate keeps half of what its run learnt (WiSE-FT's weight-space ensemble; the drift
# check judges each checkpoint so blended; train.py keeps all where the reading widened): of
# eight tuning hands' books 4 of 7 comparable were activated with a gain keeping all of it
# (print 2 edits worse on two, the check reverting one to the base), 8 of 8 keeping half; on
# the held-out hands 1 of 4 -> 3 of 4 (docs/BENCHMARKS.md "The learning loop end to end",
# fourteenth session).
JOB_KEEP = 0.5


def _train(settings: Settings, dispatcher: Dispatcher, held: trigger.TrainClaim) -> TrainOutcome:
    from ocr_service.training.data import lines_from_database
    from ocr_service.training.guard import guard
    from ocr_service.training.train import TrainConfig, train_from_lines
    from ocr_service.training.version import store_model_dir

    scope = held.scope
    lines = lines_from_database(settings, _data_scope(scope))
    split = split_heldout(lines, settings.train_heldout_every)
    if not split.train or not split.heldout:
        with session_scope(settings) as session:
            trigger.release(session, held, error="too few corrected lines to train and measure")
        return TrainOutcome.too_few
    with session_scope(settings) as session:
        current = version_reaching(session, scope)
        base_sha = current.sha256 if current is not None else None
    base = local_model_dir(settings, base_sha) if base_sha else None
    config = TrainConfig(
        minutes=settings.train_minutes,
        max_steps=settings.train_max_steps,
        replay_share=JOB_REPLAY_SHARE,
        anchor=JOB_ANCHOR,
        keep=JOB_KEEP,
    )
    with tempfile.TemporaryDirectory(prefix="sohoa-train-") as tmp:
        out = Path(tmp) / "model"
        result = train_from_lines(split.train, out, base=base, config=config)
        decision = guard(out, base, split.heldout)
        sha = store_model_dir(get_storage(settings), out)
    data: JsonObject = {"train": len(split.train), "heldout": len(split.heldout)}
    data.update({k: int(v) for k, v in result.data.items()})
    metrics: JsonObject = {
        "heldout_cer_before": decision.heldout.get("current"),
        "heldout_cer_after": decision.heldout.get("candidate"),
        "regression": {k: dict(v) for k, v in decision.regression.items()},
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "peak_rss_mb": result.peak_rss_mb,
    }
    pages: list[int] = []
    with session_scope(settings) as session:
        if not trigger.holds(session, held):
            return TrainOutcome.skipped
        version = record_candidate(
            session, scope, sha256=sha, base_sha256=base_sha, data=data, metrics=metrics
        )
        if decision.activate:
            activate(session, version, user_id=None, reason=decision.reason)
            pages = queue_reread(session, version)
        else:
            reject(session, version, decision.reason)
        trigger.release(session, held)
    reread_pages(dispatcher, pages)
    return TrainOutcome.activated if decision.activate else TrainOutcome.rejected


def train_job(arg: str) -> str:
    """The RQ entry point (queue SOHOA_TRAIN_QUEUE_NAME, `sohoa worker --queue train`)."""
    from ocr_service.jobs.dispatch import RqDispatcher

    settings = get_settings()
    return run_training(arg, settings, RqDispatcher(settings)).value
