"""The built book in headless Chromium (issues 4 and 7).

Every page of ``_toc.yml`` (plus the search page and the index redirect), served from a local
HTTP server, must: load with no console error and no page error; make no request that leaves the
machine; have its math typeset by the locally served MathJax (no raw TeX left); load every image,
each with real alt text; have only internal links that resolve (pages and anchors); pass axe-core
with no serious or critical violation, in light and in dark mode; and actually change colour in
dark mode.  Screenshots of each page (light and dark) go to ``test-artifacts/site/``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from _browser_support import serve_directory, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("book")]

_AXE_SPEC = importlib.util.find_spec("axe_playwright_python")
# axe-core as shipped inside the axe-playwright-python package (served from disk, never a CDN).
AXE_JS = Path(_AXE_SPEC.origin).with_name("axe.min.js") if _AXE_SPEC else None
PAGES = [f"{doc}.html" for doc in toc_pages()] + ["search.html", "index.html"]
SCREENSHOTS = "site"
IMAGE_SUFFIX = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)
# A TeX command or delimiter left in the visible text means MathJax did not typeset it.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\(?:frac|mathbf|boldsymbol|sum|mu|sigma|Sigma)\b")

# Visible text outside code, math and scripts.
VISIBLE_TEXT_JS = """() => {
  const clone = document.querySelector('main, article, body').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .MathJax, mjx-assistive-mml, textarea')
       .forEach(el => el.remove());
  return clone.textContent;
}"""

WAIT_MATHJAX_JS = """async () => {
  if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) return false;
  await window.MathJax.startup.promise;
  if (window.MathJax.typesetPromise) { await window.MathJax.typesetPromise(); }
  return true;
}"""

IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => ({src: img.currentSrc || img.src, alt: img.getAttribute('alt'),
                           width: img.naturalWidth, hidden: img.getAttribute('aria-hidden') === 'true'}));
}"""

BACKGROUND_JS = "() => getComputedStyle(document.body).backgroundColor"

AXE_RUN_JS = """async () => {
  // preload: false — axe's CSSOM preload re-fetches @import'ed sheets against the wrong base
  // (a 404 for /basic.css); it only feeds the css-orientation-lock rule.
  const result = await axe.run(document, {resultTypes: ['violations'], preload: false});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))}));
}"""


@pytest.fixture(scope="module")
def screenshot_dir(artifacts_dir):
    path = artifacts_dir / SCREENSHOTS
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value)


_fetched = {}


def _fetch(url):
    """(status, html or None) for a URL on the local server, cached for the session."""
    if url not in _fetched:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
                kind = response.headers.get_content_type()
                _fetched[url] = (response.status, body.decode("utf-8", "replace") if kind == "text/html" else None)
        except urllib.error.HTTPError as exc:
            _fetched[url] = (exc.code, None)
    return _fetched[url]


def _broken_links(hrefs, base):
    broken = []
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue  # mailto:, javascript: and external links are checked elsewhere (not followed)
        target, anchor = urldefrag(href)
        status, html = _fetch(target)
        if status != 200:
            broken.append(f"{href} -> HTTP {status}")
        elif anchor and html is not None:
            parser = _Anchors()
            parser.feed(html)
            if anchor not in parser.ids:
                broken.append(f"{href} -> no element with id {anchor!r}")
    return broken


def _axe_serious(page):
    if AXE_JS is None or not AXE_JS.exists():
        pytest.skip("axe-playwright-python (which ships axe.min.js) is not installed; under CI=true this is a failure")
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(AXE_RUN_JS)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def _format(violations):
    return "\n".join(f"- [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


def _goto(page, url):
    # The root index.html is Jupyter Book's meta-refresh redirect to the first page: follow it before
    # evaluating anything (an evaluate racing the redirect dies with "execution context destroyed").
    # Its body is read apart from the page: once the page has moved on, the response's body is gone.
    redirects = re.search(r'<meta[^>]+http-equiv="refresh"', page.request.get(url).text(), re.IGNORECASE)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response.status if response else '?'}"
    if redirects:
        page.wait_for_url(lambda u: u.rstrip("/") != url.rstrip("/"), wait_until="load")
    # Not "networkidle" (500 ms without a request): on a loaded machine it can wait out its
    # timeout; what the checks need is explicit -- MathJax done here, images decoded by IMAGES_JS.
    page.evaluate(WAIT_MATHJAX_JS)


def _shot_name(page_path, mode):
    return page_path.replace("/", "__").removesuffix(".html") + f"-{mode}.png"


def _check_page(page, watch, base, page_path, screenshot_dir):
    """Everything wrong with one page of a site served at ``base`` (empty list when it is clean)."""
    _goto(page, f"{base}/{page_path}")
    problems = []

    # Math: typeset by the local MathJax, nothing raw left.
    n_math = page.locator(".math").count()
    if n_math:
        n_typeset = page.locator("mjx-container").count()
        if n_typeset < n_math:
            problems.append(f"{n_math} math elements but only {n_typeset} typeset by MathJax")
    raw = RAW_TEX.findall(page.evaluate(VISIBLE_TEXT_JS))
    if raw:
        problems.append(f"raw TeX left in the rendered text: {sorted(set(raw))}")

    # Images: loaded, with alt text that describes them.
    for img in page.evaluate(IMAGES_JS):
        name = img["src"].rsplit("/", 1)[-1]
        if img["width"] == 0:
            problems.append(f"image did not load: {img['src']}")
        alt = (img["alt"] or "").strip()
        if img["hidden"]:
            continue
        if not alt or IMAGE_SUFFIX.search(alt) or alt == name:
            problems.append(f"image without real alt text (alt={img['alt']!r}): {img['src']}")

    # Internal links: pages exist and anchors are present.
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    problems += [f"broken link: {b}" for b in _broken_links(hrefs, base + "/")]

    # An icon the page names and the site serves: without one the browser asks for /favicon.ico,
    # a 404 in every reader's console on a plain static host.
    icons = page.eval_on_selector_all("link[rel~='icon'][href]", "els => els.map(e => e.href)")
    if not icons:
        problems.append("no icon: the browser will ask for /favicon.ico")
    problems += [f"icon {href} -> HTTP {status}" for href in icons for status in [_fetch(href)[0]] if status != 200]

    # Every page of the book tells the reader how to run it live.
    if page_path.startswith("book/"):
        note = page.locator(".coursekit-live-note")
        if note.count() != 1 or "make lab" not in note.inner_text():
            problems.append("no 'Run this page live' note mentioning `make lab`")

    # Accessibility, light mode.
    page.screenshot(path=str(screenshot_dir / _shot_name(page_path, "light")), full_page=True)
    serious = _axe_serious(page)
    if serious:
        problems.append("axe (light mode) serious/critical violations:\n" + _format(serious))

    # Dark mode: the theme's switch attribute changes the colours, and contrast still passes.
    light_bg = page.evaluate(BACKGROUND_JS)
    page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'; }")
    page.wait_for_timeout(300)
    dark_bg = page.evaluate(BACKGROUND_JS)
    if dark_bg == light_bg:
        problems.append(f"dark mode did not change the background ({light_bg})")
    page.screenshot(path=str(screenshot_dir / _shot_name(page_path, "dark")), full_page=True)
    serious = _axe_serious(page)
    if serious:
        problems.append("axe (dark mode) serious/critical violations:\n" + _format(serious))

    return problems + watch.problems()


@pytest.mark.parametrize("page_path", PAGES)
def test_page(page_path, site_server, built_site, open_page, screenshot_dir):
    assert (built_site / page_path).exists(), f"{page_path} was not built"
    page, watch = open_page(color_scheme="light")
    problems = _check_page(page, watch, site_server, page_path, screenshot_dir)
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


BAD_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A bad page</title>
<script>console.error("boom");</script>
<script src="https://cdn.example.com/lib.js"></script></head>
<body><main><h1>A bad page</h1>
<p>Raw math: $$x^2$$ and \\(\\frac{1}{2}\\)</p>
<img src="pic.png"><img src="missing.png" alt="missing.png">
<p><a href="nope.html">a missing page</a> and <a href="#no-such-anchor">a missing anchor</a></p>
<p style="color:#dddddd;background:#ffffff">text nobody can read</p>
<script>throw new Error("a page error");</script>
</main></body></html>
"""


def test_the_page_checks_catch_a_bad_page(tmp_path, open_page):
    """The checks above can fail: a page with one of each defect is reported for each of them."""
    import base64

    (tmp_path / "bad.html").write_text(BAD_PAGE)
    (tmp_path / "pic.png").write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="))
    with serve_directory(tmp_path) as base:
        page, watch = open_page(color_scheme="light")
        report = "\n".join(_check_page(page, watch, base, "bad.html", tmp_path))
    expected = [
        "raw TeX left", "image without real alt text (alt=None)", "image did not load",
        "image without real alt text (alt='missing.png')", "nope.html -> HTTP 404",
        "no element with id 'no-such-anchor'", "axe (light mode) serious/critical violations",
        "color-contrast", "dark mode did not change the background",
        "off-machine request blocked: https://cdn.example.com/lib.js", "page error: a page error",
        "console error: boom", "no icon",
    ]
    missing = [e for e in expected if e not in report]
    assert not missing, f"not reported: {missing}\nreport:\n{report}"


def test_dark_mode_follows_the_reader_system_setting(site_server, built_site, open_page):
    """With ``default_mode: auto`` a reader whose system is dark gets the dark theme on first load."""
    page, watch = open_page(color_scheme="dark")
    _goto(page, f"{site_server}/{toc_pages()[0]}.html")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("() => document.documentElement.dataset.mode") == "auto"
    assert not watch.problems()


def test_the_theme_switch_button_turns_the_page_dark(site_server, built_site, open_page):
    """The reader's own control: the header's theme button cycles to dark mode and the colours change."""
    page, watch = open_page(color_scheme="light")
    _goto(page, f"{site_server}/{toc_pages()[-1]}.html")
    light_bg = page.evaluate(BACKGROUND_JS)
    button = page.locator("button.theme-switch-button:visible").first
    for _ in range(3):
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        button.click()
        page.wait_for_timeout(200)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(BACKGROUND_JS) != light_bg
    assert not watch.problems()


def _built_docnames(built_site):
    """Docnames of this build, from Sphinx's search index (stale HTML from older builds is ignored)."""
    text = (built_site / "searchindex.js").read_text()
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    return set(index["docnames"])


def test_every_toc_page_was_built(built_site):
    built = _built_docnames(built_site)
    missing = [doc for doc in toc_pages() if doc not in built or not (built_site / f"{doc}.html").exists()]
    assert not missing, f"pages in _toc.yml with no HTML: {missing}"
    # Nothing outside the toc (README, homework, solutions) leaks into the site.
    stray = sorted(built - set(toc_pages()))
    assert not stray, f"pages outside _toc.yml were built: {stray}"
