"""Feedback pages as a student sees them, in Chromium: homework 1 graded by ``coursekit autograde``
(three students: everything right with a typeset derivation, partial credit, nothing done).

Checked like the book's pages: no console or page error, no request leaving the machine, math
typeset (MathML elements, no TeX left in the text), code highlighted; and the grading content:
tasks named as in the assignment with their points, partial credit labelled as such, the
hand-graded derivation awaiting its grade, hidden tests' descriptions shown and their code never.
Screenshots go to ``test-artifacts/feedback/``.
"""

import json
import os
import re
import shutil

import pytest

from _browser_support import ROOT, serve_directory
from coursekit import cli

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("grading")]

AID = "hw1_gaussian"
DERIVATION = r"""**Log-likelihood.** $\ell(\mu, \sigma^2) = -\frac N2 \log(2\pi\sigma^2)
- \frac{1}{2\sigma^2}\sum_{i=1}^N (x_i-\mu)^2$.

$$
\begin{aligned}
\frac{\partial \ell}{\partial \mu} &= \frac{1}{\sigma^2}\sum_i (x_i - \mu) = 0
\quad\Rightarrow\quad \hat\mu = \bar x, \\
\hat\sigma^2 &= \frac1N \sum_i (x_i - \hat\mu)^2 .
\end{aligned}
$$
"""
ONE_D_FAILS = '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 1:
        raise ValueError("only D >= 2 handled")
    d = X.shape[1]
    diff = X - mean
    sol = np.linalg.solve(cov, diff.T).T
    quad = np.sum(diff * sol, axis=1)
    return np.exp(-0.5 * quad) / np.sqrt((2 * np.pi) ** d * np.linalg.det(cov))
'''
TEX_LEFT = re.compile(r"\$[^$]+\$|\\(frac|sum|mu|sigma|partial|begin|hat|bar)\b")


def _answer(nb, gid, source):
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == gid:
            cell["source"] = source


def _solution(source_nb, gid):
    cell = next(c for c in source_nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
    return "\n".join(line for line in "".join(cell["source"]).split("\n")
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


@pytest.fixture(scope="module")
def feedback_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("feedback")
    course = base / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "homework").mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / AID, course / "solutions" / AID)
    shutil.copytree(ROOT / "homework" / AID, course / "homework" / AID)
    source = json.loads((ROOT / "solutions" / AID / f"{AID}.ipynb").read_text())
    release = json.loads((ROOT / "homework" / AID / f"{AID}.ipynb").read_text())
    full = json.loads(json.dumps(release))
    for gid in ("gaussian_pdf", "log_likelihood", "mle_gaussian"):
        _answer(full, gid, _solution(source, gid))
    _answer(full, "mle_derivation", DERIVATION)
    partial = json.loads(json.dumps(release))
    _answer(partial, "gaussian_pdf", ONE_D_FAILS)
    subs = base / "subs"
    for student, nb in (("ada", full), ("ben", partial), ("cy", release)):
        (subs / student).mkdir(parents=True)
        (subs / student / f"{AID}.ipynb").write_text(json.dumps(nb))
    rc = cli.main(["autograde", AID, "--course", str(course), "--submissions", str(subs),
                   "--jobs", "2", "--timeout", "240", "--quiet"])
    assert rc == 0
    # Hand-graded: ben's derivation gets partial credit, cy's none; ada's still awaits its grade.
    for student, score in (("ben", "2.5"), ("cy", "0")):
        assert cli.main(["manual", AID, "--course", str(course), "--set", student, "Task 3b",
                         score, "--comment", "the variance step is missing"]) == 0
    return course / "autograded" / AID / "feedback"


@pytest.mark.parametrize("student", ["ada", "ben", "cy"])
def test_feedback_page_in_chromium(feedback_dir, open_page, artifacts_dir, student):
    shots = artifacts_dir / "feedback"
    shots.mkdir(exist_ok=True)
    with serve_directory(feedback_dir) as base:
        page, watch = open_page()
        page.goto(f"{base}/{student}.html")
        page.wait_for_load_state("load")
        page.screenshot(path=str(shots / f"{student}.png"), full_page=True)
        assert watch.problems() == []
        text = page.inner_text("main")
        prose = page.evaluate("""() => {
            const m = document.querySelector('main').cloneNode(true);
            m.querySelectorAll('code, pre').forEach(e => e.remove());  // code may show '$'
            return m.innerText; }""")
        html = page.content()
        assert page.locator("math").count() > 5  # the assignment's formulas, typeset
        assert not TEX_LEFT.search(prose), TEX_LEFT.search(prose).group(0)
        assert page.locator("pre.highlight span.k").count() > 0  # highlighted keywords
        # Tasks as named in the assignment (numbered for the course), with points, out of 17.
        for task in ("Task 1: the Gaussian density", "Task 3b: derive the 1-D MLE"):
            assert task in text
        assert "/ 17" in text
        # Hidden tests: described, never shown.
        assert "Hidden test: D = 1 (X of shape (N, 1), mean (1,), cov (1, 1))" in text
        assert "check_pdf_one_dimensional" not in html and "seeds=[111, 112]" not in html
        assert "BEGIN HIDDEN TESTS" not in html
    derivation = page.locator(".verdict", has_text="Task 3b: derive the 1-D MLE")
    assert derivation.count() == 1
    if student == "ada":
        assert "Score: 13 / 17" in text and "awaiting a manual grade" in text
        assert "awaiting manual grade" in derivation.inner_text()
        assert page.locator(".md math").count() >= 3  # the student's own derivation
    if student == "ben":
        row = page.locator("tr.task", has_text="Task 1: the Gaussian density")
        assert "2 / 4" in row.inner_text() and "partial credit" in row.inner_text()
        assert "only D >= 2 handled" in text
        # Partial credit by hand looks partial, not failed (it once had the failure's colours).
        assert "partial credit" in derivation.inner_text()
        assert "awaiting a manual grade" not in text
        colours = page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('.verdict')].map(e => [
                e.className, getComputedStyle(e).backgroundColor]))""")
        assert colours[derivation.get_attribute("class")] not in (
            colours["verdict failed"], colours["verdict passed"])
    if student == "cy":
        assert "Score: 0 / 17" in text and "no credit" in text
        assert "no credit" in derivation.inner_text()
        assert derivation.get_attribute("class") == "verdict failed"
