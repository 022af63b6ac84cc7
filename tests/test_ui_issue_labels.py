"""Every issue code the backend can put on a field has a Vietnamese label in the review UI."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from ocr_service.extract.normalise import ISSUES

ROOT = Path(__file__).resolve().parents[1]
LABELS_JS = ROOT / "review_ui" / "js" / "labels.js"
BACKEND = ROOT / "ocr_service"

# An issue code: lower-case words joined by hyphens ('ditto', 'date-partial').
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# What holds a field's issues: `f.issues`, `issues`, `OUTLIER_ISSUE`, `_QUIET_ISSUES`.
_HOLDS_ISSUES = re.compile(r"(?:^|[._])issues?$", re.IGNORECASE)
# Codes put on fields outside the normalisers' ISSUES (block_form, prefill, book_reading):
# found by the scan below, listed here only to prove the scan still sees them.
_KNOWN_OUTSIDE_ISSUES = {
    "several-ticked",
    "no-box-ticked",
    "page-unreadable",
    "so-from-sequence",
    "default-suggestion",
    "book-vote-outlier",
}


def _holds_issues(node: ast.expr) -> bool:
    return bool(_HOLDS_ISSUES.search(ast.unparse(node)))


def _issue_expressions(node: ast.AST) -> Iterator[ast.expr]:
    """The expressions of `node` that put issue codes on a field or test for one:
    `issues=[…]`, `f.issues = […]`, `OUTLIER_ISSUE = "…"`, `f.issues.append("…")`,
    `"…" in f.issues`."""
    if isinstance(node, ast.keyword):
        if node.arg == "issues":
            yield node.value
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is not None and any(_holds_issues(t) for t in targets):
            yield node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("append", "extend") and _holds_issues(node.func.value):
            yield from node.args
    elif isinstance(node, ast.Compare) and any(_holds_issues(c) for c in node.comparators):
        yield node.left


def _codes_in(expr: ast.expr) -> Iterator[tuple[str, int]]:
    """The code-like string literals of `expr`, not counting keys looked up (`d.get("issues")`)."""
    if isinstance(expr, ast.Subscript):
        yield from _codes_in(expr.value)
        return
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
    ):
        yield from _codes_in(expr.func.value)
        return
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str) and _CODE.match(expr.value):
        yield expr.value, expr.lineno
    for child in ast.iter_child_nodes(expr):
        if isinstance(child, ast.expr):
            yield from _codes_in(child)


def _issue_literals(root: Path) -> dict[str, str]:
    """code → the first place it occurs, for every issue code written as a literal in `root`."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for expr in _issue_expressions(node):
                for code, line in _codes_in(expr):
                    found.setdefault(code, f"{path.relative_to(ROOT)}:{line}")
    return found


def backend_issue_codes() -> dict[str, str]:
    """Every code the backend can put on a field: ISSUES (the normalisers' codes, some built
    with f-strings) and the literals of the other stages (ditto, derive, prefill, block_form,
    book_reading …)."""
    codes = {code: "ISSUES (ocr_service/extract/normalise/base.py)" for code in ISSUES}
    for code, where in _issue_literals(BACKEND).items():
        codes.setdefault(code, where)
    return codes


def ui_issue_labels() -> dict[str, str]:
    """The ISSUE_VI map of labels.js, parsed."""
    text = LABELS_JS.read_text(encoding="utf-8")
    block = re.search(r"const ISSUE_VI = \{\n(.*?)\n\};", text, flags=re.DOTALL)
    assert block, f"no `const ISSUE_VI = {{ … }};` in {LABELS_JS}"
    entries = re.findall(r'^\s*"([a-z0-9-]+)":\s*"([^"]*)",?\s*$', block.group(1), re.MULTILINE)
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(entries) == len(lines), 'ISSUE_VI: one `"code": "label",` per line'
    return dict(entries)


def test_the_scan_sees_the_codes_outside_the_normalisers() -> None:
    found = _issue_literals(BACKEND)
    assert set(found) >= _KNOWN_OUTSIDE_ISSUES, _KNOWN_OUTSIDE_ISSUES - set(found)


def test_every_backend_issue_code_has_a_vietnamese_label() -> None:
    labels = ui_issue_labels()
    missing = {code: where for code, where in backend_issue_codes().items() if code not in labels}
    assert not missing, f"issue codes without a label in review_ui/js/labels.js: {missing}"


def test_labels_are_vietnamese_words_not_codes() -> None:
    for code, label in ui_issue_labels().items():
        assert label.strip() and label != code, code
        assert not _CODE.match(label), code
        assert any(ord(ch) > 127 for ch in label), f"{code}: {label!r} has no Vietnamese letter"
