"""``coursekit check NOTEBOOK``, as a student runs it on their own file (a real kernel per run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

pytestmark = pytest.mark.slow


def _check(path):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(BIN, "coursekit"), "check", str(path)], capture_output=True, text=True,
                          env=env, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def _released(aid):
    with open(os.path.join(ROOT, "homework", aid, f"{aid}.ipynb"), encoding="utf-8") as fh:
        return json.load(fh)


def _answer(nb, grade_id, source):
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    return nb


def _write(tmp_path, nb, name="mine.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_untouched_release_lists_every_task_to_write(tmp_path):
    code, out, err = _check(_write(tmp_path, _released("hw1_gaussian")))
    assert code == 1
    assert "Where you stand in Homework 1" in out
    assert "Still to write: gaussian_pdf (Task 1), log_likelihood (Task 2), mle_gaussian (Task 3a)." in out
    assert "Visible tests: 0 of 3 points." in out and "Hidden tests: 10 more points" in out
    assert "Kernel is running over TCP" not in err
    assert "Parent appears to have exited" not in err, err  # the kernel was stopped, not orphaned


def test_partly_done_notebook(tmp_path):
    nb = _released("hw1_gaussian")
    _answer(nb, "gaussian_pdf", "def gaussian_pdf(X, mean, cov):\n"
                                "    X = np.asarray(X, dtype=float)\n"
                                "    diff = X - mean\n"
                                "    maha = np.einsum('ni,ij,nj->n', diff, np.linalg.inv(cov), diff)\n"
                                "    return np.exp(-0.5 * maha) / np.sqrt((2 * np.pi) ** X.shape[1] * np.linalg.det(cov))\n")
    _answer(nb, "mle_gaussian", "def mle_gaussian(X):\n    return X.mean(axis=0), np.cov(X, rowvar=False)\n")
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "def broken(:\n    pass"})
    code, out, _ = _check(_write(tmp_path, nb))
    assert code == 1
    assert "a cell you added: SyntaxError" in out
    assert "Task 1: the Gaussian density" in out and "1/1  passed" in out
    words = " ".join(out.split())  # a long hint wraps under its row
    assert "failed: your covariance is N/(N-1) = 4/3 times the MLE: that is the unbiased 1/(N-1) estimate" in words
    assert "Still to write: log_likelihood (Task 2)." in out


def test_solutions_pass_and_hidden_tests_never_run(tmp_path):
    """The instructor's file holds hidden tests: the command drops them (a marker file shows they never ran)."""
    with open(os.path.join(ROOT, "solutions", "hw3_kmeans", "hw3_kmeans.ipynb"), encoding="utf-8") as fh:
        nb = json.load(fh)
    marker = tmp_path / "hidden-ran"
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "### BEGIN HIDDEN TESTS" in source:
            cell["source"] = source.replace("### BEGIN HIDDEN TESTS\n",
                                            f"### BEGIN HIDDEN TESTS\nopen({str(marker)!r}, 'w').close()\n")
    code, out, _ = _check(_write(tmp_path, nb))
    assert code == 0, out
    assert "Visible tests: 4 of 4 points." in out
    assert not marker.exists()


def test_not_a_homework_notebook(tmp_path):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "x = 1"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    code, out, _ = _check(_write(tmp_path, nb))
    assert code == 2 and "not a homework notebook" in out
    code, out, _ = _check(tmp_path / "missing.ipynb")
    assert code == 2 and "no such file" in out
    (tmp_path / "bad.ipynb").write_text("{not json", encoding="utf-8")
    code, out, _ = _check(tmp_path / "bad.ipynb")
    assert code == 2 and "not a readable notebook" in out
