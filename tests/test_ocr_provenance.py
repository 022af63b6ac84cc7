"""A page read through the pipeline records what read it (engine, effective OCR settings,
model versions), the API returns it, and the stored settings build an engine that reads the
page exactly as it was read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.book import BookMeta
from models.entities import Ledger, Page, PageOcr
from ocr_service.config import OcrSettings, Settings, ViSettings, reset_settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.dispatch import LocalRunner
from ocr_service.learning.vocabulary import ledger_lexicon
from ocr_service.ocr import OcrEngine, get_engine, ocr_image
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.ocr.rec_model import shipped_model
from ocr_service.ocr.vi import ViEngine
from ocr_service.pipeline.page import load_page_image
from ocr_service.pipeline.stages import preprocess_image
from ocr_service.preprocess.leaders import remove_dot_leaders
from ocr_service.storage import get_storage
from ocr_service.synth import generate_book
from tests.conftest import auth, make_settings
from tests.factories import add_user


@pytest.fixture
def tuned(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two knobs off their defaults, for this process and the runner's children."""
    monkeypatch.setenv("SOHOA_VI_BOX_PAD", "0.2")
    monkeypatch.setenv("SOHOA_VI_REGION_Y", "0.5")
    reset_settings()
    yield
    reset_settings()


def _read_one_page_book(tmp_path: Path, db_url: str) -> tuple[Settings, str]:
    book = generate_book("khai-sinh", 1, tmp_path / "book", style="typed", degrade="light", seed=3)
    settings = make_settings(tmp_path, db_url, ocr_engine="vi")
    upgrade_database(settings)
    with session_scope(settings) as session:
        ledger_id = ingest_path(
            session,
            get_storage(settings),
            settings,
            book / "book.pdf",
            meta=BookMeta("khai-sinh"),
            user_id=None,
        ).ledger.id
    runner = LocalRunner(settings, workers=1)
    try:
        runner.submit("split", ledger_id)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with session_scope(settings) as session:
                ledger = session.get(Ledger, ledger_id)
                assert ledger is not None
                if ledger.status in ("done", "partial", "failed"):
                    break
            time.sleep(0.5)
    finally:
        runner.close()
    return settings, ledger_id


@pytest.mark.slow
def test_a_read_page_records_what_read_it_and_the_record_reproduces_the_reading(
    tmp_path: Path, db_url: str, tuned: None
) -> None:
    settings, ledger_id = _read_one_page_book(tmp_path, db_url)
    with session_scope(settings) as session:
        page = session.scalars(select(Page).where(Page.ledger_id == ledger_id)).one()
        assert page.state == "done", page.error
        row = session.get(PageOcr, page.id)
        assert row is not None and row.provenance is not None
        provenance, lines, image_key = row.provenance, row.lines, page.image_key
    assert provenance["engine"] == "vi" and provenance["engine_version"] == row.engine_version
    models = provenance["models"]
    assert models["trueocr"] and models["asterocr"]
    assert models["recogniser"] == shipped_model().label  # the default model dir's sha256
    assert models["runtime"] in ("openvino-bf16", "onnxruntime-int8", "onnxruntime-fp32")
    # The stored settings are the effective ones: they validate back into the settings that
    # built the engine, tuned knobs included.
    stored = OcrSettings.model_validate(provenance["settings"])
    assert stored.vi == settings.ocr.vi and stored.threads == settings.ocr.threads
    assert (stored.vi.box_pad, stored.vi.region_y) == (0.2, 0.5)

    # They reproduce the reading: an engine built from them reads the stored page image the
    # way the pipeline did; the defaults do not.
    image = load_page_image(get_storage(settings), image_key)
    processed, _ = preprocess_image(image)
    cleaned = remove_dot_leaders(processed)

    # The ledger's words (SOHOA_VI_DECODE=beam-vocab): the provenance names them; rebuilt
    # from the same records (none confirmed yet), they are the same.
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        lexicon = ledger_lexicon(session, ledger)
    assert models["vocabulary"] == lexicon.label

    def read_with(ocr: OcrSettings) -> list[object]:
        engine = get_engine("vi", ocr)
        assert isinstance(engine, ViEngine)
        page = engine.read_page(cleaned, assume_upright=True, lexicon=lexicon)
        return [ln.to_json() for ln in page.lines]

    assert read_with(stored) == lines
    # (model_construct: the defaults, not the tuned environment that validation would read)
    defaults = OcrSettings.model_construct(threads=None, vi=ViSettings.model_construct())
    assert defaults.vi.box_pad == 0.15
    assert read_with(defaults) != lines

    # The API returns it; a page read before provenance was recorded says null.
    _, token = add_user(settings, "quan.tri", role="admin")
    from ocr_service.api.app import create_app

    url = f"/api/v1/ledgers/{ledger_id}/pages/1/ocr"
    with TestClient(create_app(settings)) as client:
        body = client.get(url, headers=auth(token)).json()
        assert body["provenance"] == provenance and body["lines"] == lines
        with session_scope(settings) as session:
            row = session.get(PageOcr, page.id)
            assert row is not None
            row.provenance = None
        body = client.get(url, headers=auth(token)).json()
        assert body["provenance"] is None and body["lines"] == lines


class _PlugIn(OcrEngine):
    """A plug-in that knows nothing of provenance."""

    name = "plug-in"

    def version(self) -> str:
        return "1.0"

    def read_page(self, image: np.ndarray) -> OcrPage:
        line = OcrLine("Nguyễn Văn An", 0.5, (1, 1, 20, 8), engine=self.name)
        return OcrPage(20, 10, [line], self.name, self.version())

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        return "Nguyễn Văn Án", 0.9


def test_a_plug_ins_page_and_a_second_readers_say_what_read_them() -> None:
    image = np.full((10, 20), 255, np.uint8)
    page = ocr_image(image, _PlugIn())
    assert page.provenance == {
        "engine": "plug-in",
        "engine_version": "1.0",
        "settings": {},
        "models": {},
    }
    twice = ocr_image(image, _PlugIn(), second=_PlugIn())
    assert twice.provenance is not None and twice.provenance["second"]["engine"] == "plug-in"
    assert twice.to_json()["provenance"] == twice.provenance
