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
    frames = [url for url, _alt in json.loads(data)["frames"]]
    entries = {path.name: path.stat().st_ino for path in (book / "_build" / ".coursekit-widget-frames").glob("*.json")}
    return html, set(frames), entries


def test_frames_are_drawn_again_only_when_the_widget_or_its_page_changes(tmp_path):
    html, frames, entries = _build(tmp_path, scale=1, after="one")
    assert "after the widget: one" in html and len(frames) == 4 and len(entries) == 1

    # The page changes after the widget: the page runs again, the widget's frames come from the cache.
    html, frames_2, entries_2 = _build(tmp_path, scale=1, after="two")
    assert "after the widget: two" in html, "the page was not executed again"
    assert entries_2 == entries, "the cache entry was written again: the frames were drawn again"
    assert frames_2 == frames

    # The code the widget draws with changes: new frames.
    html, frames_3, entries_3 = _build(tmp_path, scale=3, after="two")
    assert len(entries_3) == 2 and set(entries) < set(entries_3)
    assert len(frames_3) == 4 and not frames_3 & frames, "the changed widget shows the old frames"
    site = tmp_path / "tinybook" / "_build" / "html" / "_images" / "coursekit-widgets"
    assert {path.name for path in site.iterdir()} == frames_3, "the site keeps frames no page uses"


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
    assert re.search(r"interactive figures of book/page weigh [0-9.]+ MB together, over the 4 MB budget", output), \
        output[-3000:]
