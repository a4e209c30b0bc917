"""Checks on a built page's HTML: every cell that draws shows its figure, and the prose refers only to
figures that are on the page (issue 10).

The checks read the HTML that ``make book`` wrote, i.e. what a reader gets: a cell whose figure
was lost (a non-inline ``MPLBACKEND`` in the kernel, a figure never shown) has no ``<img>`` in its
output area, whatever the source says.
"""

from __future__ import annotations

import functools
import inspect
import re

from bs4 import BeautifulSoup

# Parameters through which a coursekit.plotting function receives what it draws on.
_DRAWS_ON = {"ax", "axes", "fig", "ax3d"}
# A reference to a figure in the prose, and where the figure must be.
_NOUN = r"(?:figure|figures|plot|plots|widget|panel|panels|picture|histograms?|strip|snapshot)"
_BELOW = re.compile(rf"\b{_NOUN}\s+below\b|\bbelow,?\s+(?:the|a|an)\s+{_NOUN}\b", re.IGNORECASE)
_ABOVE = re.compile(rf"\b{_NOUN}\s+above\b|\babove,?\s+(?:the|a|an)\s+{_NOUN}\b", re.IGNORECASE)
_HERE = re.compile(
    rf"\b(?:the|this|each)\s+{_NOUN}\b(?!\s+(?:below|above))"
    r"|\b(?:left|right|top|bottom|middle|centre|center|upper|lower)\s+(?:panel|plot|row|column|subplot)s?\b"
    r"|\((?:left|right|top|bottom|middle|centre|center|above|below)\)"
    r"|\bon the (?:left|right)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=None)
def drawing_call():
    """Regex matching code that draws: pyplot, a coursekit.plotting function that takes an axes or a
    figure, or a coursekit.widgets factory (read from the library, so new functions are covered)."""
    from coursekit import plotting, widgets

    plotters = [
        name for name in plotting.__all__
        if callable(getattr(plotting, name))
        and _DRAWS_ON & set(list(inspect.signature(getattr(plotting, name)).parameters)[:1])
    ]
    factories = [name for name in widgets.__all__ if name.endswith("_widget")]
    return re.compile(
        r"\bplt\.\w+\s*\("
        rf"|\bplotting\.(?:{'|'.join(plotters)})\s*\("
        rf"|\bwidgets\.(?:{'|'.join(factories)})\s*\("
    )


def _soup(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup.select_one("main article") or soup.select_one("main") or soup


def _cells(article):
    """(source, number of images in the output) for each code cell, in page order."""
    for cell in article.select("div.cell"):
        source = cell.select_one("div.cell_input")
        output = cell.select_one("div.cell_output")
        yield (source.get_text() if source else ""), (len(output.find_all("img")) if output else 0)


def figure_cells_without_image(html):
    """Source of every code cell that calls drawing code but shows no image on the page."""
    pattern = drawing_call()
    return [source.strip() for source, n_images in _cells(_soup(html)) if pattern.search(source) and n_images == 0]


def _events(article):
    """The page in reading order: ("heading", None), ("text", sentence-bearing text), ("figure", None).

    A numbered cross-reference ({numref}) to a figure reads "[ref Fig. 1.2]" in the text: it names
    its figure, wherever that is (Sphinx fails the build when it does not resolve)."""
    for ref in article.select("a.reference.internal span.std-numref"):
        ref.string = f"[ref {ref.get_text()}]"
    for element in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "img", "figcaption"]):
        if element.find_parent(class_="coursekit-live-note") or element.find_parent(["pre", "script", "style"]):
            continue
        if element.name == "img":
            if element.find_parent(class_="cell_output") or element.find_parent("figure"):
                yield "figure", None
        elif element.name.startswith("h"):
            yield "heading", None
        elif element.name == "li" and element.find("p"):
            continue  # its paragraphs come on their own
        else:
            text = " ".join(element.get_text(" ").split())
            if text:
                yield "text", text


def dangling_figure_references(html):
    """Sentences that refer to a figure which is not where they say: "below" needs a figure later in
    the same section, "above" one earlier on the page, and "the figure", "left panel", "(right)" ...
    one in the same section."""
    events = list(_events(_soup(html)))
    problems = []
    for i, (kind, text) in enumerate(events):
        if kind != "text":
            continue
        start = max((j for j in range(i) if events[j][0] == "heading"), default=-1)
        end = next((j for j in range(i + 1, len(events)) if events[j][0] == "heading"), len(events))
        figure_before = any(k == "figure" for k, _ in events[:i])
        figure_after_in_section = any(k == "figure" for k, _ in events[i + 1 : end])
        figure_in_section = figure_after_in_section or any(k == "figure" for k, _ in events[start + 1 : i])
        for sentence in re.split(r"(?<=[.!?:])\s+", text):
            if "[ref " in sentence:
                continue
            if _BELOW.search(sentence) and not figure_after_in_section:
                problems.append(f"refers to a figure below, none follows in its section: {sentence!r}")
            elif _ABOVE.search(sentence) and not figure_before:
                problems.append(f"refers to a figure above, none precedes it: {sentence!r}")
            elif _HERE.search(sentence) and not figure_in_section:
                problems.append(f"refers to a figure, none in its section: {sentence!r}")
    return problems
