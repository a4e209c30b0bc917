"""Figures, exercises and equations are numbered per chapter (Fig. 5.2, Exercise 5.3, (5.1)), and every
cross-reference shows the number the reader sees at its target (issue 10).

Read from the HTML of the site ``make book`` builds: the number a reader sees is the caption number
of a figure or exercise, the equation number in the margin, the section number of a chapter title;
a reference shows what its link text says. A book numbered across its chapters ("Exercise 28" in
chapter 7) or a reference whose text disagrees with its target fails here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from _browser_support import toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def _article(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup.select_one("main article") or soup


def page_numbers(html):
    """The numbered things of one built page: {"chapter": "5" or None, "figure"/"exercise"/"equation":
    [(id, number), ...] in page order}."""
    article = _article(html)
    title = article.find("h1")
    secnum = title.select_one("span.section-number") if title else None
    found = {"chapter": secnum.get_text().strip().rstrip(".") if secnum else None}
    found["figure"] = [
        (figure.get("id"), _NUMBER.search(caption.get_text()).group())
        for figure in article.select("figure[id]")
        if (caption := figure.select_one("figcaption span.caption-number"))
    ]
    found["exercise"] = [
        (div.get("id"), _NUMBER.search(caption.get_text()).group())
        for div in article.select("div.exercise[id]")
        if (caption := div.select_one(".admonition-title span.caption-number"))
    ]
    found["equation"] = [
        (div.get("id"), _NUMBER.search(eqno.get_text()).group())
        for div in article.select("div.math[id]")
        if (eqno := div.select_one("span.eqno"))
    ]
    return found


def numbering_problems(pages):
    """``pages``: {page file name: html}. Problems with the per-chapter numbering and with every
    internal reference whose text carries a number (numref, eq, a solution's "Solution to Exercise")."""
    numbers = {name: page_numbers(html) for name, html in pages.items()}
    targets = {}  # (page, id) -> number the reader sees there
    problems = []
    for name, found in numbers.items():
        chapter = found["chapter"]
        if chapter is not None:
            # A chapter is the target of its section's id and of its label, (ch-kmeans)= before the title.
            title = _article(pages[name]).find("h1")
            for anchor in [title.parent] + title.find_previous_siblings("span", id=True):
                if anchor.get("id"):
                    targets[(name, anchor["id"])] = chapter
        for kind in ("figure", "exercise", "equation"):
            items = found[kind]
            if items and chapter is None:
                problems.append(f"{name}: {kind}s numbered on a page that is not a numbered chapter")
                continue
            expected = [f"{chapter}.{i}" for i in range(1, len(items) + 1)]
            seen = [number for _, number in items]
            if seen != expected:
                problems.append(f"{name}: {kind}s numbered {seen}, expected {expected} (per chapter, in order)")
            for key, number in items:
                targets[(name, key)] = number

    for name, html in pages.items():
        article = _article(html)
        for link in article.select("a.reference.internal[href]"):
            text = " ".join(link.get_text(" ").split())
            numref = link.select_one("span.std-numref") is not None
            eq = re.fullmatch(r"\(\d+(?:\.\d+)*\)", text) is not None
            solution = link.find_parent(class_="admonition-title") is not None and link.find_parent(class_="solution")
            if not (numref or eq or solution):
                continue
            parts = urlsplit(link["href"])
            page = parts.path.rsplit("/", 1)[-1] or name
            key = parts.fragment
            if (page, key) not in targets:
                problems.append(f"{name}: reference {text!r} -> {link['href']}: no numbered target there")
                continue
            number = targets[(page, key)]
            shown = _NUMBER.findall(text)
            if number not in shown:
                problems.append(f"{name}: reference {text!r} -> {link['href']} shows {shown}, the target is numbered {number}")
    return problems


def _built_pages(site):
    return {f"{doc.rsplit('/', 1)[-1]}.html": (site / f"{doc}.html").read_text() for doc in toc_pages()}


def test_numbers_are_per_chapter_and_references_show_them(built_site):
    pages = _built_pages(built_site)
    found = {name: page_numbers(html) for name, html in pages.items()}
    # The check has something to check: every chapter numbers its exercises, most have figures.
    chapters = [name for name, f in found.items() if f["chapter"]]
    assert len(chapters) == 7, chapters
    assert all(found[name]["exercise"] for name in chapters), {n: found[n]["exercise"] for n in chapters}
    assert sum(len(found[n]["figure"]) for n in chapters) >= 20
    problems = numbering_problems(pages)
    assert not problems, "\n".join(problems)


_PAGE = """<main><article><section id="{sid}"><span id="{label}"></span>
<h1><span class="section-number">{chapter}. </span>Title</h1>
<figure id="fig-a"><img src="a.png"><figcaption><p><span class="caption-number">Fig. {fig} </span>A</p></figcaption></figure>
<div class="exercise admonition" id="ex-a"><p class="admonition-title"><span class="caption-number">Exercise {ex} </span></p></div>
<div class="math notranslate nohighlight" id="equation-eq-a"><span class="eqno">({eq})</span>x</div>
<div class="solution dropdown admonition" id="s"><p class="admonition-title">Solution to<a class="reference internal" href="#ex-a"> Exercise {ex} (A)</a></p></div>
<p>{refs}</p>
</section></article></main>"""


def _ref(href, text, eq=False):
    inner = text if eq else f'<span class="std std-numref">{text}</span>'
    return f'<a class="reference internal" href="{href}">{inner}</a>'


def test_the_check_catches_book_wide_numbers_and_wrong_references():
    good_refs = " ".join([_ref("#fig-a", "Fig. 2.1"), _ref("#ex-a", "Exercise 2.1"), _ref("#equation-eq-a", "(2.1)", eq=True),
                          _ref("one.html#ch-one", "Chapter 1")])
    one = _PAGE.format(sid="one", label="ch-one", chapter=1, fig="1.1", ex="1.1", eq="1.1", refs="")
    two = _PAGE.format(sid="two", label="ch-two", chapter=2, fig="2.1", ex="2.1", eq="2.1", refs=good_refs)
    assert numbering_problems({"one.html": one, "two.html": two}) == []

    # Numbered across the book: chapter 2's first exercise is "Exercise 2" (and its references say so).
    wide = _PAGE.format(sid="two", label="ch-two", chapter=2, fig="2.1", ex="2", eq="2.1",
                        refs=_ref("#ex-a", "Exercise 2"))
    problems = numbering_problems({"one.html": one, "two.html": wide})
    assert any("exercises numbered ['2'], expected ['2.1']" in p for p in problems), problems

    # A reference whose text is not the target's number, and one to a chapter by the wrong number.
    wrong = _PAGE.format(sid="two", label="ch-two", chapter=2, fig="2.1", ex="2.1", eq="2.1",
                         refs=_ref("#fig-a", "Fig. 2.2") + _ref("one.html#ch-one", "Chapter 2"))
    problems = numbering_problems({"one.html": one, "two.html": wrong})
    assert any("'Fig. 2.2'" in p and "numbered 2.1" in p for p in problems), problems
    assert any("'Chapter 2'" in p and "numbered 1" in p for p in problems), problems
