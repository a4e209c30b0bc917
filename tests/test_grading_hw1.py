"""End to end on the real homework 1: the instructor's solutions score full marks, the released
student version (stubs) scores zero, and a known-wrong submission gets its visible test's whole
message (the values, then the mistake it names) in grades.csv and on its feedback page, all
through the sandboxed grader."""

import csv
import html
import json
import os
import shutil

import pytest
from known_wrong import wrong_submissions

from coursekit import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AID = "hw1_gaussian"
SOURCE = os.path.join(ROOT, "solutions", AID, f"{AID}.ipynb")
RELEASE = os.path.join(ROOT, "homework", AID, f"{AID}.ipynb")


@pytest.mark.skipif(not (os.path.exists(SOURCE) and os.path.exists(RELEASE)),
                    reason="hw1_gaussian not written yet")
def test_hw1_solutions_full_marks_and_release_zero(tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "homework").mkdir()
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    shutil.copytree(os.path.dirname(SOURCE), course / "solutions" / AID)
    shutil.copytree(os.path.dirname(RELEASE), course / "homework" / AID)
    subs = tmp_path / "subs"
    for student, path in (("solved", SOURCE), ("blank", RELEASE)):
        (subs / student).mkdir(parents=True)
        shutil.copy(path, subs / student / f"{AID}.ipynb")
    # The density without |Σ|^(-1/2): its visible message (call, values, then the mistake) is
    # longer than the 300 characters the grader once kept, which cut the mistake off.
    wrong = wrong_submissions()["hw1_pdf_no_logdet"]
    with open(SOURCE) as fh:
        nodet = json.load(fh)
    for cell in nodet["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") in wrong.CELLS:
            cell["source"] = wrong.CELLS[cell["metadata"]["nbgrader"]["grade_id"]]
    (subs / "nodet").mkdir()
    with open(subs / "nodet" / f"{AID}.ipynb", "w") as fh:
        json.dump(nodet, fh)
    rc = cli.main(["--course", str(course), "autograde", AID, "--submissions", str(subs),
                   "--jobs", "2", "--timeout", "240", "--quiet"])
    assert rc == 0
    with open(course / "autograded" / AID / "totals.csv") as fh:
        totals = {r["student"]: r for r in csv.DictReader(fh)}
    # The hand-graded derivation (4 of 17 points) is part of the total, and pending.
    assert totals["solved"]["max_score"] == "17" and totals["solved"]["pending_points"] == "4"
    assert totals["solved"]["total"] == "13" and totals["solved"]["complete"] == "no"
    with open(course / "autograded" / AID / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    with open(SOURCE) as fh:
        nb = json.load(fh)
    expected = {c["metadata"]["nbgrader"]["grade_id"]: float(c["metadata"]["nbgrader"]["points"])
                for c in nb["cells"] if c["cell_type"] == "code"
                and c["metadata"].get("nbgrader", {}).get("grade")
                and not c["metadata"]["nbgrader"].get("solution")}
    solved = {r["part"]: r for r in rows if r["student"] == "solved" and r["kind"] == "auto"}
    blank = {r["part"]: r for r in rows if r["student"] == "blank" and r["kind"] == "auto"}
    assert set(solved) == set(expected) == set(blank)
    for task, points in expected.items():
        assert float(solved[task]["score"]) == points and solved[task]["status"] == "ok", solved[task]
        assert float(blank[task]["score"]) == 0 and blank[task]["status"] == "failed", blank[task]
        assert "NotImplementedError" in blank[task]["message"] or blank[task]["message"]
    nodet = {r["part"]: r for r in rows if r["student"] == "nodet" and r["kind"] == "auto"}
    assert {p for p, r in nodet.items() if r["status"] != "ok"} == set(wrong.EXPECTED)
    with open(course / "autograded" / AID / "feedback" / "nodet.html", encoding="utf-8") as fh:
        page = html.unescape(fh.read())
    for part, text in wrong.EXPECTED.items():
        message = nodet[part]["message"]
        assert text in message, (part, message)
        assert message.rstrip().endswith(text), (part, message)  # nothing cut off after it
        assert message in page, part
    visible = nodet["test_gaussian_pdf_visible"]["message"]
    assert len(visible) > 300 and "returned [" in visible and "expected [" in visible, visible
    # The executed notebooks the feedback pages are rendered from (built by the worker without
    # going through nbformat) are valid nbformat 4.5, with no hidden test code in them.
    import nbformat

    for student in ("solved", "blank"):
        executed = nbformat.read(course / "autograded" / AID / "results" / f"{student}.ipynb",
                                 as_version=4)
        nbformat.validate(executed)
        assert not any("### BEGIN HIDDEN TESTS" in c.source for c in executed.cells)
    # The grader key covers the check module the solution's kernel imported (read with the
    # last test cell's reply).
    with open(course / "autograded" / AID / "selfcheck" / "results" / "solution.json") as fh:
        assert "coursekit.checks.hw1_gaussian" in json.load(fh)["coursekit_modules"]
