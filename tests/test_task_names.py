"""The homework's tasks have one number and one name across the book, the notebooks and the feedback.

The names come from ``TASKS`` in ``coursekit/checks/ID.py`` (numbered once for the whole course:
hw1 holds tasks 1, 2, 3a, 3b, hw2 tasks 4a-4c, ...); ``solutions/_build.py`` makes the notebooks'
headings from them, the checks print them, and nbgrader's feedback shows the headings (checked in
test_homework_grading.py).  Here: every task the book mentions exists, under its own name, and the
book names every task in full.
"""

from __future__ import annotations

import glob
import json
import os
import re

import pytest

import coursekit.checks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {t.number: t for module in coursekit.checks.ASSIGNMENTS.values() for t in module.TASKS}
BOOK = {os.path.basename(p): open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(ROOT, "book",
                                                                                                     "*.md")))}
# "Task 4", "task 3b", "tasks 1–3", "tasks 5a–5d", "Task 7b: the M-step"
_MENTION = re.compile(r"\b[Tt]asks? (\d+[a-z]?)(?:\s*[–-]\s*(\d+[a-z]?))?(?::\s*([^*`(]+))?")


def _numbers(first, last):
    """The task numbers a mention covers: '4' covers 4a-4c, '1'-'3' covers 1, 2, 3a, 3b."""
    keys = list(TASKS)
    covered = [k for k in keys if k == first or re.fullmatch(first + r"[a-z]", k)]
    if last is None:
        return covered
    end = [k for k in keys if k == last or re.fullmatch(last + r"[a-z]", k)]
    if not covered or not end:
        return []
    return keys[keys.index(covered[0]): keys.index(end[-1]) + 1]


def _mentions():
    for page, text in BOOK.items():
        for match in _MENTION.finditer(" ".join(text.split())):  # a name may run over a line break
            yield page, match


def test_tasks_are_numbered_once_for_the_course():
    numbers = [t.number for module in coursekit.checks.ASSIGNMENTS.values() for t in module.TASKS]
    assert len(numbers) == len(set(numbers))
    assert numbers == sorted(numbers, key=lambda n: (int(re.match(r"\d+", n).group()), n))
    assert numbers[:4] == ["1", "2", "3a", "3b"] and numbers[4] == "4a"  # hw2 starts at task 4


@pytest.mark.parametrize("page, match", list(_mentions()), ids=lambda v: v if isinstance(v, str) else v.group(0)[:30])
def test_every_task_the_book_mentions_exists_under_its_name(page, match):
    first, last, title = match.groups()
    assert _numbers(first, last), f"{page}: {match.group(0)!r} is not a homework task"
    if title and last is None and first in TASKS:
        assert title.strip().rstrip(".,;") == TASKS[first].title, (
            f"{page}: {match.group(0)!r} names task {first} differently from the homework: {TASKS[first].name!r}")


@pytest.mark.parametrize("number", list(TASKS))
def test_the_book_names_every_task_in_full(number):
    name = TASKS[number].name
    pages = [page for page, text in BOOK.items() if name in " ".join(text.replace("*", "").split())]
    assert pages, f"no chapter names {name!r}"


@pytest.mark.parametrize("aid", coursekit.checks.ASSIGNMENT_IDS)
def test_notebooks_head_each_task_with_its_name(aid):
    for folder in ("solutions", "homework"):
        with open(os.path.join(ROOT, folder, aid, f"{aid}.ipynb"), encoding="utf-8") as fh:
            nb = json.load(fh)
        headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("## Task")]
        assert headings == [t.heading for t in coursekit.checks.ASSIGNMENTS[aid].TASKS], (folder, headings)
