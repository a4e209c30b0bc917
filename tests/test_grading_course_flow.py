"""A course run end to end through the command line: a Canvas download with a roster, due dates,
an extension and the late policy, a hand-graded part entered by CSV, the Canvas gradebook export
and nbgrader's own export agreeing with it.

The fixture assignment gets a task heading and a hand-graded part (2 points) here, and is
released with ``coursekit release`` as an instructor would.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from adversarial.cases import CORRECT, WRONG, student_nb
from coursekit import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "course")
AID = "fx_mle"

SETTINGS = """
[course]
timezone = "Europe/Berlin"
mapping = "roster.csv"

[late]
grace = "15m"
penalty_per_day = 0.1
cutoff = "3d"

[assignments.fx_mle]
due = 2025-10-10T23:59:00
lms_column = "Fixture MLE (4242)"

[assignments.fx_mle.extensions]
ben = "2d"
"""

ROSTER = """student,name,lms_id,email
ada,Ada Lovelace,101,ada@uni.example
ben,Charles Babbage,102,cb@uni.example
cy,Grace Hopper,103,gh@uni.example
alan,Alan Turing,104,at@uni.example
dora,Dorothy Vaughan,105,dv@uni.example
"""


def _cell(kind, gid, source, **nbg):
    meta = {"grade": False, "grade_id": gid, "locked": False, "schema_version": 3,
            "solution": False, "task": False}
    meta.update(nbg)
    c = {"cell_type": kind, "id": gid, "metadata": {"nbgrader": meta}, "source": source}
    if kind == "code":
        c.update(outputs=[], execution_count=None)
    return c


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _needs_manual_grade(root):
    """{student: whether formgrader lists the submission as needing a manual grade}."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: bool(s.needs_manual_grade)
                for s in gb.find_assignment(AID).submissions}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("flow")
    root = base / "course"
    shutil.copytree(FIXTURE, root)
    path = root / "solutions" / AID / f"{AID}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].insert(2, _cell("markdown", "task1", "## Task 1: the Gaussian MLE (6 points)\n",
                                locked=True))
    nb["cells"].append(_cell("markdown", "explain",
                             "### BEGIN SOLUTION\nThe MLE of the mean is $\\bar x = \\frac1N "
                             "\\sum_i x_i$.\n### END SOLUTION\n",
                             grade=True, solution=True, points=2))
    path.write_text(json.dumps(nb))
    assert cli.main(["--course", str(root), "release", AID]) == 0
    (root / "coursekit.toml").write_text(SETTINGS)
    (root / "roster.csv").write_text(ROSTER)
    src = json.loads(path.read_text())
    z = base / "canvas.zip"
    # Canvas's download holds no submission time (its entries carry the time the zip was made):
    # the times come from a CSV (Canvas's submitted_at, in UTC here).
    times = base / "submitted_at.csv"
    times.write_text("student,timestamp\nada,2025-10-10T20:00:00Z\nben,2025-10-12T07:00:00Z\n"
                     "cy,2025-10-12T07:00:00Z\nalan,2025-10-15T07:00:00Z\n")
    with zipfile.ZipFile(z, "w") as zf:
        for name, code, when in [
            ("lovelaceada_101_1", CORRECT, (2025, 10, 10, 22, 0, 0)),
            ("babbagecharles_late_102_2", CORRECT, (2025, 10, 12, 9, 0, 0)),   # extension
            ("hoppergrace_late_103_3", CORRECT, (2025, 10, 12, 9, 0, 0)),      # 2 days late
            ("turingalan_late_104_4", CORRECT, (2025, 10, 15, 9, 0, 0)),       # past cut-off
            ("stranger_999_5", WRONG, (2025, 10, 10, 9, 0, 0)),                # not on roster
        ]:
            zf.writestr(zipfile.ZipInfo(f"{name}_{AID}.ipynb", when), student_nb(src, code))
    return {"root": root, "zip": z, "out": root / "autograded" / AID, "times": times}


def test_canvas_download_roster_and_late_policy(course, capsys):
    rc = cli.main(["--course", str(course["root"]), "autograde", AID, "--submissions",
                   str(course["zip"]), "--jobs", "2", "--timeout", "60",
                   "--timestamps", str(course["times"])])
    captured = capsys.readouterr()
    assert rc == cli.EXIT_ATTENTION  # one file matched no student of the roster
    assert "1 file(s) could not be matched" in captured.err
    out = course["out"]
    unmatched = _rows(out / "unmatched.csv")
    assert [r["file"] for r in unmatched] == [f"stranger_999_5_{AID}.ipynb"]
    totals = {r["student"]: r for r in _rows(out / "totals.csv")}
    assert sorted(totals) == ["ada", "alan", "ben", "cy", "dora"]
    for s in totals:
        assert totals[s]["max_score"] == "6"  # 4 autograded + 2 by hand
    assert (totals["ada"]["total"], totals["ada"]["late"], totals["ada"]["pending_points"]) == \
        ("4", "on_time", "2")
    assert totals["ben"]["late"] == "on_time" and totals["ben"]["penalty"] == "0"
    # 1 day 9 h late: 2 started days x 10% of 6 points.
    assert (totals["cy"]["late"], totals["cy"]["days_late"], totals["cy"]["penalty"],
            totals["cy"]["total"]) == ("late", "2", "1.2", "2.8")
    assert (totals["alan"]["late"], totals["alan"]["total"]) == ("cutoff", "0")
    assert totals["dora"]["total"] == "0" and totals["dora"]["complete"] == "yes"
    rows = _rows(out / "grades.csv")
    penalty = [r for r in rows if r["part"] == "late_penalty"]
    assert [(r["student"], r["score"], r["status"]) for r in penalty] == [
        ("alan", "-4", "cutoff"), ("cy", "-1.2", "late")]
    tasks = {r["task"] for r in rows if r["kind"] == "auto"}
    assert tasks == {"Task 1: the Gaussian MLE"}
    pending = [r for r in rows if r["status"] == "awaiting_manual_grade"]
    assert sorted(r["student"] for r in pending) == ["ada", "alan", "ben", "cy"]
    assert all(r["score"] == "" for r in pending)
    # Canvas: blank (no change) while a part awaits its manual grade.
    canvas = list(csv.reader(open(out / "canvas.csv", newline="")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Fixture MLE (4242)"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "6"]
    assert {r[1]: r[5] for r in canvas[2:]} == {"101": "", "102": "", "103": "", "104": "",
                                                "105": "0"}
    page = (out / "feedback" / "cy.html").read_text()
    assert "2 of the 6 points are awaiting a manual grade" in page
    assert "2 days x 10% = 20% of the points taken off" in page
    assert totals["dora"]["late"] == "no_submission"  # on the roster, nothing handed in
    # formgrader lists exactly the submissions with a hand-graded part to grade.
    assert _needs_manual_grade(course["root"]) == {"ada": True, "alan": True, "ben": True,
                                                    "cy": True, "dora": False}


def test_manual_grades_by_csv_then_every_output_agrees(course, capsys):
    root, out = course["root"], course["out"]
    template = root / "manual.csv"
    assert cli.main(["manual", AID, "--course", str(root), "--template", str(template)]) == 0
    rows = _rows(template)
    assert sorted(r["student"] for r in rows) == ["ada", "alan", "ben", "cy"]
    assert all(r["part"] == "explain" and r["max_score"] == "2" for r in rows)
    assert "The MLE of the mean" in rows[0]["answer"]
    # A score out of range: nothing is written.
    bad = [dict(r, score="3") if r["student"] == "ada" else dict(r, score="2") for r in rows]
    with open(template, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(bad)
    capsys.readouterr()
    assert cli.main(["manual", AID, "--course", str(root), "--import", str(template)]) == \
        cli.EXIT_USAGE
    assert "score 3 outside 0..2 for explain" in capsys.readouterr().err
    assert {r["student"]: r["complete"] for r in _rows(out / "totals.csv")}["cy"] == "no"
    scores = {"ada": ("2", "clear"), "ben": ("1.5", "the variance step is missing"),
              "cy": ("2", ""), "alan": ("2", "")}
    with open(template, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(dict(r, score=scores[r["student"]][0], comment=scores[r["student"]][1])
                    for r in rows)
    assert cli.main(["manual", AID, "--course", str(root), "--import", str(template)]) == 0
    assert "4 manual score(s) entered" in capsys.readouterr().out
    totals = {r["student"]: r for r in _rows(out / "totals.csv")}
    assert {s: totals[s]["total"] for s in totals} == {"ada": "6", "ben": "5.5", "cy": "4.8",
                                                       "alan": "0", "dora": "0"}
    assert all(r["complete"] == "yes" for r in totals.values())
    canvas = list(csv.reader(open(out / "canvas.csv", newline="")))
    assert {r[1]: r[5] for r in canvas[2:]} == {"101": "6", "102": "5.5", "103": "4.8",
                                                "104": "0", "105": "0"}
    page = (out / "feedback" / "ben.html").read_text()
    assert "the variance step is missing" in page and "awaiting" not in page
    # One score by the command line (as formgrader would write it into the gradebook).
    assert cli.main(["manual", AID, "--course", str(root), "--set", "ben", "Task 1", "2"]) == 0
    assert {r["student"]: r["total"] for r in _rows(out / "totals.csv")}["ben"] == "6"
    # Every hand-graded part is in: formgrader lists no submission as needing a grade.
    assert _needs_manual_grade(root) == {s: False for s in ("ada", "alan", "ben", "cy", "dora")}


def test_timestamps_file_wins_and_a_name_it_does_not_match_is_reported(course, tmp_path, capsys):
    """A Canvas download holds no submission time: only the --timestamps file gives one; the
    students it leaves out are not penalised and the run says so; a student in it who has no
    submission (a typo) is named. Either needs attention. A side run (--out)."""
    stamps = tmp_path / "times.csv"
    stamps.write_text("student,timestamp\ncy,2025-10-10 23:00\ncyy,2025-10-20 09:00\n")
    out = tmp_path / "side"
    rc = cli.main(["--course", str(course["root"]), "autograde", AID, "--submissions",
                   str(course["zip"]), "--out", str(out), "--timestamps", str(stamps),
                   "--timeout", "60", "--quiet"])
    assert rc == cli.EXIT_ATTENTION
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "the timestamps file names" in x)
    assert line.endswith("names 1 student(s) with no submission here, whose times were not "
                         "used: cyy")
    line = next(x for x in err.splitlines() if "no submission time" in x)
    assert line.endswith("(a Canvas download holds none: give the times with --timestamps "
                         "CSV): ada, alan, ben")
    totals = {r["student"]: r for r in _rows(out / "totals.csv")}
    assert (totals["cy"]["late"], totals["cy"]["penalty"]) == ("on_time", "0")
    # Alan's file is past the cut-off by the CSV of the main run, but here his time is unknown:
    # not penalised, and his feedback says why, with Canvas's own LATE flag.
    assert (totals["alan"]["late"], totals["alan"]["penalty"]) == ("unknown", "0")
    page = (out / "feedback" / "alan.html").read_text()
    assert "no submission time known: the late policy was not applied (the LMS marks it " \
           "late)" in page
    sub = {r["student"]: r for r in _rows(out / "submissions.csv")}
    assert sub["cy"]["timestamp_source"] == "timestamps file"


def test_gradescope_export_with_a_roster_of_canvas_ids(course, tmp_path):
    """A Gradescope export graded for a Canvas course: students are matched by the roster's sid
    and email, and canvas.csv carries the roster's Canvas ids (a Gradescope submission id is no
    user's id: as one it once matched ada's row for Charles's group and filled canvas.csv)."""
    src = json.loads((course["root"] / "solutions" / AID / f"{AID}.ipynb").read_text())
    meta = """submission_102:
  :submitters:
  - :name: Charles Babbage
    :sid: '1791'
    :email: cb@uni.example
  - :name: Grace Hopper
    :sid: '1906'
    :email: gh@uni.example
  :created_at: 2025-10-10 21:05:00.000000000 +02:00
submission_555:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@uni.example
  :created_at: 2025-10-10 21:00:00.000000000 +02:00
"""
    z = tmp_path / "gradescope.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("submission_metadata.yml", meta)
        zf.writestr(f"submission_102/{AID}.ipynb", student_nb(src, WRONG))
        zf.writestr(f"submission_555/{AID}.ipynb", student_nb(src, CORRECT))
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,sid,email\nada,102,1815,ada@uni.example\n"
                      "ben,201,1791,cb@uni.example\ncy,202,1906,gh@uni.example\n")
    out = tmp_path / "gs"
    rc = cli.main(["--course", str(course["root"]), "autograde", AID, "--submissions", str(z),
                   "--out", str(out), "--mapping", str(roster), "--include-pending",
                   "--timeout", "60", "--quiet"])
    assert rc == 0
    totals = {r["student"]: r["autograded"] for r in _rows(out / "totals.csv")}
    assert totals == {"ada": "4", "ben": "0", "cy": "0"}
    canvas = list(csv.reader(open(out / "canvas.csv", newline="")))
    assert {r[1]: (r[2], r[5]) for r in canvas[2:]} == {
        "102": ("1815", "4"), "201": ("1791", "0"), "202": ("1906", "0")}


def test_canvas_anonymous_grading_download(course, tmp_path, capsys):
    """An assignment with Canvas's anonymous grading: the download names files
    ``[LATE_]anon_ANONYMOUSID_FILEID_name`` (canvas-lms lib/content_zipper.rb). They are graded,
    the roster's anonymous_id column mapping them to the course's students (and canvas.csv to
    their Canvas ids); with a roster without that column, each file is listed as unmatched with
    what to do."""
    src = json.loads((course["root"] / "solutions" / AID / f"{AID}.ipynb").read_text())
    z = tmp_path / "anon.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"anon_Ab3kZ_80001_{AID}.ipynb", student_nb(src, CORRECT))
        zf.writestr(f"LATE_anon_7xQpR_80002_{AID}.ipynb", student_nb(src, WRONG))
    roster = tmp_path / "anon_roster.csv"
    roster.write_text("student,name,lms_id,anonymous_id\nada,Ada Lovelace,101,Ab3kZ\n"
                      "ben,Charles Babbage,102,7xQpR\n")
    times = tmp_path / "times.csv"
    times.write_text("student,timestamp\nada,2025-10-10T20:00:00Z\nben,2025-10-11T07:00:00Z\n")
    out = tmp_path / "side"
    args = ["--course", str(course["root"]), "autograde", AID, "--submissions", str(z),
            "--out", str(out), "--timestamps", str(times), "--timeout", "60", "--quiet"]
    assert cli.main(args + ["--mapping", str(roster)]) == 0, capsys.readouterr().err
    assert not (out / "unmatched.csv").exists()
    totals = {r["student"]: r for r in _rows(out / "totals.csv")}
    assert sorted(totals) == ["ada", "ben"]
    assert totals["ada"]["autograded"] == "4" and float(totals["ben"]["autograded"]) < 4
    sub = {r["student"]: r for r in _rows(out / "submissions.csv")}
    assert sub["ben"]["lms_late"] == "yes" and sub["ada"]["lms_late"] == ""
    canvas = list(csv.reader(open(out / "canvas.csv", newline="")))
    assert sorted(r[1] for r in canvas[2:]) == ["101", "102"]
    # The course's roster has no anonymous_id column: nothing can be matched, and it says why.
    capsys.readouterr()
    assert cli.main(args) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    for name in (f"LATE_anon_7xQpR_80002_{AID}.ipynb", f"anon_Ab3kZ_80001_{AID}.ipynb"):
        line = next(x for x in err.splitlines() if name in x)
        assert "give the mapping file an anonymous_id column" in line, err


def test_nbgrader_export_agrees(course):
    """nbgrader's own export reads the same gradebook: raw score, late penalty, final score."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "nbx.csv"],
                          cwd=course["root"], capture_output=True, text=True,
                          env=dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                                   + os.environ["PATH"]))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["student_id"]: r for r in _rows(course["root"] / "nbx.csv")}
    ours = {r["student"]: r for r in _rows(course["out"] / "totals.csv")}
    for student in ("ada", "ben", "cy", "alan"):
        assert float(rows[student]["score"]) == pytest.approx(float(ours[student]["total"]))
        assert float(rows[student]["max_score"]) == 6
    assert float(rows["cy"]["late_submission_penalty"]) == pytest.approx(1.2)
    assert float(rows["cy"]["raw_score"]) == pytest.approx(6)


def test_report_roster_rollups_and_misconceptions(course):
    out = course["out"]
    assert cli.main(["report", AID, "--course", str(course["root"])]) == 0
    rep = out / "report"
    roster = {r["student"]: r for r in _rows(rep / "roster.csv")}
    assert roster["cy"]["Task 1: the Gaussian MLE"] == "6" and roster["cy"]["total"] == "4.8"
    assert (roster["cy"]["late"], roster["cy"]["penalty"]) == ("late", "1.2")
    assert roster["dora"]["complete"] == "yes" and roster["ada"]["pending_points"] == "0"
    functions = {r["function"]: r for r in _rows(rep / "functions.csv")}
    assert set(functions) == {"mle_gaussian", "explain"}
    assert functions["mle_gaussian"]["no_submission"] == "1"  # dora
    tasks = _rows(rep / "tasks.csv")
    assert [t["task"] for t in tasks] == ["Task 1: the Gaussian MLE"]
    page = (rep / "index.html").read_text()
    for heading in ("Roster", "Tasks", "Functions", "Most common misconceptions"):
        assert f"<h2>{heading}</h2>" in page


def test_report_picks_up_scores_entered_in_formgrader(course, capsys):
    """An instructor grades the derivation in formgrader (which writes the gradebook only), then
    runs `coursekit report`: the report and every grades output carry the new score."""
    from nbgrader.api import Gradebook

    root, out = course["root"], course["out"]
    # What formgrader's grade and comment handlers do (nbgrader's apihandlers: manual_score,
    # needs_manual_grade, manual_comment, then a commit).
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grade = gb.find_grade("explain", AID, AID, "ben")
        grade.manual_score = 0.5
        grade.needs_manual_grade = False
        gb.find_comment("explain", AID, AID, "ben").manual_comment = "only the mean is derived"
        gb.db.commit()
    assert cli.main(["report", AID, "--course", str(root)]) == 0
    printed = capsys.readouterr().out
    explain = {r["student"]: r for r in _rows(out / "grades.csv") if r["part"] == "explain"}
    assert (explain["ben"]["score"], explain["ben"]["message"]) == \
        ("0.5", "only the mean is derived")
    # ben: 4 autograded points on time (extension) + 0.5 by hand.
    assert {r["student"]: r["total"] for r in _rows(out / "totals.csv")}["ben"] == "4.5"
    canvas = list(csv.reader(open(out / "canvas.csv", newline="")))
    assert {r[1]: r[5] for r in canvas[2:]}["102"] == "4.5"
    roster = {r["student"]: r for r in _rows(out / "report" / "roster.csv")}
    assert (roster["ben"]["Task 1: the Gaussian MLE"], roster["ben"]["total"]) == ("4.5", "4.5")
    assert "only the mean is derived" in (out / "feedback" / "ben.html").read_text()
    assert "from the gradebook" in printed


def test_formgrader_finds_and_renders_the_hand_graded_part(course):
    """formgrader lists a submission for manual grading only if nbgrader's autograded notebook
    exists, and renders it with its 'formgrade' template: both hold for ours."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    path = course["root"] / "autograded" / "ada" / AID / f"{AID}.ipynb"
    assert path.exists()
    cfg = Config()
    cfg.HTMLExporter.template_name = "formgrade"
    cfg.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": AID, "notebook_id": AID, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "ada", "last_name": "", "first_name": "",
                 "notebook_path": str(path)}
    page, _ = HTMLExporter(config=cfg).from_filename(str(path), resources=resources)
    assert 'id="explain"' in page and 'id="explain-comment"' in page  # score and comment inputs
    assert "check_mle_cov" not in page  # hidden tests are not in the copy either
