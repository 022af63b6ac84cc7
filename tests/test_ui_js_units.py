"""The review UI's JavaScript unit tests (tests/js, node's own test runner) run in the suite."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS_TESTS = ROOT / "tests" / "js"


def test_review_ui_js_unit_tests_pass_under_node() -> None:
    node = shutil.which("node")
    # Not a skip: without node the record model and keymap would go untested unnoticed.
    assert node, (
        "node is not installed, so the review UI's unit tests (tests/js) cannot run: "
        "install Debian's nodejs (`apt-get install nodejs`, as .ci/setup does)"
    )
    files = sorted(JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs in {JS_TESTS}"
    # Files, not the folder: node 22 takes globs where node 18 and 20 searched a folder.
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", *(str(f) for f in files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"node --test failed (exit {result.returncode}):\n{output}"
    passed = re.search(r"\bpass (\d+)", output)
    assert passed and int(passed.group(1)) > 0, f"node ran no test:\n{output}"
