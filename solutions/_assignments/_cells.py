"""Cell constructors shared by the assignment sources.

The tasks (number, title, function, points) come from the assignment's checks module,
``coursekit.checks.ID.TASKS``: the headings, the task table and the test cells' points are made
from it, so the notebook, the checks and the feedback name every task the same way.
"""

import importlib
import re

ASSIGNMENT_IDS = ("hw1_gaussian", "hw2_sampling", "hw3_kmeans", "hw4_em")


def checks(aid):
    """The checks module of an assignment (``coursekit.checks.ID``)."""
    return importlib.import_module(f"coursekit.checks.{aid}")


def md(grade_id, text):
    """Read-only markdown."""
    return {"kind": "md", "id": grade_id, "text": text}


def setup(grade_id, text):
    """Read-only code (imports, data)."""
    return {"kind": "setup", "id": grade_id, "text": text}


def answer(grade_id, text):
    """Autograded answer cell: the student's code goes between the solution markers."""
    return {"kind": "answer", "id": grade_id, "text": text}


def tests(grade_id, points, text):
    """Autograder test cell worth ``points`` (all or nothing)."""
    return {"kind": "tests", "id": grade_id, "points": points, "text": text}


def written(grade_id, points, text):
    """Manually graded markdown answer."""
    return {"kind": "written", "id": grade_id, "points": points, "text": text}


def task_heading(aid, number, text):
    """The task's Markdown cell: its heading ("## Task N: title (P points)") from TASKS, then ``text``."""
    task = next(t for t in checks(aid).TASKS if t.number == number)
    return md(f"task{number}", task.heading + "\n\n" + text.strip("\n") + "\n")


def visible_test(aid, function):
    """The visible test cell of ``function``: one call; its docstring says what it tries."""
    module = checks(aid)
    task = next(t for t in module.TASKS if t.function == function)
    check = getattr(module, f"visible_{function}")
    doc = " ".join(check.__doc__.split())
    unit = "point" if task.visible == 1 else "points"
    return tests(f"test_{function}_visible", task.visible,
                 f"# Visible test ({task.visible} {unit}): {doc}\n"
                 f"# A mistake shows your value next to the expected one.\n"
                 f"_checks.visible_{function}({function})\n")


def hidden(aid, grade_id, points, comment, code):
    """A hidden test cell: a comment saying what it checks (shown to students), the rest hidden."""
    unit = "point" if points == 1 else "points"
    return tests(grade_id, points,
                 f"# Hidden test ({points} {unit}): {comment}\n### BEGIN HIDDEN TESTS\n"
                 f"from coursekit.checks import {aid} as _checks\n{code.strip()}\n### END HIDDEN TESTS\n")


def setup_cell(aid, extra=""):
    return setup("setup", f"""
import numpy as np
{extra.strip()}
from coursekit.checks import {aid} as _checks  # the checks the test cells call
""".replace("\n\n\n", "\n\n"))


def summary_cells(aid):
    """The assignment's end: a heading, then the cell that prints where the student stands."""
    return [md("end", f"""
## Where you stand

The cell below runs the visible tests again (never the hidden ones) and prints one row per task.
*Run All* stops at the first cell that raises, so while a task still fails, run this cell on its
own (after running the cells above it), or type `coursekit check {aid}.ipynb` in a terminal: it
runs every cell of your notebook in a fresh kernel and prints the same table.
"""), setup("where_you_stand", f"""
# Where you stand: runs the visible test of every task again (never a hidden one) and lists what is
# left to write. From a terminal, `coursekit check {aid}.ipynb` prints the same table.
_checks.summary()
""")]


def task_table(aid, signatures):
    """The intro's table of tasks (from TASKS) with each function's signature."""
    rows = ["| task | function | points |", "| --- | --- | --- |"]
    for t in checks(aid).TASKS:
        what = f"`{signatures[t.function]}`" if t.function else "written derivation, graded by hand"
        rows.append(f"| {t.name} | {what} | {t.points} |")
    return "\n".join(rows)


def signature(answer_text):
    match = re.search(r"^def (\w+\([^)]*\)):", answer_text, re.M)
    return match.group(1)


RULES = """\
How this works:

* Write each function in its cell, keeping its name and arguments; you may add helper functions.
  An unwritten function raises `NotImplementedError` naming its task.
* Use NumPy (and, if you like, `scipy.special` and `scipy.linalg`). A function that calls
  `coursekit`, `scipy.stats`, `scipy.cluster` or scikit-learn, however it imports them, scores
  zero for that task (any function of yours: the graded one or a helper it calls).
* Each function's docstring is its contract: any implementation that meets it gets full marks,
  loops or vectorised.
* Below each function, its **visible test** (1 point) tries a small worked example; when it fails
  it shows your value next to the expected one and names the likely mistake. The **hidden tests**
  (the other points) compare your function with a reference on random instances when your work is
  graded; you see their descriptions, not their code.
{extra}* The last cell prints **where you stand**: the visible-test points of every task, what is
  still to write, and how many points the hidden tests hold (`coursekit check NOTEBOOK` prints the
  same table from a terminal).
* Before you hand in: *Kernel → Restart & Run All*, and check that no cell raises an error.
"""


def rules(extra=""):
    return RULES.format(extra=extra)
