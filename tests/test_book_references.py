"""The book's prose refers to exercises, figures, equations, chapters, sections and tables only through
cross-references, never by a hand-written number (issue 10).

A hand-written "exercise 2" renders as whatever the text says, while the exercise the reader sees
may be numbered 2.3; ``{numref}`ex-mle-bias``` renders the number Sphinx gave it, and an unknown
label fails the build (``make book`` runs with -W; tests/browser/test_book_build.py proves that for
each role). This test reads the MyST sources of every page in ``_toc.yml``: the prose only (code
cells, fenced code, inline code, math and roles removed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

_NUMBER = r"\(?\d+(?:\.\d+)*\)?"
HAND_WRITTEN = re.compile(
    rf"\b(?:exercises?|ex\.)\s+{_NUMBER}"
    rf"|\b(?:chapters?|ch\.)\s+{_NUMBER}"
    rf"|\b(?:figures?|figs?\.)\s+{_NUMBER}"
    rf"|\b(?:equations?|eqs?\.)\s*{_NUMBER}"
    rf"|\b(?:sections?|§)\s*{_NUMBER}"
    rf"|\btables?\s+{_NUMBER}"
    rf"|\b(?:exercises?|chapters?|figures?|equations?|sections?)\s+(?:one|two|three|four|five|six|seven)\b",
    re.IGNORECASE,
)


# A number in another book ("Bishop's section 9.4", "PDSH section 5.12") is a citation, not a
# cross-reference: allowed when the line or the one before it names the work or its author.
EXTERNAL_WORK = re.compile(r"\b(?:Bishop|Murphy|VanderPlas|Hastie|MacKay|Pelleg|Moore|PRML|PML|PDSH|ESL)\b")


def toc_sources():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    files += [chapter["file"] for chapter in toc.get("chapters", [])]
    return [ROOT / f"{name}.md" for name in files]


def prose_lines(text):
    """(line number, prose) for each line of a MyST page, with everything that is not prose blanked."""
    lines = text.split("\n")
    out = []
    in_front_matter = lines[:1] == ["---"]
    fence = None  # the fence that opened the current code block
    open_directives = []  # fences of the prose directives (exercise, admonition...) we are inside
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_front_matter:
            if number > 1 and stripped == "---":
                in_front_matter = False
            continue
        if fence:
            if stripped == fence:
                fence = None
            continue
        if open_directives and stripped == open_directives[-1]:
            open_directives.pop()  # the closing fence of a prose directive
            continue
        opening = re.match(r"^(`{3,}|~{3,})\s*(\{[\w-]+\})?\s*(.*)$", stripped)
        if opening:
            ticks, directive, _ = opening.groups()
            if directive in (None, "{code-cell}", "{code-block}", "{code}", "{math}"):
                fence = ticks  # code or math: skip to its closing fence
            else:
                open_directives.append(ticks)  # a prose directive (exercise, note...): its body is prose
            continue
        if re.match(r"^:[\w-]+:", stripped) or stripped.startswith("<!--") or stripped.startswith("$$"):
            continue
        out.append((number, line))
    prose = []
    in_math = False
    for number, line in out:
        if in_math:  # inside a $$ ... $$ block
            if "$$" in line:
                in_math = False
            continue
        cleaned = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", line)  # roles: {numref}`...`, {eq}`...`
        cleaned = re.sub(r"`[^`]*`", " ", cleaned)  # inline code
        cleaned = re.sub(r"\$[^$]*\$", " ", cleaned)  # inline math
        prose.append((number, cleaned))
    return prose


# How close before the number the work must be named ("Bishop's schematic of section 9.4").
CITATION_WINDOW = 40


def hand_written_references(text):
    found, previous, in_bibliography = [], "", False
    for number, line in prose_lines(text):
        heading = re.match(r"^#+\s+(.*)", line.strip())
        if heading:
            in_bibliography = heading.group(1).strip().lower() in ("references", "further reading", "bibliography")
        if in_bibliography:
            continue  # a reference list cites other works by their own numbering
        joined = previous + " " + line
        offset = len(previous) + 1
        for match in HAND_WRITTEN.finditer(line):
            before = joined[max(0, offset + match.start() - CITATION_WINDOW): offset + match.start()]
            if not EXTERNAL_WORK.search(before):
                found.append((number, match.group(0), line.strip()))
        previous = line
    return found


@pytest.mark.parametrize("source", toc_sources(), ids=lambda p: p.stem)
def test_no_hand_written_references(source):
    found = hand_written_references(source.read_text())
    assert not found, f"{source.relative_to(ROOT)}: use a cross-reference ({{numref}}, {{eq}}, {{ref}}):\n" + "\n".join(
        f"  line {number}: {match!r} in: {line}" for number, match, line in found)


SAMPLE = """---
jupytext: {}
---

# A page

See exercise 2, Chapter 3, figure 1 and (eq. 4); also section 2.1 and table 1.
Exercises 2 and 3 are hard.

A real one: {numref}`ex-mle-bias` and {numref}`Chapter %s <ch-mle>` and {eq}`eq-mle-mean`.
Code `plot(figure 3)` and math $\\text{chapter 5}$ are not prose.

```{code-cell} python
# exercise 9 in a comment is code
```

Bishop's schematic of
section 9.4 is a citation, and so is PRML chapter 9. (Bishop, section 9.3.2) shows it on the
five blobs of chapter 5, which is ours.

```{exercise}
:label: ex-x

Prose inside an exercise counts: see figure 7.
```

After a directive the prose counts again: chapter 4 said so.

## References

- C. M. Bishop, *Pattern Recognition and Machine Learning*, 2006, chapter 9.
"""


def test_the_reference_check_finds_hand_written_numbers_and_nothing_else():
    found = [(number, match) for number, match, _ in hand_written_references(SAMPLE)]
    assert found == [
        (7, "exercise 2"), (7, "Chapter 3"), (7, "figure 1"), (7, "eq. 4)"), (7, "section 2.1"),
        (7, "table 1"), (8, "Exercises 2"), (19, "chapter 5"), (24, "figure 7"), (27, "chapter 4"),
    ], found
