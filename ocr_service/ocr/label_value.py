"""Where a form line's printed labels end and the values written after them begin (#13).

A block form's line is one detected text line: 'Quê quán: xã Vinh Tiền, …' — a label printed
small in the form's serif, then the value typed or written larger on the dotted line; some
lines hold several ('Giới tính: Nam  Dân tộc: Kinh  Quốc tịch: Việt Nam'). Read as one crop
squeezed to the recogniser's height, a value's letters are judged against the label's:
lower-case letters as tall as the label's capitals came back as capitals and marks as other
marks ('Xã Vinh Tiền', 'Ông Nội', 'Thăng' for 'tháng'), and a thin label beside a heavy hand
ran together ('Naicưtrú:'); each part read alone reads right. So the engine cuts the line
after each label's colon and reads the parts apart.

The colons are placed by the recogniser's own greedy path (each character at the step it was
read at, line_reader.LineRead.path), not by the ink: a printed colon and a leader dot are the
same specks.
"""

from __future__ import annotations

import itertools

from ocr_service.ocr.line_reader import GreedyPath

# A part is cut this far (x the crop's height) right of the middle of its colon's step: past
# the colon's dots, short of a value written right after it ('Quê quán: xã …').
CUT_AFTER = 0.25
MAX_CUTS = 3  # a form line holds at most this many labels after its first value


def label_colons(text: str) -> list[int]:
    """The indices of the colons in `text` that end a label: with at least two characters
    before it, a letter or digit after it, and not between two digits (a time, '11:51')."""
    found: list[int] = []
    for i, ch in enumerate(text):
        start = found[-1] + 1 if found else 0
        if ch != ":" or i - start < 2:
            continue
        after = text[i + 1 :]
        if text[i - 1].isdigit() and after[:1].isdigit():
            continue
        if any(c.isalnum() for c in after):
            found.append(i)
    return found[: MAX_CUTS + 1]


def label_parts(text: str) -> list[str]:
    """`text` cut after each of its label colons: 'Số: 12 Quyển số: 01' → ['Số:', '12 Quyển
    số:', '01'] (the parts stripped; [text] when it holds no label and value)."""
    cuts = [i + 1 for i in label_colons(text)]
    return [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def value_cuts(path: GreedyPath, height: int, width: int) -> list[int]:
    """The crop columns to cut a line at, one after each label colon of its greedy `path`
    (on a crop `height` x `width` px); [] when the line holds no label and value, or a cut
    would leave a part too narrow to hold a letter."""
    text = "".join(ch for ch, _ in path)
    cuts = [int(path[i][1] + CUT_AFTER * height) for i in label_colons(text)]
    edges = [0, *cuts, width]
    if any(b - a < height // 2 for a, b in itertools.pairwise(edges)):
        return []
    return cuts
