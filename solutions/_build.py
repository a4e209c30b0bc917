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


def render(notebook):
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for assignment_id, cells in ASSIGNMENTS.items():
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
