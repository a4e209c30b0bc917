"""End to end through real nbgrader: generate, autograde, feedback, in a temporary course directory.

One autograde run per assignment grades every submission at once:

* ``solution``: the instructor's answers in the released notebook: full marks on every
  autograded cell, nothing on stderr;
* ``blank``: the released notebook unchanged: zero, graded without an error;
* one student per file in ``tests/wrong_submissions/``: exactly the listed cells score zero, each
  with its feedback message; every other autograded cell scores full points.

The feedback HTML shows the messages and none of the hidden test code.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from known_wrong import wrong_submissions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTIONS = os.path.join(ROOT, "solutions")
BIN = os.path.dirname(sys.executable)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]


def _assignments():
    return sorted(
        name for name in os.listdir(SOLUTIONS)
        if not name.startswith(("_", ".")) and os.path.isfile(os.path.join(SOLUTIONS, name, f"{name}.ipynb"))
    )


ASSIGNMENTS = _assignments()
if os.environ.get("HOMEWORK_ASSIGNMENTS"):  # e.g. HOMEWORK_ASSIGNMENTS=hw3_kmeans while editing one
    ASSIGNMENTS = [a for a in ASSIGNMENTS if a in os.environ["HOMEWORK_ASSIGNMENTS"].split(",")]
WRONG = {name: mod for name, mod in wrong_submissions().items() if mod.ASSIGNMENT in ASSIGNMENTS}


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(BIN, "nbgrader"), *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _write(path, nb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(nb, fh, indent=1, ensure_ascii=False)


def _with_answers(released, answers):
    """The released notebook with some answer cells' sources replaced, as a student would."""
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        gid = _grade_id(cell)
        if gid in answers:
            cell["source"] = answers[gid].strip("\n") + "\n"
    return nb


def _solution_answers(assignment):
    source = _read(os.path.join(SOLUTIONS, assignment, f"{assignment}.ipynb"))
    return {
        _grade_id(c): "".join(c["source"])
        for c in source["cells"]
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")
    }


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """Build and grade the course once per test run, even when several xdist workers ask for it.

    (``--dist loadgroup`` should keep these tests on one worker, but with pytest-xdist 3.8 the
    group marks are not applied, so a per-worker fixture would grade everything twice.)
    """
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run_id:
        root = str(tmp_path_factory.mktemp("course"))
        _build_course(root)
        return root
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent
    root = str(shared / f"homework-course-{run_id}")
    with open(str(shared / f"homework-course-{run_id}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not os.path.exists(os.path.join(root, ".graded")):
                shutil.rmtree(root, ignore_errors=True)
                os.makedirs(root)
                _build_course(root)
                open(os.path.join(root, ".graded"), "w").close()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root


def _build_course(root):
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), root)
    timings = {}
    for aid in ASSIGNMENTS:
        shutil.copytree(os.path.join(SOLUTIONS, aid), os.path.join(root, "solutions", aid))
        _nbgrader(root, "generate_assignment", aid, "--force")
        released = _read(os.path.join(root, "homework", aid, f"{aid}.ipynb"))
        solution = _with_answers(released, _solution_answers(aid))
        _write(os.path.join(root, "submitted", "solution", aid, f"{aid}.ipynb"), solution)
        _write(os.path.join(root, "submitted", "blank", aid, f"{aid}.ipynb"), released)
        for name, wrong in WRONG.items():
            if wrong.ASSIGNMENT == aid:
                _write(os.path.join(root, "submitted", name, aid, f"{aid}.ipynb"),
                       _with_answers(solution, wrong.CELLS))
        start = time.perf_counter()
        _nbgrader(root, "autograde", aid, "--create")
        _nbgrader(root, "generate_feedback", aid)
        timings[aid] = time.perf_counter() - start
    _nbgrader(root, "export")  # grades.csv, as an instructor would hand it on
    print("autograde + feedback seconds:", {k: round(v, 1) for k, v in timings.items()})


def _grades(course, aid, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{os.path.join(course, 'gradebook.db')}") as gb:
        nb = gb.find_submission_notebook(aid, aid, student)
        return {g.name: (g.score, g.max_score, g.cell_type) for g in nb.grades}


def _autograded_cells(course, aid, student):
    nb = _read(os.path.join(course, "autograded", student, aid, f"{aid}.ipynb"))
    return {_grade_id(c): c for c in nb["cells"] if _grade_id(c)}


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


def _stderr(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o["output_type"] == "stream" and o.get("name") == "stderr")


def _feedback(course, aid, student):
    with open(os.path.join(course, "feedback", student, aid, f"{aid}.html"), encoding="utf-8") as fh:
        return html.unescape(fh.read())


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_solution_scores_full_marks(course, aid):
    grades = _grades(course, aid, "solution")
    cells = _autograded_cells(course, aid, "solution")
    auto = {name: g for name, g in grades.items() if g[2] == "code"}
    assert auto, "no autograded cells"
    for name, (score, max_score, _) in auto.items():
        assert not _errors(cells[name]), f"{name}: {_errors(cells[name])[0]['evalue']}"
        assert not _stderr(cells[name]), f"{name} wrote to stderr: {_stderr(cells[name])}"
        assert score == max_score > 0, f"{name}: {score}/{max_score}"
    for cell in cells.values():
        assert not _errors(cell), f"{_grade_id(cell)} raised an error"


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_released_notebook_scores_zero(course, aid):
    grades = _grades(course, aid, "blank")
    auto = {name: g for name, g in grades.items() if g[2] == "code"}
    assert auto and all(score == 0 for score, _, _ in auto.values()), auto
    cells = _autograded_cells(course, aid, "blank")
    for name in auto:
        messages = " ".join(e["ename"] + ": " + e["evalue"] for e in _errors(cells[name]))
        assert "NotImplementedError" in messages or "not implemented" in messages, (name, messages)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_partial_marks(course, name):
    wrong = WRONG[name]
    aid = wrong.ASSIGNMENT
    grades = _grades(course, aid, name)
    cells = _autograded_cells(course, aid, name)
    auto = {gid: g for gid, g in grades.items() if g[2] == "code"}
    assert set(wrong.EXPECTED) <= set(auto), set(wrong.EXPECTED) - set(auto)
    for gid, (score, max_score, _) in auto.items():
        errors = _errors(cells[gid])
        if gid in wrong.EXPECTED:
            assert score == 0, f"{gid} should fail but scored {score}/{max_score}"
            messages = " ".join(e["evalue"] for e in errors)
            assert wrong.EXPECTED[gid] in messages, f"{gid}: expected {wrong.EXPECTED[gid]!r}, got {messages!r}"
        else:
            detail = errors[0]["evalue"] if errors else _stderr(cells[gid])
            assert score == max_score, f"{gid} should pass but scored {score}/{max_score}: {detail}"
    expected_total = sum(g[1] for gid, g in auto.items() if gid not in wrong.EXPECTED)
    assert sum(g[0] for g in auto.values()) == expected_total


@pytest.mark.parametrize("name", sorted(WRONG))
def test_feedback_shows_message_not_hidden_code(course, name):
    wrong = WRONG[name]
    page = _feedback(course, wrong.ASSIGNMENT, name)
    for message in wrong.EXPECTED.values():
        assert message in page
    assert "BEGIN HIDDEN TESTS" not in page
    assert "seeds=" not in page, "hidden test code leaked into the feedback"
    assert "_Fail" not in page and "_dispatch" not in page


def test_export_totals(course):
    """``nbgrader export``'s grades.csv holds the autograded totals (manual grades still pending)."""
    import csv

    with open(os.path.join(course, "grades.csv"), encoding="utf-8") as fh:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(fh)}
    for aid in ASSIGNMENTS:
        grades = _grades(course, aid, "solution")
        auto_total = sum(g[1] for g in grades.values() if g[2] == "code")
        assert rows[(aid, "solution")] == auto_total
        assert rows[(aid, "blank")] == 0
    for name, wrong in WRONG.items():
        grades = _grades(course, wrong.ASSIGNMENT, name)
        expected = sum(g[1] for gid, g in grades.items() if g[2] == "code" and gid not in wrong.EXPECTED)
        assert rows[(wrong.ASSIGNMENT, name)] == expected, name


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_feedback_names_every_task_as_the_course_does(course, aid):
    """The feedback's headings are the tasks' names (tests/test_task_names.py: the book uses the same)."""
    import coursekit.checks

    for student in ("solution", "blank"):
        page = " ".join(_feedback(course, aid, student).split())
        for task in coursekit.checks.ASSIGNMENTS[aid].TASKS:
            assert task.heading.lstrip("# ") in page, (student, task.heading)
    blank = _feedback(course, aid, "blank")
    for task in coursekit.checks.ASSIGNMENTS[aid].TASKS:
        if task.function:  # the unwritten function's message names its task
            assert f"{task.function} ({task.name.split(':')[0]}) is not written yet" in blank, task.name
