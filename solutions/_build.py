"""Build the instructor notebooks ``solutions/ID/ID.ipynb`` from the readable sources below.

    .venv/bin/python solutions/_build.py          # write the notebooks
    .venv/bin/python solutions/_build.py --check  # exit 1 if a notebook differs from its source

Each assignment is a list of cells made with the helpers here, which set nbgrader's cell metadata:

``md``       read-only markdown (locked)
``setup``    read-only code (locked)
``answer``   an autograded answer cell (``### BEGIN SOLUTION`` / ``### END SOLUTION`` inside)
``tests``    an autograder test cell with its points (hidden parts between ``### BEGIN HIDDEN
             TESTS`` / ``### END HIDDEN TESTS``); every test cell ends with a statement, never a
             bare expression (nbgrader would read a number as partial credit)
``written``  a manually graded markdown answer with its points

Cell ids are the nbgrader grade ids, so the notebooks are deterministic.  Then
``nbgrader generate_assignment ID --force`` writes ``homework/ID/ID.ipynb``.

Before writing anything the build checks each notebook against its checks module
(``coursekit.checks.ID.TASKS``) and refuses to go on when they disagree: every task has its
heading, the points of its test cells add up to the task's points (the visible cell's to its
visible points), the stated total is the sum, and every answer cell ends with a
``raise NotImplementedError("...")`` naming its task (what the student's released function does
until it is written: the course's nbgrader ``code_stub`` is only ``# YOUR CODE HERE``).
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _assignments import ASSIGNMENTS  # noqa: E402

NB_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def _nbgrader(grade_id, *, grade, solution, locked, points=None, task=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _source(text):
    text = text.strip("\n") + "\n"
    lines = text.splitlines(keepends=True)
    lines[-1] = lines[-1].rstrip("\n")
    return lines


def _cell(kind, grade_id, text, metadata):
    cell = {"cell_type": kind, "id": grade_id, "metadata": metadata, "source": _source(text)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def build_notebook(cells):
    out = []
    for spec in cells:
        kind, grade_id, text = spec["kind"], spec["id"], spec["text"]
        if kind == "md":
            out.append(_cell("markdown", grade_id, text, _nbgrader(grade_id, grade=False, solution=False,
                                                                     locked=True)))
        elif kind == "setup":
            out.append(_cell("code", grade_id, text, _nbgrader(grade_id, grade=False, solution=False,
                                                                 locked=True)))
        elif kind == "answer":
            out.append(_cell("code", grade_id, text, _nbgrader(grade_id, grade=False, solution=True,
                                                                 locked=False)))
        elif kind == "tests":
            out.append(_cell("code", grade_id, text, _nbgrader(grade_id, grade=True, solution=False,
                                                                 locked=True, points=spec["points"])))
        elif kind == "written":
            out.append(_cell("markdown", grade_id, text, _nbgrader(grade_id, grade=True, solution=True,
                                                                     locked=False, points=spec["points"])))
        else:
            raise ValueError(f"unknown cell kind {kind!r}")
    ids = [c["id"] for c in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate cell ids: {ids}")
    return {"cells": out, "metadata": NB_METADATA, "nbformat": 4, "nbformat_minor": 5}


def check_against_tasks(assignment_id, cells):
    """Raise ValueError if the cells disagree with the assignment's TASKS (see the module docstring)."""
    import importlib
    import re

    tasks = importlib.import_module(f"coursekit.checks.{assignment_id}").TASKS
    problems = []
    headings = [c["text"].strip().splitlines()[0] for c in cells if c["kind"] == "md" and c["text"].strip()]
    for task in tasks:
        if task.heading not in headings:
            problems.append(f"no heading {task.heading!r}")
        if task.function is None:
            if not any(c["kind"] == "written" and c["points"] == task.points for c in cells):
                problems.append(f"{task.name}: no written cell of {task.points} points")
            continue
        ids = [c["id"] for c in cells]
        if task.function not in ids:
            problems.append(f"{task.name}: no answer cell {task.function!r}")
            continue
        i = ids.index(task.function)
        following = []
        for c in cells[i + 1:]:
            if c["kind"] != "tests":
                break
            following.append(c)
        if sum(c["points"] for c in following) != task.points:
            problems.append(f"{task.name}: its test cells hold {sum(c['points'] for c in following)} points, "
                            f"TASKS says {task.points}")
        visible = [c for c in following if "BEGIN HIDDEN TESTS" not in c["text"]]
        if sum(c["points"] for c in visible) != task.visible:
            problems.append(f"{task.name}: visible cells hold {sum(c['points'] for c in visible)} points, "
                            f"TASKS says {task.visible}")
    for c in cells:
        if c["kind"] == "answer":
            after = c["text"].split("### END SOLUTION", 1)[-1]
            if not re.search(r'raise NotImplementedError\("[^"]+"\)', after):
                problems.append(f"answer cell {c['id']!r}: no raise NotImplementedError(\"...\") after END SOLUTION")
    total = sum(c["points"] for c in cells if c["kind"] in ("tests", "written"))
    if total != sum(t.points for t in tasks):
        problems.append(f"the cells hold {total} points, the tasks {sum(t.points for t in tasks)}")
    intro = cells[0]["text"]
    if f"**Points:** {total:g} " not in intro:
        problems.append(f"the intro does not state **Points:** {total:g}")
    if problems:
        raise ValueError(f"{assignment_id}: " + "; ".join(problems))


def render(notebook):
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for assignment_id, cells in ASSIGNMENTS.items():
        check_against_tasks(assignment_id, cells)
        path = os.path.join(HERE, assignment_id, f"{assignment_id}.ipynb")
        text = render(build_notebook(cells))
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
    for path in stale:
        print(("stale: " if check else "wrote: ") + os.path.relpath(path))
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
