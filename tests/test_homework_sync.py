"""The committed notebooks are fresh: solutions/ matches its sources, homework/ matches nbgrader's output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTIONS = os.path.join(ROOT, "solutions")
HOMEWORK = os.path.join(ROOT, "homework")
BIN = os.path.dirname(sys.executable)

ASSIGNMENTS = sorted(
    name for name in os.listdir(SOLUTIONS)
    if not name.startswith(("_", ".")) and os.path.isfile(os.path.join(SOLUTIONS, name, f"{name}.ipynb"))
)
EXPECTED = ["hw1_gaussian", "hw2_sampling", "hw3_kmeans", "hw4_em"]


def test_solutions_match_their_sources():
    """solutions/ID/ID.ipynb is what solutions/_build.py renders (edit the sources, then rebuild)."""
    proc = subprocess.run([sys.executable, os.path.join(SOLUTIONS, "_build.py"), "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, "stale solution notebooks; run `python solutions/_build.py`:\n" + proc.stdout


def test_assignments_present():
    assert set(ASSIGNMENTS) <= set(EXPECTED)
    assert ASSIGNMENTS, "no assignment in solutions/"
    for aid in ASSIGNMENTS:
        assert os.path.isfile(os.path.join(HOMEWORK, aid, f"{aid}.ipynb")), f"homework/{aid} not generated"


def _cells_by_kind(nb):
    meta = [c["metadata"].get("nbgrader", {}) for c in nb["cells"]]
    return meta


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_notebook_structure(aid):
    """Each graded function: an answer cell starting with ``def NAME(``, then its test cells with points."""
    with open(os.path.join(SOLUTIONS, aid, f"{aid}.ipynb"), encoding="utf-8") as fh:
        nb = json.load(fh)
    cells = nb["cells"]
    assert all(c.get("id") for c in cells) and len({c["id"] for c in cells}) == len(cells)
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "**Due:**" in text and "**Points:**" in text and "book/0" in text
    total = sum(c["metadata"]["nbgrader"].get("points", 0) for c in cells if c["metadata"]["nbgrader"]["grade"])
    assert f"**Points:** {total:g} " in text, f"the stated point total differs from the cells' sum {total}"
    for i, cell in enumerate(cells):
        meta = cell["metadata"]["nbgrader"]
        src = "".join(cell["source"])
        if meta["grade"] and cell["cell_type"] == "code":
            assert meta["points"] > 0 and meta["locked"]
            last = [ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith("#")][-1]
            # A trailing bare expression would be read as partial credit: end with a call or statement.
            assert last.lstrip().startswith(("assert", "_checks.", "with", "pass")) or "(" in last, last
        if cell["cell_type"] == "code" and meta["solution"] and src.startswith("def "):
            assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src
            nxt = cells[i + 1]["metadata"]["nbgrader"]
            assert nxt["grade"] and not nxt["solution"], f"{meta['grade_id']} must be followed by its tests"


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_homework_is_a_fresh_generation(tmp_path):
    """homework/ is byte-identical to ``nbgrader generate_assignment`` of solutions/ (run `make homework`)."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    stale = []
    for aid in ASSIGNMENTS:
        shutil.copytree(os.path.join(SOLUTIONS, aid), course / "solutions" / aid)
        proc = subprocess.run([os.path.join(BIN, "nbgrader"), "generate_assignment", aid, "--force"], cwd=course,
                              env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        fresh_dir = course / "homework" / aid
        committed_dir = os.path.join(HOMEWORK, aid)
        fresh = sorted(p.name for p in fresh_dir.iterdir())
        assert fresh == sorted(os.listdir(committed_dir)), f"homework/{aid}: files differ"
        for name in fresh:
            with open(fresh_dir / name, "rb") as a, open(os.path.join(committed_dir, name), "rb") as b:
                if a.read() != b.read():
                    stale.append(f"homework/{aid}/{name}")
    assert not stale, f"stale release (regenerate with nbgrader generate_assignment): {stale}"
