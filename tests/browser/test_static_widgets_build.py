"""The static widgets through ``make book`` on a throwaway one-page book (issue 13).

* The frame cache: a widget's frames are drawn again only when its code or its page changes.
  The book is built, then built again after a change to a code cell *after* the widget (the page
  is executed again, the widget is the same: its frames come from the cache, the cache entry is
  not even rewritten), then after a change to a code cell *before* it (a new entry, new frames on
  the site).  A change to the ``coursekit`` code is the other half of the key
  (``tests/test_widgets_static.py`` changes a module's bytes; the repository's own files are not
  edited by a test).
* The weight budget: a page whose interactive figures weigh more than 4 MB fails the build, naming
  the page.

Each build is the README's recipe (``make book BOOK_DIR=...``, warnings as errors).
"""

from __future__ import annotations

import json
import re

import pytest

from _browser_support import TINY_PAGE_HEADER, make_book, tiny_book

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

CACHE_PAGE = """```{{code-cell}} python
import ipywidgets as ipw
from coursekit.widgets import FigureWidget

SCALE = {scale}


def draw(fig, n):
    ax = fig.add_subplot()
    ax.bar(range(n), [SCALE * (i + 1) for i in range(n)])
    ax.set_xlabel("bar")
    ax.set_ylabel("height")
```

The widget:

```{{code-cell}} python
FigureWidget({{"n": ipw.IntSlider(value=2, min=1, max=4, description="bars")}}, draw, figsize=(3, 2),
             title="Bars")
```

```{{code-cell}} python
print("after the widget: {after}")
```
"""


def _build(root, **page):
    book = root / "tinybook"
    if not book.exists():
        tiny_book(book, CACHE_PAGE.format(**page))
    else:
        (book / "book" / "page.md").write_text(TINY_PAGE_HEADER + CACHE_PAGE.format(**page))
    result = make_book(book, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (book / "_build" / "html" / "book" / "page.html").read_text()
    (data,) = re.findall(r'<script type="application/json" class="ck-widget-data">(.*?)</script>', html)
    frames = [url for url_2x, _alt, url_1x in json.loads(data)["frames"] for url in (url_2x, url_1x)]
    entries = {path.name: path.stat().st_ino for path in (book / "_build" / ".coursekit-widget-frames").glob("*.json")}
    return html, set(frames), entries


def test_frames_are_drawn_again_only_when_the_widget_or_its_page_changes(tmp_path):
    html, frames, entries = _build(tmp_path, scale=1, after="one")
    assert "after the widget: one" in html and len(frames) == 8 and len(entries) == 1  # 4 frames, 2x and 1x

    # The page changes after the widget: the page runs again, the widget's frames come from the cache.
    html, frames_2, entries_2 = _build(tmp_path, scale=1, after="two")
    assert "after the widget: two" in html, "the page was not executed again"
    assert entries_2 == entries, "the cache entry was written again: the frames were drawn again"
    assert frames_2 == frames

    # The code the widget draws with changes: new frames.
    html, frames_3, entries_3 = _build(tmp_path, scale=3, after="two")
    assert len(entries_3) == 2 and set(entries) < set(entries_3)
    assert len(frames_3) == 8 and not frames_3 & frames, "the changed widget shows the old frames"
    site = tmp_path / "tinybook" / "_build" / "html" / "_images" / "coursekit-widgets"
    assert {path.name for path in site.iterdir()} == frames_3, "the site keeps frames no page uses"


DEPENDENCY_PAGE = """```{code-cell} python
import ipywidgets as ipw
import coursekit
from coursekit import plotting
from coursekit.widgets import FigureWidget


def draw(fig, rho):
    ax = fig.add_subplot()
    plotting.plot_gaussian_ellipse(ax, [0.0, 0.0], [[1.0, rho], [rho, 1.0]])
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)


FigureWidget({"rho": ipw.SelectionSlider(options=[-0.5, 0.0, 0.5], value=0.0, description="rho")}, draw,
             figsize=(2, 2), title="Ellipse")
```

```{code-cell} python
import coursekit.grading, coursekit.kmeans
print("kernel's coursekit:", coursekit.__file__)
print("edits seen:", getattr(coursekit.grading, "EDITED", 0), getattr(coursekit.kmeans, "EDITED", 0))
```
"""


def test_frames_are_drawn_again_after_a_change_to_the_code_they_are_drawn_with_only(tmp_path):
    import os
    import shutil

    from _browser_support import ROOT, book_env

    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "coursekit", lib / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**book_env(), "PYTHONPATH": str(lib)}
    book = tiny_book(tmp_path / "depbook", DEPENDENCY_PAGE)
    cache = book / "_build" / ".coursekit-widget-frames"

    def build():
        # What the Makefile does when coursekit changed: every page is executed again.
        shutil.rmtree(book / "_build" / ".jupyter_cache", ignore_errors=True)
        shutil.rmtree(book / "_build" / ".doctrees", ignore_errors=True)
        result = make_book(book, timeout=900, env=env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        html = (book / "_build" / "html" / "book" / "page.html").read_text()
        assert f"kernel's coursekit: {lib / 'coursekit' / '__init__.py'}" in html, "the copy was not imported"
        return html, {path.name: path.stat().st_ino for path in cache.glob("*.json")}

    def edit(relative, text):
        path = lib / "coursekit" / relative
        path.write_text(path.read_text() + text)

    html, entries = build()
    assert "edits seen: 0 0" in html and len(entries) == 1

    # Modules the widget does not draw with: a function of the grader and of k-means changed.
    edit("grading/__init__.py", "\n\nEDITED = 1\n\n\ndef _edited():\n    return EDITED\n")
    edit("kmeans.py", "\n\nEDITED = 1\n\n\ndef assign(X, centers):  # noqa: F811\n    return EDITED\n")
    html, entries_2 = build()
    assert "edits seen: 1 1" in html, "the page did not run again with the edited modules"
    assert entries_2 == entries, "frames drawn again after a change to code the widget does not use"

    # The function the widget draws with changes (a thin wrapper replaces it): drawn again.
    edit("plotting/_gaussian.py", "\n\n_plot_gaussian_ellipse = plot_gaussian_ellipse\n\n\n"
                                  "def plot_gaussian_ellipse(ax, mean, cov, n_std=2.0, **kw):  # noqa: F811\n"
                                  "    kw.setdefault('lw', 4)\n"
                                  "    return _plot_gaussian_ellipse(ax, mean, cov, n_std=n_std, **kw)\n")
    html, entries_3 = build()
    assert len(entries_3) == 2 and set(entries) < set(entries_3), "the changed widget was not drawn again"


HEAVY_PAGE = """```{code-cell} python
import ipywidgets as ipw
import numpy as np
from coursekit.widgets import FigureWidget


def draw(fig, n):
    # Noise does not compress: each frame weighs about what its pixels do.
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(np.random.default_rng(n).random((640, 960, 3)), interpolation="nearest")
    ax.set_axis_off()


FigureWidget({"n": ipw.IntSlider(value=1, min=1, max=12, description="noise")}, draw, figsize=(6, 4),
             title="Noise")
```
"""


def test_a_page_over_the_weight_budget_fails_the_build(tmp_path):
    book = tiny_book(tmp_path / "heavy", HEAVY_PAGE)
    result = make_book(book, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert re.search(r"interactive figures of book/page weigh [0-9.]+ MB together \(2x frames\), over the 4 MB budget", output), \
        output[-3000:]
