"""The README's worked example for instructors, run exactly as written in a copy of the repository.

The copy holds the repository's tracked files (what a clone has) and the test environment's
``.venv`` (what ``make venv`` creates there), so ``coursekit`` runs from the installed package
while the course folder has its own ``coursekit/`` next to it: the setting in which the grader
once gave every student 0. The students' zip is written where the README says it is downloaded.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AID = "hw1_gaussian"


def readme_block(marker):
    """The first ```bash block after the line starting with ``marker`` in README.md."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    start = text.index("\n" + marker)
    m = re.compile(r"```bash\n(.*?)```", re.S).search(text, start)
    assert m, f"no bash block after {marker!r}"
    return m.group(1)


def copy_repository(dest):
    """The tracked files of the repository (a clone's content), plus the venv as a symlink."""
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                               check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):  # pragma: no cover - not a checkout
        names = None
    if names is None:
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".venv", "_build", ".git"))
    else:
        for name in filter(None, names):
            src = os.path.join(ROOT, name)
            if os.path.isfile(src):
                os.makedirs(os.path.join(dest, os.path.dirname(name)), exist_ok=True)
                shutil.copy2(src, os.path.join(dest, name))
    os.symlink(os.path.dirname(os.path.dirname(sys.executable)), os.path.join(dest, ".venv"))


def _answer(nb, gid, source_nb):
    """Put the instructor's answer for ``gid`` into the released notebook ``nb``."""
    sol = next(c for c in source_nb["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == gid:
            lines = "".join(sol["source"]).split("\n")
            cell["source"] = "\n".join(line for line in lines if "### BEGIN SOLUTION" not in line
                                       and "### END SOLUTION" not in line)


def student_zip(path):
    with open(os.path.join(ROOT, "solutions", AID, f"{AID}.ipynb")) as fh:
        source = json.load(fh)
    with open(os.path.join(ROOT, "homework", AID, f"{AID}.ipynb")) as fh:
        release = json.load(fh)
    partial = json.loads(json.dumps(release))
    _answer(partial, "gaussian_pdf", source)
    full = json.loads(json.dumps(release))
    for gid in ("gaussian_pdf", "log_likelihood", "mle_gaussian"):
        _answer(full, gid, source)
    with zipfile.ZipFile(path, "w") as zf:  # Canvas's flat naming: name_USERID_FILEID_file
        for n, (student, nb) in enumerate((("lovelaceada", full), ("babbagecharles", partial),
                                           ("hoppergrace", release))):
            zf.writestr(f"{student}_{101 + n}_{9001 + n}_{AID}.ipynb", json.dumps(nb))


def test_worked_example_runs_as_written(tmp_path):
    block = readme_block("Worked example")
    course = tmp_path / "course"
    copy_repository(str(course))
    student_zip(str(course / "hw1.zip"))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "self-check passed: solution 13/13" in proc.stdout
    with open(course / "autograded" / AID / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    totals = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], 0.0) + float(r["score"] or 0)
    assert totals == {"lovelaceada": 16.5, "babbagecharles": 4.0, "hoppergrace": 0.0}
    with open(course / "autograded" / AID / "canvas.csv", newline="") as fh:
        canvas = {r[1]: r[5] for r in csv.reader(fh)}
    # Only Ada's derivation is graded: the others stay blank (pending) in the Canvas import.
    assert (canvas["101"], canvas["102"], canvas["103"]) == ("16.5", "", "")
    report = course / "autograded" / AID / "report" / "index.html"
    assert report.stat().st_size > 0
    for student in ("lovelaceada", "babbagecharles", "hoppergrace"):
        page = (course / "autograded" / AID / "feedback" / f"{student}.html").read_text()
        assert "/ 17" in page
    assert "say why it is a maximum" in (course / "autograded" / AID / "feedback"
                                         / "lovelaceada.html").read_text()
    # The release step regenerated homework/ identical (by cells) to the committed one.
    with open(course / "homework" / AID / f"{AID}.ipynb") as a, \
            open(os.path.join(ROOT, "homework", AID, f"{AID}.ipynb")) as b:
        cells = lambda nb: [(c["cell_type"], c["source"]) for c in json.load(nb)["cells"]]  # noqa: E731
        assert cells(a) == cells(b)
