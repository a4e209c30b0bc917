"""The book names the homework's tasks as the homework does (GUIDE: tasks numbered once for the course,
the book refers to them by the same names; issue 10).

The task numbers and the functions they grade come from ``coursekit.checks`` (``TASKS`` of each
assignment), which also writes the notebooks' "## Task N" headings. Every paragraph of the book
about the homework that names a graded function names its task, with that task's number; every
task number the book writes exists.
"""

from __future__ import annotations

import re

import pytest

from coursekit.checks import ASSIGNMENTS
from test_book_references import toc_sources

TASKS = {task.number: (aid, task.function) for aid, module in ASSIGNMENTS.items() for task in module.TASKS}
FUNCTION_TASK = {function: number for number, (_, function) in TASKS.items() if function}

# "Task 5a", "Tasks 5a–5d", "Tasks 6a and 6b", "Tasks 1–3a"
_TASK_MENTION = re.compile(r"\bTasks?\s+(\w+)(?:\s*(?:–|-|to)\s*(\w+)|\s+and\s+(\w+))?")


def _expand(first, last):
    """Task numbers from ``first`` to ``last`` in the course's order ("4a", "4b", "4c")."""
    order = list(TASKS)
    if first not in TASKS or last not in TASKS:
        return {first, last}
    return set(order[order.index(first): order.index(last) + 1])


def tasks_mentioned(text):
    found = set()
    for first, last, other in _TASK_MENTION.findall(text):
        found |= _expand(first, last) if last else {first}
        if other:
            found.add(other)
    return found


def homework_paragraphs(text):
    """Blank-line separated blocks that speak of the homework (the word or an assignment id)."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        if blocks and re.match(r"\s*(?:[-*]|\d+\.)\s", block):
            blocks[-1] += "\n" + block  # a list belongs to the paragraph that introduces it
        else:
            blocks.append(block)
    for block in blocks:
        if re.search(r"homework|\bhw[1-4]_", block, re.IGNORECASE):
            yield " ".join(block.split())


def task_problems(text):
    problems = []
    for paragraph in homework_paragraphs(text):
        mentioned = tasks_mentioned(paragraph)
        unknown = sorted(mentioned - set(TASKS))
        if unknown:
            problems.append(f"names tasks that do not exist {unknown}: {paragraph[:120]!r}")
        for function in re.findall(r"`(\w+)(?:\([^`]*\))?`", paragraph):
            number = FUNCTION_TASK.get(function)
            if number and number not in mentioned:
                problems.append(f"`{function}` is Task {number}, not named as such here: {paragraph[:120]!r}")
    return problems


@pytest.mark.parametrize("source", toc_sources(), ids=lambda p: p.stem)
def test_the_book_names_homework_tasks_as_the_homework_does(source):
    problems = task_problems(source.read_text())
    assert not problems, "\n".join(problems)


def test_every_graded_function_is_named_with_its_task_somewhere_in_the_book():
    text = "\n\n".join(p.read_text() for p in toc_sources())
    named = {f for paragraph in homework_paragraphs(text) for f in re.findall(r"`(\w+)", paragraph)}
    assert set(FUNCTION_TASK) <= named, sorted(set(FUNCTION_TASK) - named)


def test_the_check_catches_a_wrong_or_missing_task_number():
    assert task_problems("Homework: Task 4a `sample_gmm` and Tasks 5a–5d.") == []
    assert task_problems("In the homework, `update_centers` follows the tie rule.")[0].startswith(
        "`update_centers` is Task 5b")
    assert task_problems("Homework: Task 4 asks for `sample_gmm`.")[0].startswith("names tasks that do not exist ['4']")
    assert task_problems("Homework: Task 7a, `m_step`.")[-1].startswith("`m_step` is Task 7b")
