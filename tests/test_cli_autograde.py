"""``coursekit autograde`` / ``report`` / ``release`` end to end on the fixture assignment."""

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


def _source_nb():
    with open(os.path.join(FIXTURE, "solutions", AID, f"{AID}.ipynb")) as fh:
        return json.load(fh)


def _rows(out):
    with open(os.path.join(out, "grades.csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def _totals(rows):
    t = {}
    for r in rows:
        t[r["student"]] = t.get(r["student"], 0.0) + float(r["score"] or 0)
    return t


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    root = base / "course"
    shutil.copytree(FIXTURE, root)
    src = _source_nb()
    subs = base / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / f"{AID}.ipynb").write_bytes(student_nb(src, CORRECT))
    (subs / "bob").mkdir()
    (subs / "bob" / f"{AID}.ipynb").write_bytes(student_nb(src, WRONG))
    (subs / "carol").mkdir()  # submitted nothing
    out = base / "out"
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--jobs", "2", "--timeout", "60", "--out", str(out)])
    assert rc == 0
    return {"root": root, "subs": subs, "out": out, "src": src}


def test_grades_csv_has_every_student_and_task(course):
    rows = _rows(course["out"])
    assert list(rows[0]) == ["student", "assignment", "task", "part", "kind", "score", "max_score",
                             "status", "message"]
    assert _totals(rows) == {"alice": 4.0, "bob": 0.0, "carol": 0.0}
    assert {r["status"] for r in rows if r["student"] == "carol"} == {"missing_notebook"}
    assert {r["status"] for r in rows if r["student"] == "bob"} == {"failed"}
    for student in ("alice", "bob", "carol"):
        assert (course["out"] / "feedback" / f"{student}.html").stat().st_size > 0


def test_rerun_grades_only_changed_submissions(course, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in (course["out"] / "results").iterdir()}
    (course["subs"] / "bob" / f"{AID}.ipynb").write_bytes(student_nb(course["src"], CORRECT))
    rc = cli.main(["--course", str(course["root"]), "autograde", AID, "--submissions",
                   str(course["subs"]), "--out", str(course["out"]), "--timeout", "60"])
    assert rc == 0
    assert "1 to grade (2 unchanged)" in capsys.readouterr().out
    after = {p.name: p.stat().st_mtime_ns for p in (course["out"] / "results").iterdir()}
    assert after["alice.json"] == before["alice.json"] and after["bob.json"] != before["bob.json"]
    assert _totals(_rows(course["out"]))["bob"] == 4.0


def test_report_writes_table_plots_and_page(course):
    rc = cli.main(["--course", str(course["root"]), "report", AID, "--out", str(course["out"])])
    assert rc == 0
    rep = course["out"] / "report"
    for name in ("index.html", "roster.csv", "tasks.csv", "functions.csv", "tests.csv",
                 "misconceptions.csv", "scores.png", "hardest.png", "totals.png", "messages.png"):
        assert (rep / name).stat().st_size > 0, name
    assert (rep / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (rep / "index.html").read_text()
    assert "test_cov" in page and "<img" in page


def test_zip_and_nbgrader_layouts(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    src = _source_nb()
    z = tmp_path / "collected.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"submitted/dora/{AID}/{AID}.ipynb", student_nb(src, CORRECT))
        zf.writestr(f"submitted/emil/{AID}/{AID}.ipynb", b"")
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(z), "--quiet",
                   "--timeout", "60"])
    assert rc == 0
    rows = _rows(root / "autograded" / AID)
    assert _totals(rows) == {"dora": 4.0, "emil": 0.0}
    assert {r["status"] for r in rows if r["student"] == "emil"} == {"invalid_notebook"}


def test_release_generates_and_checks(tmp_path, capfd):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    assert cli.main(["--course", str(root), "release", AID]) == 0
    # The kernel that validates the solutions talks over Unix sockets: no warning on the
    # instructor's terminal about a kernel "running over TCP without encryption".
    captured = capfd.readouterr()
    assert "WARNING" not in captured.out + captured.err, captured.err
    released = root / "homework" / AID / f"{AID}.ipynb"
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "check_mle_cov" not in text
    assert "raise NotImplementedError()" in text
    assert cli.main(["--course", str(root), "release", "--all", "--check", "--no-validate"]) == 0
    nb = json.loads(text)
    nb["cells"][2]["source"] = "stale"
    released.write_text(json.dumps(nb))
    assert cli.main(["--course", str(root), "release", "--all", "--check", "--no-validate"]) == 1


def test_release_rejects_failing_solutions(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    path = root / "solutions" / AID / f"{AID}.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"]["nbgrader"]["grade_id"] == "mle_gaussian":
            cell["source"] = WRONG
    path.write_text(json.dumps(nb))
    released = root / "homework" / AID / f"{AID}.ipynb"
    before = released.read_bytes()
    assert cli.main(["--course", str(root), "release", AID]) == 1
    assert released.read_bytes() == before  # the committed release is left as it was


def test_python_m_coursekit_and_usage_errors():
    out = subprocess.run([sys.executable, "-m", "coursekit", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for word in ("release", "autograde", "report"):
        assert word in out
    with pytest.raises(SystemExit):
        cli.main(["autograde", AID])  # --submissions is required
    assert cli.main(["--course", FIXTURE, "report", "no_such_assignment"]) == 2
