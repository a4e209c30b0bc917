"""The grader proves itself before it grades, never blames a student for its own failures, and a
side run (``--out``) leaves the course folder exactly as it was.

Everything goes through ``coursekit autograde`` as an instructor types it, on a copy of the
fixture course (``tests/fixtures/course``: one answer cell, tests worth 1 + 1 + 2 points).
"""

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from adversarial.cases import CORRECT, WRONG, student_nb
from coursekit import cli
from coursekit.grading import jobs, runner, sandbox
from coursekit.grading.worker import grader_fault

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "course")
AID = "fx_mle"
COURSEKIT = os.path.join(os.path.dirname(sys.executable), "coursekit")


def _source(root):
    with open(os.path.join(root, "solutions", AID, f"{AID}.ipynb")) as fh:
        return json.load(fh)


def _course(tmp_path, answers):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    src = _source(root)
    subs = tmp_path / "subs"
    for student, code in answers.items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{AID}.ipynb").write_bytes(student_nb(src, code))
    return root, subs


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _totals(rows):
    t = {}
    for r in rows:
        t[r["student"]] = t.get(r["student"], 0.0) + float(r["score"] or 0)
    return t


def _set_cell(root, gid, source):
    path = root / "solutions" / AID / f"{AID}.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == gid:
            cell["source"] = source
    path.write_text(json.dumps(nb))


def _tree_state(root):
    """(path, mode, size, mtime) of everything under root: any write or chmod shows."""
    state = []
    for dirpath, dirs, files in os.walk(root):
        for name in sorted(dirs + files) + [""]:
            p = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(p)
            state.append((os.path.relpath(p, root), st.st_mode, st.st_size, st.st_mtime_ns))
    return sorted(state)


def test_wrong_instructor_solution_stops_the_run(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT})
    _set_cell(root, "mle_gaussian", WRONG)
    rc = cli.main(["autograde", AID, "--course", str(root), "--submissions", str(subs),
                   "--timeout", "60"])
    err = capsys.readouterr().err
    assert rc == cli.EXIT_SELFCHECK, err
    assert "self-check failed" in err and "instructor's solution scored 0/4" in err
    assert "nothing was graded" in err
    out = root / "autograded" / AID
    assert not (out / "grades.csv").exists() and not (root / "gradebook.db").exists()
    assert os.listdir(out / "results") == []


def test_release_that_scores_without_answers_stops_the_run(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT})
    path = root / "solutions" / AID / f"{AID}.ipynb"
    nb = json.loads(path.read_text())
    free = json.loads(json.dumps(nb["cells"][3]))
    free["metadata"]["nbgrader"].update(grade_id="test_free", points=1)
    free["id"] = "test_free"
    free["source"] = "# a test that checks nothing\nassert True\n"
    nb["cells"].append(free)
    path.write_text(json.dumps(nb))
    assert cli.main(["--course", str(root), "release", AID, "--no-validate"]) == 0
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--timeout", "60"])
    err = capsys.readouterr().err
    assert rc == cli.EXIT_SELFCHECK
    assert "released notebook (no answers) scores points: test_free gives 1" in err


def test_missing_release_stops_the_run(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT})
    shutil.rmtree(root / "homework")
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs)])
    assert rc == cli.EXIT_SELFCHECK
    assert f"run `coursekit release {AID}` first" in capsys.readouterr().err


def test_no_submission_is_an_error(tmp_path, capsys):
    root, subs = _course(tmp_path, {})
    subs.mkdir()
    before = _tree_state(root)
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs)])
    assert rc == cli.EXIT_USAGE
    assert "no submission of fx_mle found" in capsys.readouterr().err
    assert _tree_state(root) == before  # nothing graded, nothing written (no empty folders)
    (subs / "alice").mkdir()
    (subs / "alice" / f"{AID}.ipynb").write_bytes(student_nb(_source(root), CORRECT))
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--student", "bob"])
    assert rc == cli.EXIT_USAGE
    assert "--student bob: no such student" in capsys.readouterr().err
    assert _tree_state(root) == before


def test_course_folder_with_its_own_broken_coursekit(tmp_path):
    """The original bug: the worker ran with the course root as cwd and imported the course
    folder's coursekit/. A course folder whose coursekit/ cannot even be imported must not
    matter: the grader grades with the package that runs it."""
    root, subs = _course(tmp_path, {"alice": CORRECT, "bob": WRONG})
    (root / "coursekit").mkdir()
    (root / "coursekit" / "__init__.py").write_text("raise ImportError('not this one')\n")
    proc = subprocess.run([COURSEKIT, "autograde", AID, "--submissions", str(subs),
                           "--timeout", "60", "--jobs", "2"], cwd=root, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "self-check passed: solution 4/4, released notebook 0/4" in proc.stderr + proc.stdout
    assert _totals(_rows(root / "autograded" / AID / "grades.csv")) == {"alice": 4, "bob": 0}


def test_out_isolates_the_run_and_options_go_anywhere(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT, "bob": WRONG})
    before = _tree_state(root)
    out = tmp_path / "side-run"
    # Options before the command name, --course after it.
    rc = cli.main(["--out", str(out), "--timeout", "60", "autograde", AID, "--submissions",
                   str(subs), "--course", str(root), "--jobs", "2"])
    assert rc == 0, capsys.readouterr().err
    assert _tree_state(root) == before  # no gradebook.db, no autograded/, no chmod
    assert (out / "gradebook.db").exists() and (out / "grades.csv").exists()
    assert _totals(_rows(out / "grades.csv")) == {"alice": 4, "bob": 0}


def test_every_submission_zero_exits_nonzero(tmp_path, capsys):
    root, subs = _course(tmp_path, {"bob": WRONG, "carl": WRONG})
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--timeout", "60", "--quiet"])
    assert rc == cli.EXIT_ATTENTION
    assert "every submission (2) scored zero" in capsys.readouterr().err


def test_grader_error_is_never_a_students_failure_nor_cached(tmp_path, monkeypatch, capsys):
    """The grader's worker fails on one submission (here: the instructor's notebook vanished
    from under it): every task of that student is a grader_error, not 'failed'; the gradebook
    gets no score for it; the run exits non-zero; the next run regrades it."""
    from nbgrader.api import Gradebook

    root, subs = _course(tmp_path, {"alice": CORRECT, "bob": CORRECT})
    real = jobs.grade_job

    def worker_fails_on_bob(job, tasks, **kw):
        if job["student"] == "bob":
            job = dict(job, source=job["source"] + ".gone")
        return real(job, tasks, **kw)

    monkeypatch.setattr(jobs, "grade_job", worker_fails_on_bob)
    args = ["--course", str(root), "autograde", AID, "--submissions", str(subs), "--timeout", "60"]
    assert cli.main(args) == cli.EXIT_ATTENTION
    captured = capsys.readouterr()
    assert "1 submission(s) hit a grader error" in captured.err and "bob" in captured.err
    rows = _rows(root / "autograded" / AID / "grades.csv")
    bob = [r for r in rows if r["student"] == "bob"]
    assert {r["status"] for r in bob} == {"grader_error"}, bob
    assert all("the grader failed" in r["message"] for r in bob), bob
    assert "grader_log" in json.loads((root / "autograded" / AID / "results" / "bob.json")
                                      .read_text())
    with Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
        assert gb.find_grade("test_cov", AID, AID, "bob").auto_score is None
        assert gb.find_grade("test_cov", AID, AID, "alice").auto_score == 2
    # No score is known for bob's parts: blank everywhere (as in the gradebook), never 0, and
    # nothing says his total is final.
    out = root / "autograded" / AID
    assert [r["score"] for r in bob] == [""] * len(bob), bob
    totals = {r["student"]: r for r in _rows(out / "totals.csv")}
    assert (totals["bob"]["total"], totals["bob"]["autograded"], totals["bob"]["complete"],
            totals["bob"]["grader_error"]) == ("", "", "no", "yes"), totals["bob"]
    assert (totals["alice"]["total"], totals["alice"]["complete"]) == ("4", "yes")
    with open(out / "canvas.csv", newline="") as fh:
        canvas = {r[0]: r[-1] for r in csv.reader(fh)}
    assert canvas["bob"] == "" and canvas["alice"] == "4", canvas
    page = (out / "feedback" / "bob.html").read_text()
    assert "Score so far: 0 / 4 (not final)" in page and "could not be graded" in page
    assert "not graded yet: grader error" in page
    assert cli.main(["--course", str(root), "report", AID]) == 0
    capsys.readouterr()
    roster = {r["student"]: r for r in _rows(out / "report" / "roster.csv")}
    task_cols = [c for c in roster["bob"] if c not in (
        "student", "total", "max_score", "late", "days_late", "penalty", "pending_points",
        "complete")]
    assert task_cols and all(roster["bob"][c] == "?" for c in task_cols), roster["bob"]
    assert roster["bob"]["total"] == "" and roster["bob"]["complete"] == "no"
    tasks = _rows(out / "report" / "tasks.csv")
    assert all(t["graded"] == "1" and t["grader_error"] == "1" and float(t["mean"]) > 0
               for t in tasks), tasks

    monkeypatch.setattr(jobs, "grade_job", real)
    assert cli.main(args) == 0
    assert "1 to grade (1 unchanged)" in capsys.readouterr().out
    assert _totals(_rows(root / "autograded" / AID / "grades.csv")) == {"alice": 4, "bob": 4}


def test_regrade_on_demand_and_when_the_instructor_changes_the_checks(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT, "bob": WRONG, "carl": CORRECT})
    args = ["--course", str(root), "autograde", AID, "--submissions", str(subs), "--timeout",
            "60", "--jobs", "2"]
    assert cli.main(args) == 0
    assert "3 to grade (0 unchanged)" in capsys.readouterr().out
    assert cli.main(args) == 0
    assert "0 to grade (3 unchanged)" in capsys.readouterr().out
    assert cli.main(args + ["--student", "bob", "--student", "carl"]) == 0
    captured = capsys.readouterr().out.splitlines()
    assert any("2 to grade (1 unchanged)" in line for line in captured)
    graded = [line.split()[0] for line in captured if line.split()[:1] in (["alice"], ["bob"], ["carl"])]
    assert graded == ["bob", "carl"]
    assert cli.main(args + ["--student", "dora"]) == cli.EXIT_USAGE
    assert "--student dora: no such student" in capsys.readouterr().err
    assert cli.main(args + ["--force"]) == 0
    assert "3 to grade (0 unchanged)" in capsys.readouterr().out
    # The instructor changes a hidden test's seeds: every result is stale.
    src = _source(root)
    cell = next(c for c in src["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "test_cov")
    _set_cell(root, "test_cov", "".join(cell["source"]).replace("311, 312", "311, 313"))
    assert cli.main(args) == 0
    assert "3 to grade (0 unchanged)" in capsys.readouterr().out


def test_grader_key_follows_the_checks_code(tmp_path):
    lib = tmp_path / "lib"
    (lib / "coursekit" / "grading").mkdir(parents=True)
    (lib / "coursekit" / "checks").mkdir()
    for name in ("__init__.py", "checks/hw1_gaussian.py", "widgets.py", "grading/worker.py",
                 "grading/notebook.py", "grading/sandbox.py"):
        (lib / "coursekit" / name).write_text("x = 1\n")
    src = tmp_path / "s.ipynb"
    src.write_text("{}")
    key = lambda: jobs.grader_key(str(src), None, {"timeout": 1}, str(lib),  # noqa: E731
                                  ["coursekit", "coursekit.checks.hw1_gaussian"])
    k0 = key()
    (lib / "coursekit" / "widgets.py").write_text("x = 2\n")  # not imported by the checks
    assert key() == k0
    (lib / "coursekit" / "checks" / "hw1_gaussian.py").write_text("x = 2\n")
    assert key() != k0
    k1 = key()
    (lib / "coursekit" / "grading" / "worker.py").write_text("x = 2\n")
    assert key() != k1
    k2 = key()
    src.write_text('{"changed": 1}')
    assert key() != k2


def test_grader_fault_classification():
    # The grader's own package not importable in the kernel: the grader's fault.
    assert grader_fault("ModuleNotFoundError", "No module named 'coursekit'")
    assert grader_fault("ModuleNotFoundError", "No module named 'coursekit.checks'")
    # A module that does not exist anywhere (a student's typo) is the student's failure.
    assert grader_fault("ModuleNotFoundError", "No module named 'coursekit.nonexistent'") is None
    assert grader_fault("ModuleNotFoundError", "No module named 'sklearnn'") is None
    assert grader_fault("AssertionError", "wrong mean") is None
    assert grader_fault("NameError", "name '_ag' is not defined", "setup failed") == "setup failed"


def test_command_name_found_among_options():
    p = cli.build_parser()
    first = cli._command_first
    assert first(p, ["--course", "report", "autograde", "a"]) == ["autograde", "--course",
                                                                   "report", "a"]
    assert first(p, ["autograde", "a", "--course", "c"]) == ["autograde", "a", "--course", "c"]
    a = p.parse_args(first(p, ["--course", "C", "--jobs", "3", "autograde", "hw", "--submissions",
                               "S"]))
    assert (a.course, a.jobs, a.assignment, a.submissions) == ("C", 3, "hw", "S")
    a = p.parse_args(first(p, ["report", "hw", "--course", "D"]))
    assert a.course == "D"
    a = p.parse_args(first(p, ["report", "hw"]))
    assert a.course is None


@pytest.fixture
def open_dir():
    """A folder other uids can reach (pytest's own temporary folders are private)."""
    import tempfile

    d = tempfile.mkdtemp(prefix="ck-perm-")
    os.chmod(d, 0o755)
    yield __import__("pathlib").Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_private_paths_are_restored(open_dir):
    """What the uid mode does to the instructor's files, said and undone."""
    if not sandbox.is_root():
        pytest.skip("changing permissions for other uids needs root")
    tmp_path = open_dir
    a, b, c = tmp_path / "solutions", tmp_path / "gradebook.db", tmp_path / "already-private"
    a.mkdir()
    b.write_text("x")
    c.mkdir()
    os.chmod(a, 0o755)
    os.chmod(b, 0o644)
    os.chmod(c, 0o700)
    said = []
    paths = runner._PrivatePaths(said.append)
    paths.close([str(a), str(b), str(c), str(tmp_path / "missing")])
    assert (os.stat(a).st_mode & 0o777, os.stat(b).st_mode & 0o777) == (0o700, 0o600)
    assert [s.split(" made private")[0] for s in said] == [f"sandbox: {a}", f"sandbox: {b}"]
    paths.restore()
    assert (os.stat(a).st_mode & 0o777, os.stat(b).st_mode & 0o777,
            os.stat(c).st_mode & 0o777) == (0o755, 0o644, 0o700)
    assert said[-1] == "sandbox: restored the permissions of 2 path(s)"


@pytest.mark.skipif(not sandbox.is_root() or not sandbox.probe(False),
                    reason="the uid sandbox mode needs root and a Python other users can run")
def test_uid_mode_says_what_it_changes_and_restores_it(tmp_path, capsys):
    root, subs = _course(tmp_path, {"alice": CORRECT})
    for p in (root, root / "solutions", subs):
        os.chmod(p, 0o755)
    before = _tree_state(root)
    out = tmp_path / "side"
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--out", str(out), "--sandbox", "uid", "--timeout", "60"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert f"sandbox: {root / 'solutions'} made private for this run (mode 755 -> 700" in printed
    assert "sandbox: restored the permissions of" in printed
    assert _tree_state(root) == before
    assert _totals(_rows(out / "grades.csv")) == {"alice": 4}


def test_grades_with_a_regular_installed_package(tmp_path):
    """coursekit installed as a regular (non-editable) package elsewhere, run from a course
    folder: the worker and the kernel use that installed copy."""
    site = tmp_path / "site"
    # What a wheel install lays out in site-packages: the package folder (no network needed).
    shutil.copytree(os.path.join(os.path.dirname(HERE), "coursekit"), site / "coursekit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    root, subs = _course(tmp_path, {"alice": CORRECT, "bob": WRONG})
    launcher = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                "from coursekit.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", launcher, str(site), "autograde", AID,
                           "--submissions", str(subs), "--timeout", "60"], cwd=root,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"coursekit from {site / 'coursekit'}" in proc.stdout
    assert _totals(_rows(root / "autograded" / AID / "grades.csv")) == {"alice": 4, "bob": 0}
