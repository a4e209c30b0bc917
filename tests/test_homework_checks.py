"""Every misconception message, against a submission with exactly that mistake and no other (fast, in-process).

Each file of ``tests/wrong_submissions/`` replaces ONE answer cell of the instructor's notebook
with a classic mistake.  The notebook (hidden tests included) runs cell by cell in a fresh
namespace, as the kernel would: exactly the listed test cells fail, each with its message, the
visible test of the changed function among them (a student sees the mistake before handing in),
and every other test cell passes.  The instructor's notebook passes everything; the released one
fails every test cell with "not written yet" naming the task.  The same submissions go through
real nbgrader in test_homework_grading.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re

import pytest
from known_wrong import wrong_submissions

import coursekit.checks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


WRONG = wrong_submissions()


def _notebook(aid, folder="solutions"):
    with open(os.path.join(ROOT, folder, aid, f"{aid}.ipynb"), encoding="utf-8") as fh:
        return json.load(fh)


def _meta(cell):
    return cell["metadata"].get("nbgrader", {})


def run_in_process(nb, answers=None):
    """Execute the code cells in order; {grade id of a test cell: error message or None}, and stdout."""
    namespace = {"__name__": "__main__"}
    results, out = {}, io.StringIO()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = _meta(cell)
        gid = meta.get("grade_id")
        source = (answers or {}).get(gid, "".join(cell["source"]))
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"<cell {gid}>", "exec"), namespace)
            error = None
        except Exception as exc:  # noqa: BLE001  (what a cell raises is the verdict)
            error = f"{type(exc).__name__}: {exc}"
        if meta.get("grade") and not meta.get("solution"):
            results[gid] = error
        elif error is not None:
            raise AssertionError(f"cell {gid} raised {error}")
    return results, out.getvalue()


@pytest.mark.parametrize("aid", coursekit.checks.ASSIGNMENT_IDS)
def test_solutions_pass_every_test(aid):
    results, out = run_in_process(_notebook(aid))
    assert results and all(error is None for error in results.values()), results
    assert "Where you stand" in out and "failed" not in out


@pytest.mark.parametrize("aid", coursekit.checks.ASSIGNMENT_IDS)
def test_released_notebook_names_each_unwritten_task(aid):
    nb = _notebook(aid, "homework")
    results, out = run_in_process(nb)
    module = coursekit.checks.ASSIGNMENTS[aid]
    for task in module.TASKS:
        if task.function is None:
            continue
        visible = results[f"test_{task.function}_visible"]
        assert f"{task.function} ({task.name.split(':')[0]}) is not written yet" in visible, visible
    assert "Still to write:" in out and "0 of" in out


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_submission_fails_exactly_its_tests(name):
    """The listed cells fail with their messages, the visible one among them; every other cell passes.

    The visible test's message shows the worked instance and the student's value next to the
    expected one; a hidden test's message shows no value.
    """
    wrong = WRONG[name]
    assert len(wrong.CELLS) == 1, "one mistake per submission"
    (function,) = wrong.CELLS
    visible_id = f"test_{function}_visible"
    assert visible_id in wrong.EXPECTED, "the visible test must catch the mistake"
    results, _ = run_in_process(_notebook(wrong.ASSIGNMENT), {function: wrong.CELLS[function]})
    assert set(wrong.EXPECTED) <= set(results)
    for gid, error in results.items():
        if gid in wrong.EXPECTED:
            assert error is not None, f"{gid} should fail"
            assert wrong.EXPECTED[gid] in error, f"{gid}: expected {wrong.EXPECTED[gid]!r}, got {error!r}"
        else:
            assert error is None, f"{gid} should pass: {error}"
    visible = results[visible_id]
    if "must not call coursekit" not in visible:
        assert " with " in visible.splitlines()[0], visible  # the worked instance it tried
        # the student's value and the expected one (or what is wrong with its shape, type, randomness)
        assert re.search(r"expected|\(got |yours|shape|same rng seed", visible), visible
    for gid, error in results.items():
        if error and gid != visible_id:
            assert not re.search(r"(returned|expected|expected about) \[", error), f"{gid} reveals values: {error}"


def test_every_task_has_a_known_wrong_submission():
    changed = {(w.ASSIGNMENT, f) for w in WRONG.values() for f in w.CELLS}
    for aid, module in coursekit.checks.ASSIGNMENTS.items():
        for task in module.TASKS:
            if task.function:
                assert (aid, task.function) in changed, f"no known-wrong submission for {task.name}"
