"""Every exercise solution that states a numerical result shows the executed code that gets it, and
no solution shows Python code that was never run (issue 10).

A solution that says "the standard deviation is about 0.091" should let the reader see where the
number comes from: a code cell inside the solution, executed by ``make book``, with its output on
the page. Read from the built HTML of the site ``make book`` builds (sphinx-exercise renders each
solution as ``div.solution``; gated solutions hold their code cells).
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from _browser_support import toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

# A stated numerical result: a decimal number (0.091, 5.562, 13.6), in the prose or its math.
RESULT = re.compile(r"(?<![\w.])\d+\.\d+(?!\w|\.\d)")


def solutions_without_executed_code(html):
    """(solution title, what is wrong) of each solution that states a number but shows no executed
    code cell with output, or shows Python code that was never run (a plain code block)."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for solution in soup.select("div.solution"):
        title = solution.select_one(".admonition-title")
        title = " ".join(title.get_text(" ").split()) if title else solution.get("id", "?")
        prose = BeautifulSoup(str(solution), "html.parser")
        # Not results: code, the title ("Solution to Exercise 1.1"), cross-references ("(2.10)").
        for element in prose.select("div.cell, .admonition-title, a, .eqno"):
            element.decompose()
        unrun = [block for block in prose.select("div[class*='highlight-python'], div[class*='highlight-ipython']")]
        if unrun:
            problems.append((title, "Python code that is not executed (a plain code block, not a code-cell)"))
        numbers = RESULT.findall(prose.get_text(" "))
        if not numbers:
            continue
        executed = [cell for cell in solution.select("div.cell")
                    if (output := cell.select_one("div.cell_output")) is not None
                    and (output.get_text().strip() or output.find("img"))]
        if not executed:
            problems.append((title, f"states {numbers[:5]} but shows no executed code cell"))
    return problems


@pytest.mark.parametrize("doc", toc_pages())
def test_solutions_that_state_results_show_the_code(built_site, doc):
    problems = solutions_without_executed_code((built_site / f"{doc}.html").read_text())
    assert not problems, f"{doc}:\n" + "\n".join(f"  {title}: {problem}" for title, problem in problems)


def test_the_check_finds_a_solution_without_code():
    html = """<main><article>
    <div class="solution dropdown admonition" id="s1"><p class="admonition-title">Solution to Exercise 1.1</p>
      <p>The standard deviation is about 0.091.</p></div>
    <div class="solution dropdown admonition" id="s2"><p class="admonition-title">Solution to Exercise 1.2</p>
      <p>It is 5.562.</p><div class="cell"><div class="cell_input">print(x)</div>
      <div class="cell_output"></div></div></div>
    <div class="solution dropdown admonition" id="s3"><p class="admonition-title">Solution to Exercise 1.3</p>
      <p>It is 2.398.</p><div class="cell"><div class="cell_input">print(x)</div>
      <div class="cell_output"><pre>2.398</pre></div></div></div>
    <div class="solution dropdown admonition" id="s4"><p class="admonition-title">Solution to Exercise 1.4</p>
      <p>A derivation with no number: the variance is sigma squared over N.</p></div>
    <div class="solution dropdown admonition" id="s5"><p class="admonition-title">Solution to Exercise 1.5</p>
      <div class="highlight-python notranslate"><pre>print(model.score(X, y))</pre></div>
      <p>The score is usually lower.</p></div>
    </article></main>"""
    assert solutions_without_executed_code(html) == [
        ("Solution to Exercise 1.1", "states ['0.091'] but shows no executed code cell"),
        ("Solution to Exercise 1.2", "states ['5.562'] but shows no executed code cell"),
        ("Solution to Exercise 1.5", "Python code that is not executed (a plain code block, not a code-cell)"),
    ]
