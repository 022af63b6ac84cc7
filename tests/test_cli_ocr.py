"""`sohoa ocr FILE --json` prints the contract JSON for a JPEG and for a PDF, with no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
from PIL import Image

from ocr_service.config import OcrSettings
from tests.conftest import RESOURCES

PAGE = RESOURCES / "ocr" / "page_vi.png"


def sohoa_ocr(
    path: Path, tmp_path: Path, *extra: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "never-created"), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "ocr", str(path), "--json", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def check_contract(doc: dict, pages: int) -> str:
    assert [p["page"] for p in doc["pages"]] == list(range(1, pages + 1))
    text = []
    for p in doc["pages"]:
        assert set(p) == {"page", "width", "height", "lines"}
        assert p["width"] > 0 and p["height"] > 0
        for ln in p["lines"]:
            assert set(ln) == {"text", "confidence", "bbox"}
            assert 0.0 <= ln["confidence"] <= 1.0
            x0, y0, x1, y1 = ln["bbox"]
            assert 0 <= x0 < x1 <= p["width"] and 0 <= y0 < y1 <= p["height"]
            text.append(ln["text"])
    return "\n".join(text)


def test_ocr_a_jpeg_and_a_pdf(tmp_path: Path) -> None:
    truth = json.loads(PAGE.with_suffix(".json").read_text(encoding="utf-8"))
    expected = [ln["text"] for ln in truth["lines"]][:2]
    jpeg = tmp_path / "trang.jpg"
    Image.open(PAGE).convert("RGB").save(jpeg, "JPEG", quality=92)
    proc = sohoa_ocr(jpeg, tmp_path, env_extra={"SOHOA_VI_SPLIT_GAP": "1.3"})
    assert proc.returncode == 0, proc.stderr
    read = json.loads(proc.stdout)
    text = check_contract(read, 1)
    for line in expected:
        assert line in text
    # What read it (additive): the engine's settings as they validate back, its models.
    provenance = read["provenance"]
    assert provenance["engine"] == read["engine"] == "vi"
    assert OcrSettings.model_validate(provenance["settings"]).vi.split_gap == 1.3
    assert provenance["models"]["runtime"].startswith(("openvino-", "onnxruntime-"))
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=jpeg.read_bytes())
    pdf = tmp_path / "so.pdf"
    doc.save(pdf)
    proc = sohoa_ocr(pdf, tmp_path, "--engine", "tesseract")
    assert proc.returncode == 0, proc.stderr
    read = json.loads(proc.stdout)
    check_contract(read, 2)
    assert "vie.traineddata sha256:" in read["provenance"]["models"]["traineddata"]
    assert not (tmp_path / "never-created").exists()


def test_ocr_refuses_a_non_scan(tmp_path: Path) -> None:
    fake = tmp_path / "notes.pdf"
    fake.write_text("không phải PDF", encoding="utf-8")
    proc = sohoa_ocr(fake, tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    unknown = sohoa_ocr(RESOURCES / "ingest" / "cmyk.jpg", tmp_path, "--engine", "khong-co")
    assert unknown.returncode == 2 and "khong-co" in unknown.stderr


def test_a_bad_tuning_value_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    proc = sohoa_ocr(PAGE, tmp_path, env_extra={"SOHOA_VI_SQUEEZE": "1.5"})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "bad configuration: SOHOA_VI_SQUEEZE='1.5': Input should be less than" in lines[0]
    proc = sohoa_ocr(PAGE, tmp_path, env_extra={"SOHOA_VI_DECODE": "viterbi"})
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "SOHOA_VI_DECODE='viterbi': Input should be 'greedy', 'beam' or 'beam-vocab'" in (
        proc.stderr
    )
