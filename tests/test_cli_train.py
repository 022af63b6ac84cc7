"""`sohoa train` (JSON summary; exit 2 and one line on bad input) and `sohoa ocr --model` /
`--line`: a model dir written by training reads through the CLI, and records its sha256."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from rapidfuzz.distance import Levenshtein

from ocr_service.training.data import write_lines_dir
from ocr_service.training.synthetic import load_regression_set, synthetic_lines


def sohoa(
    tmp_path: Path, *args: str, pythonpath: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "never-created")}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def lines_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lines")
    write_lines_dir(synthetic_lines("hand", 41, 4, books=1), folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(lines_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("train")
    out = tmp / "model"
    proc = sohoa(
        tmp, "train", "--lines", str(lines_dir), "--out", str(out), "--minutes", "0.1",
        "--no-measure",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(proc.stdout)


def test_train_prints_a_json_summary_and_writes_a_model_dir(model_dir: tuple[Path, dict]) -> None:
    out, summary = model_dir
    assert summary["steps"] >= 1
    assert summary["data"]["trained_on"] == 4
    meta = json.loads((out / "model.json").read_text("utf-8"))
    assert summary["sha256"] == meta["sha256"] and summary["model_dir"] == str(out)


def test_ocr_with_the_model_records_its_sha256(
    model_dir: tuple[Path, dict], tmp_path: Path
) -> None:
    out, summary = model_dir
    line = load_regression_set()["hand"][0]
    image = tmp_path / "dong.png"
    cv2.imwrite(str(image), line.image)
    proc = sohoa(tmp_path, "ocr", str(image), "--json", "--line", "--model", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["provenance"]["models"]["recogniser"] == f"model.onnx {summary['sha256']}"
    assert doc["provenance"]["settings"]["vi"]["model_dir"] == str(out.resolve())


def test_ocr_line_reads_the_image_as_one_line(tmp_path: Path) -> None:
    line = load_regression_set()["print"][4]
    image = tmp_path / "dong.png"
    cv2.imwrite(str(image), line.image)
    proc = sohoa(tmp_path, "ocr", str(image), "--json", "--line")
    assert proc.returncode == 0, proc.stderr
    (page,) = json.loads(proc.stdout)["pages"]
    (read,) = page["lines"]
    assert read["bbox"] == [0, 0, line.image.shape[1], line.image.shape[0]]
    assert Levenshtein.normalized_distance(read["text"], line.text) < 0.3, (read, line.text)


def test_ocr_model_that_is_not_a_model_dir_is_refused(tmp_path: Path) -> None:
    line = load_regression_set()["print"][0]
    image = tmp_path / "dong.png"
    cv2.imwrite(str(image), line.image)
    message = one_error_line(sohoa(tmp_path, "ocr", str(image), "--model", str(tmp_path)))
    assert "model.onnx" in message


def test_train_without_labels_tsv_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    message = one_error_line(
        sohoa(tmp_path, "train", "--lines", str(empty), "--out", str(tmp_path / "m"))
    )
    assert "labels.tsv" in message
    assert not (tmp_path / "m").exists()


def test_train_with_an_unreadable_image_is_refused(tmp_path: Path, lines_dir: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"this is not a picture")
    (folder / "labels.tsv").write_text("a.png\tHọ và tên\n", "utf-8")
    message = one_error_line(
        sohoa(tmp_path, "train", "--lines", str(folder), "--out", str(tmp_path / "m"))
    )
    assert "a.png" in message


def test_train_without_torch_says_which_extra_to_install(tmp_path: Path, lines_dir: Path) -> None:
    # A `torch` that cannot be imported, ahead of the real one on the path.
    fake = tmp_path / "no-torch"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('no torch here')\n")
    proc = sohoa(
        tmp_path, "train", "--lines", str(lines_dir), "--out", str(tmp_path / "m"),
        pythonpath=str(fake),
    )  # fmt: skip
    assert "install sohoa[train]" in one_error_line(proc)
