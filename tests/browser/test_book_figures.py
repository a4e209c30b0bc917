"""Every figure is on the page that ``make book`` builds, and the text refers only to figures that are
there (issue 10).

The book once lost 21 of its 32 figures: the Makefile exported ``MPLBACKEND=Agg``, the kernels that
execute the pages inherited it, every ``plt.show()`` then output nothing, and the build still
succeeded. These tests read the HTML of the site the fixture ``built_site`` builds with ``make book``
itself (no separate test build), and prove that they fail on exactly that defect by building a
throwaway page through the same recipe (``make book BOOK_DIR=...``) with and without the guard.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from _book_checks import dangling_figure_references, figure_cells_without_image
from _browser_support import ROOT, make_book, tiny_book, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

FIGURE_PAGE = """The figure below shows a straight line.

```{code-cell} python
import os
import matplotlib
import matplotlib.pyplot as plt

print("kernel MPLBACKEND:", os.environ.get("MPLBACKEND"), "backend:", matplotlib.get_backend())
```

```{code-cell} python
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1], [0, 1])
plt.show()
```
"""


def _page_html(site, doc):
    path = site / f"{doc}.html"
    assert path.exists(), f"{doc}.html was not built"
    return path.read_text()


@pytest.mark.parametrize("doc", toc_pages())
def test_every_cell_that_draws_shows_its_figure(built_site, doc):
    missing = figure_cells_without_image(_page_html(built_site, doc))
    assert not missing, f"{doc}: cells that draw but show no image on the built page:\n\n" + "\n---\n".join(missing)


@pytest.mark.parametrize("doc", toc_pages())
def test_the_text_refers_only_to_figures_on_the_page(built_site, doc):
    problems = dangling_figure_references(_page_html(built_site, doc))
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def _build_figure_page(root, env, config_edit=None):
    book = tiny_book(root, FIGURE_PAGE, config_edit)
    result = make_book(book, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return (book / "_build" / "html" / "book" / "page.html").read_text()


def test_the_checks_catch_the_lost_figures_of_an_mplbackend_build(tmp_path):
    """The original defect, reproduced: MPLBACKEND=Agg reaches the kernel (here: the extension that
    drops it is left out of the config) -> both checks report the page."""

    def without_local_extension(config):
        config["sphinx"].pop("local_extensions")

    html = _build_figure_page(tmp_path / "agg", dict(os.environ, MPLBACKEND="Agg"), without_local_extension)
    assert "kernel MPLBACKEND: Agg" in html  # the kernel really ran with it
    assert any("plt.show()" in cell for cell in figure_cells_without_image(html))
    assert any("figure below" in problem for problem in dangling_figure_references(html))


def test_make_book_draws_figures_even_when_the_caller_exports_mplbackend(tmp_path):
    """A headless machine often has MPLBACKEND=Agg in the shell: ``make book`` still shows every figure,
    because the kernels run with matplotlib's inline backend."""
    html = _build_figure_page(tmp_path / "inline", dict(os.environ, MPLBACKEND="Agg"))
    assert "kernel MPLBACKEND: module://matplotlib_inline.backend_inline" in html, html[-2000:]
    assert not figure_cells_without_image(html)
    assert not dangling_figure_references(html)


def test_make_book_sets_no_matplotlib_backend():
    """The Makefile itself defines no MPLBACKEND (make's database, dry run, from an environment without it)."""
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    database = subprocess.run(
        ["make", "-C", str(ROOT), "-pn", "book"], env=env, capture_output=True, text=True, timeout=120,
    ).stdout
    assert "jupyter-book build . -W --keep-going" in database  # the README's description of `make book`
    assert "MPLBACKEND" not in database.replace("No MPLBACKEND here", "")


# -- sharp and legible ----------------------------------------------------------------------------
# At least two image pixels per CSS pixel: sharp on a high-density ("retina", 2x) screen.
MIN_PIXEL_DENSITY = 2.0
# Widget images are the static frames of coursekit.widgets (issue 13), drawn at 2x like every figure
# and checked like every figure.
WIDGET_CELL = re.compile(r"\bwidgets\.\w+_widget\s*\(")
# The smallest text of a figure, as displayed on a 1280-pixel-wide desktop page (CSS pixels). For
# scale: a 10 pt tick label in a notebook at matplotlib's default 100 dpi is 13.9 pixels.
MIN_TEXT_CSS_PX = 8.5
DESKTOP = {"width": 1280, "height": 900}

# Every figure in a cell's output, as the reader's browser lays it out.
FIGURES_JS = """async () => {
  const imgs = Array.from(document.querySelectorAll('div.cell_output img'))
      .filter(img => img.offsetParent !== null);
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => {
    const input = img.closest('div.cell').querySelector('div.cell_input');
    return {src: img.currentSrc || img.src, natural: img.naturalWidth, css: img.getBoundingClientRect().width,
            source: input ? input.textContent : ''};
  });
}"""


def png_dpi(data):
    """The resolution a PNG was saved at (its pHYs chunk, pixels per metre), or None."""
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"pHYs":
            per_metre = int.from_bytes(data[position + 8 : position + 12], "big")
            return per_metre * 0.0254 if data[position + 16] == 1 else None
        if kind == b"IDAT":
            return None
        position += 12 + length
    return None


def image_dpi(data):
    """The resolution an image was drawn at: a PNG's pHYs, or the EXIF resolution a widget's WebP
    frame carries (coursekit.widgets._static.read_frame_dpi); None when it records none."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return png_dpi(data)
    from coursekit.widgets._static import read_frame_dpi

    try:
        return read_frame_dpi(data)
    except Exception:  # noqa: BLE001 - not an image the widgets wrote: reported as recording nothing
        return None


def displayed_figures(page, url):
    """[(image file name, image pixels per CSS pixel, CSS pixels per figure inch, from a widget)]."""
    import urllib.request

    page.goto(url, wait_until="load")
    shown = []
    for image in page.evaluate(FIGURES_JS):
        with urllib.request.urlopen(image["src"], timeout=10) as response:
            dpi = image_dpi(response.read())
        density = image["natural"] / image["css"] if image["css"] else 0.0
        per_inch = image["css"] / (image["natural"] / dpi) if dpi and image["natural"] else None
        widget = bool(WIDGET_CELL.search(image["source"]))
        shown.append((image["src"].rsplit("/", 1)[-1], density, per_inch, widget))
    return shown


def figure_problems(shown, smallest_texts):
    """Images not sharp at 2x; texts displayed below MIN_TEXT_CSS_PX (figures matched in page order)."""
    problems = [f"{name}: {density:.2f} image pixels per CSS pixel, below {MIN_PIXEL_DENSITY}"
                for name, density, _, _ in shown
                if density < MIN_PIXEL_DENSITY - 1e-6]
    if len(shown) != len(smallest_texts):
        return problems + [f"{len(shown)} figures on the page but the page's code shows {len(smallest_texts)}"]
    for (name, _, per_inch, _), text in zip(shown, smallest_texts):
        if per_inch is None:
            problems.append(f"{name}: the image does not record its resolution (PNG pHYs, WebP EXIF)")
        elif text is not None and text.get_fontsize() * per_inch / 72 < MIN_TEXT_CSS_PX:
            problems.append(
                f"{name}: {text.get_text()[:40]!r} is {text.get_fontsize():.1f} pt on a figure shown at "
                f"{per_inch:.0f} CSS px per inch: {text.get_fontsize() * per_inch / 72:.1f} px, below {MIN_TEXT_CSS_PX}"
            )
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("doc", [doc for doc in toc_pages() if doc.split("/")[-1][:2].isdigit()])
def test_figures_are_sharp_legible_and_labelled(doc, built_site, site_server, open_page):
    """Each figure: >= 2 image pixels per CSS pixel, its smallest text >= MIN_TEXT_CSS_PX on a desktop
    page, every axis that shows a scale has a label (the figures re-drawn from the executed code)."""
    from _figure_audit import audit_notebook

    smallest_texts, problems = audit_notebook(built_site.parent / "jupyter_execute" / f"{doc}.ipynb",
                                              (ROOT / doc).parent)
    page, watch = open_page(viewport=DESKTOP)
    problems += figure_problems(displayed_figures(page, f"{site_server}/{doc}.html"), smallest_texts)
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def _png(width_in, height_in, dpi, fontsize=10.0, xlabel="x"):
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=fontsize)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return fig, buffer.getvalue()


def test_the_figure_audit_finds_an_unlabelled_axis():
    from _figure_audit import audit_figure

    fig, _ = _png(4, 3, 100, xlabel="")
    smallest, problems = audit_figure(fig, "test figure")
    assert any("the x axis" in p for p in problems) and any("the y axis" in p for p in problems), problems
    fig.axes[0].set_xlabel("x")
    fig.axes[0].set_ylabel("y")
    smallest, problems = audit_figure(fig, "test figure")
    assert not problems and smallest.get_fontsize() == 10.0  # the legend; tick labels are 10 pt too


@pytest.mark.browser
def test_the_figure_checks_catch_a_blurry_figure_and_small_text(tmp_path, open_page):
    """A 1x PNG is not sharp, from a widget's cell too; the same figure at 2x shown at half its pixel
    width is; a 6 pt legend on a figure shown at its natural 100 px per inch is 8.3 CSS px, too small."""
    from _browser_support import serve_directory

    fig_small_text, blurry = _png(4, 3, 100, fontsize=6)
    fig_fine, sharp = _png(4, 3, 200)
    (tmp_path / "blurry.png").write_bytes(blurry)
    (tmp_path / "sharp.png").write_bytes(sharp)
    (tmp_path / "page.html").write_text(
        '<!DOCTYPE html><html><body>'
        '<div class="cell"><div class="cell_input">widgets.clt_widget(n=1)</div>'
        '<div class="cell_output"><img src="blurry.png" alt="a"></div></div>'
        '<div class="cell"><div class="cell_input">plt.show()</div>'
        '<div class="cell_output"><img src="sharp.png" width="400" alt="b"></div></div></body></html>'
    )
    texts = [min(fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text()), key=lambda t: t.get_fontsize())
             for fig in (fig_small_text, fig_fine)]
    with serve_directory(tmp_path) as base:
        page, _ = open_page(viewport=DESKTOP)
        shown = displayed_figures(page, f"{base}/page.html")
    assert [(name, round(density, 2), round(per_inch), widget) for name, density, per_inch, widget in shown] == [
        ("blurry.png", 1.0, 100, True), ("sharp.png", 2.0, 100, False)]
    problems = figure_problems(shown, texts)
    assert len(problems) == 2, problems
    assert "blurry.png: 1.00 image pixels per CSS pixel" in problems[0]
    assert "6.0 pt on a figure shown at 100 CSS px per inch: 8.3 px" in problems[1]
    assert "figures on the page but" in figure_problems(shown, texts[:1])[-1]


def test_the_figure_audit_takes_words_on_ticks_as_labels():
    """A bar chart whose ticks are words needs no axis label there; its numeric axis still does."""
    from matplotlib.figure import Figure

    from _figure_audit import audit_figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.bar([0, 1], [3, 5])
    ax.set_xticks([0, 1], ["Lloyd", "filter"])
    _, problems = audit_figure(fig, "bars")
    assert len(problems) == 1 and "the y axis" in problems[0], problems


# -- undistorted ----------------------------------------------------------------------------------
# A retina PNG carries an inline style with its size in CSS pixels; on a narrower page max-width
# shrinks only the width, and the figure was squashed sideways (up to 1.6x on the desktop page).
ASPECT_JS = """async () => {
  const imgs = Array.from(document.querySelectorAll('article img, div.cell_output img'))
      .filter(img => img.offsetParent !== null);
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => {
    const r = img.getBoundingClientRect();
    return {src: img.currentSrc || img.src, natural: [img.naturalWidth, img.naturalHeight],
            shown: [r.width, r.height]};
  });
}"""
NARROW = {"width": 420, "height": 900}


def distorted_images(page):
    """Images whose displayed width/height ratio differs from their pixels' by more than 2% (squashed
    or stretched)."""
    problems = []
    for image in page.evaluate(ASPECT_JS):
        (nw, nh), (sw, sh) = image["natural"], image["shown"]
        if min(nw, nh, sw, sh) <= 0:
            continue
        stretch = (sw / sh) / (nw / nh)
        if abs(stretch - 1) > 0.02:
            problems.append(f"{image['src'].rsplit('/', 1)[-1]}: shown {sw:.0f}x{sh:.0f} CSS px, its pixels "
                            f"{nw}x{nh}: its width/height ratio shown at {stretch:.2f} times the image's")
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "phone"])
@pytest.mark.parametrize("doc", [doc for doc in toc_pages() if doc.split("/")[-1][:2].isdigit()])
def test_figures_keep_their_aspect_ratio(doc, viewport, built_site, site_server, open_page):
    page, _ = open_page(viewport=viewport)
    page.goto(f"{site_server}/{doc}.html", wait_until="load")
    problems = distorted_images(page)
    assert not problems, f"{doc} at {viewport['width']} px:\n" + "\n".join(problems)


@pytest.mark.browser
def test_the_aspect_check_catches_a_squashed_retina_figure_and_the_site_css_fixes_it(tmp_path, open_page):
    from _browser_support import serve_directory

    _, sharp = _png(8, 3, 200)  # 1600 x 600 pixels, shown at 800 x 300 CSS px by its inline style
    (tmp_path / "wide.png").write_bytes(sharp)
    (tmp_path / "page.html").write_text(
        '<!DOCTYPE html><html><body><article style="width: 400px">'
        '<div class="cell_output"><img src="wide.png" alt="w" '
        'style="width: 800px; height: 300px; max-width: 100%"></div></article></body></html>'
    )
    with serve_directory(tmp_path) as base:
        page, _ = open_page(viewport=DESKTOP)
        page.goto(f"{base}/page.html", wait_until="load")
        problems = distorted_images(page)
        assert len(problems) == 1 and "shown at 0.50 times" in problems[0], problems
        page.add_style_tag(path=str(ROOT / "_ext" / "static" / "coursekit-site.css"))
        assert distorted_images(page) == []
