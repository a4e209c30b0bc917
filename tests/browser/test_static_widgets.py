"""The book's widgets on the static site, in headless Chromium (issue 13).

``make book`` turns every ``coursekit.widgets`` widget into HTML controls next to an image, with
one frame per combination of the controls' grid positions drawn at build time by the widget's
own code (``coursekit/widgets/_static.py``, ``_ext/coursekit_widgets.py``).  For every page that
uses a widget, served from a local HTTP server, every widget is on the page (one per widget
cell, nothing left of the build's payload) and each of its controls is moved the way a reader
moves it -- a slider by the arrow keys, Home/End and a click on its track, a dropdown by the
arrow keys and by choosing an option, a checkbox by Space and a click, a step button by a click
and by Enter -- and after every move:

* the image's ``src`` and alt text are those of the frame for the controls' new positions, the
  slider announces its value (``aria-valuetext``, and shows it), and the image has loaded;
* the image bytes the page shows carry, in their EXIF, the control values they were drawn for
  (written by the code that drew them), and those are the values the controls show;

with no console error, no page error and no request leaving the machine.  Once the reader stops,
the widget's polite live region says what the figure now shows (its alt text).  Each frame has a 2x
and a 1x file: on this 1x screen a move shows the 1x file (one image pixel per CSS pixel) and the
page fetches only 1x files besides the 2x file it opens on; on a 2x screen (a second test) every
widget shows 2x files and the page fetches only those.  The frames the browser fetched for a page
weigh at most 4 MB together, on either screen.  The time from the reader's key or pointer
going down to the new frame decoded and about to be painted is recorded for every move and written,
with each page's frames and megabytes, to ``test-artifacts/static-widgets/latency.json`` (measured,
not asserted: see ``bench/bench_widgets.py``).  A copy of a built page with one frame swapped,
truncated or deleted must be reported.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import statistics
from pathlib import Path

import pytest

from _browser_support import page_source, serve_directory, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("book")]

ARTIFACTS_SUBDIR = "static-widgets"
WIDGET_CALL = re.compile(r"\bwidgets\.\w+_widget\s*\(|\bFigureWidget\s*\(")
CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.DOTALL)

# Time from the reader's key or pointer going down to the new frame decoded (shared with
# bench/bench_widgets.py).
LATENCY_INIT_JS = (Path(__file__).resolve().parent / "static_widget_latency.js").read_text()

STATE_JS = """(figure) => {
  const data = JSON.parse(figure.querySelector('script.ck-widget-data').textContent);
  const img = figure.querySelector('img.ck-widget-frame');
  const controls = data.names.map((name, k) => {
    const el = figure.querySelector(`input[data-ck-index="${k}"], select[data-ck-index="${k}"]`);
    const label = el && el.id ? figure.querySelector(`label[for="${el.id}"]`) : null;
    const output = el && el.type === 'range' ? el.nextElementSibling : null;
    return {tag: el ? el.tagName.toLowerCase() : null, type: el ? el.type : null,
            position: !el ? null : el.type === 'checkbox' ? (el.checked ? 1 : 0) : Number(el.value),
            label: label ? label.textContent.trim() : '', valuetext: el ? el.getAttribute('aria-valuetext') : null,
            shown: output ? output.textContent.trim() : null, tabbable: !!el && el.tabIndex >= 0 && !el.disabled};
  });
  return {data, controls, src: img.getAttribute('src'), alt: img.getAttribute('alt'), frame: img.dataset.ckFrame,
          complete: img.complete, width: img.naturalWidth, cssWidth: Number(img.getAttribute('width')),
          dpr: window.devicePixelRatio,
          buttons: Array.from(figure.querySelectorAll('button.ck-step')).map(b => b.textContent.trim())};
}"""

FETCH_JS = """async (img) => {
  const response = await fetch(img.currentSrc || img.src);
  if (!response.ok) return null;
  const bytes = new Uint8Array(await response.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return btoa(text);
}"""


ANNOUNCED_JS = """(f) => f.querySelector('.ck-widget-status').textContent
    === f.querySelector('img.ck-widget-frame').getAttribute('alt')"""

# Bytes of the frames the page fetched (every widget's, once it is used), as the browser counts them.
FRAME_BYTES_JS = """() => {
  const seen = new Map();
  for (const e of performance.getEntriesByType('resource')) {
    if (e.name.includes('/coursekit-widgets/')) seen.set(e.name, Math.max(seen.get(e.name) || 0, e.encodedBodySize));
  }
  return {frames: seen.size, bytes: Array.from(seen.values()).reduce((a, b) => a + b, 0)};
}"""
PAGE_BUDGET_BYTES = 4_000_000
FETCHED_JS = """() => Array.from(new Set(performance.getEntriesByType('resource').map(e => e.name)
    .filter(name => name.includes('/coursekit-widgets/')).map(name => name.split('/').pop())))"""


def widget_cells(docname):
    """Number of code cells of a page that display a coursekit widget."""
    text = page_source(docname).read_text()
    return sum(1 for cell in CODE_CELL.findall(text) if WIDGET_CALL.search(cell))


def widget_pages():
    return [doc for doc in toc_pages() if widget_cells(doc)]


def _same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _wait_loaded(figure, timeout_ms=5000):
    try:
        figure.page.wait_for_function(
            "(f) => { const i = f.querySelector('img.ck-widget-frame'); return i.complete && i.naturalWidth > 0; }",
            arg=figure.element_handle(), timeout=timeout_ms, polling=20)
        return True
    except Exception:  # noqa: BLE001 - reported as a problem below
        return False


def check_shown(figure, what, at_load=False):
    """Problems with what the widget ``figure`` shows now (empty list when it shows the right frame):
    after a move the file for the screen (2x above one device pixel per CSS pixel, else 1x); the
    page opens on the 2x file."""
    from coursekit.widgets._static import read_frame_values

    loaded = _wait_loaded(figure)
    state = figure.evaluate(STATE_JS)
    data, controls = state["data"], state["controls"]
    problems = []
    index = 0
    for k, control in enumerate(controls):
        if control["position"] is None:
            return [f"{what}: control {data['names'][k]!r} is missing from the page"]
        index = index * data["shape"][k] + control["position"]
        text = data["labels"][k][control["position"]]
        if control["type"] == "range" and (control["valuetext"] != text or control["shown"] != text):
            problems.append(f"{what}: slider {control['label']!r} announces {control['valuetext']!r} and shows "
                            f"{control['shown']!r}, its position is {text!r}")
    # [2x file, alt, 1x file]: the 2x file on a screen of more than one device pixel per CSS pixel
    url_2x, alt, url_1x = data["frames"][index]
    url, scale = (url_2x, 2) if state["dpr"] > 1 or at_load else (url_1x, 1)
    expected_values = {name: data["values"][k][c["position"]] for k, (name, c) in enumerate(zip(data["names"], controls))}
    if state["src"] != data["base"] + url:
        problems.append(f"{what}: shows {state['src']} instead of frame {index} ({data['base'] + url})")
    if state["alt"] != alt:
        problems.append(f"{what}: alt text {state['alt']!r} is not frame {index}'s ({alt!r})")
    if not loaded:
        problems.append(f"{what}: the image {state['src']} did not load")
        return problems
    if state["width"] != scale * state["cssWidth"]:
        problems.append(f"{what}: the image is {state['width']} pixels wide, not {scale} x its "
                        f"{state['cssWidth']} CSS pixels on a screen of {state['dpr']} device pixels per CSS pixel")
    encoded = figure.locator("img.ck-widget-frame").evaluate(FETCH_JS)
    if encoded is None:
        problems.append(f"{what}: the image {state['src']} could not be fetched")
        return problems
    try:
        drawn_for = read_frame_values(base64.b64decode(encoded))
    except Exception as exc:  # noqa: BLE001 - an unreadable frame is the finding
        problems.append(f"{what}: the image {state['src']} is not a readable frame ({exc})")
        return problems
    if drawn_for is None or set(drawn_for) != set(expected_values) or not all(
            _same(drawn_for[name], value) for name, value in expected_values.items()):
        problems.append(f"{what}: the image shown was drawn for {drawn_for}, the controls show {expected_values}")
    return problems


SAMPLES_JS = "() => window.__ckLatency ? window.__ckLatency.samples.length : null"


def _await_latency(page, before):
    """Wait (2 s at most) until the move just made has its latency sample, when the page measures.

    The checks read the page (its positions, its frame data, the image's bytes): done while the
    new frame is still on its way, that work of the checker's would be counted in the move's
    latency, which is the reader's.  A move that records nothing (a frame that does not decode)
    is reported by the checks that follow."""
    if before is None:
        return
    try:
        page.wait_for_function("n => window.__ckLatency.samples.length > n", arg=before, timeout=2000, polling=50)
    except Exception:  # noqa: BLE001 - the checks below say what is wrong with the move
        pass


def _positions(figure):
    return [c["position"] for c in figure.evaluate(STATE_JS)["controls"]]


def _click_track(page, control, target, n):
    """Click a range input's track where position ``target`` of ``n`` is (a pointer move)."""
    box = control.bounding_box()
    thumb = 16  # Chromium's default thumb width: the first and last positions are half a thumb in
    x = box["x"] + thumb / 2 + (box["width"] - thumb) * (target / max(1, n - 1))
    page.mouse.click(x, box["y"] + box["height"] / 2)


def exercise_widget(page, figure, name, screenshot_dir=None):
    """Move every control of one widget by keyboard and pointer; return (moves, problems)."""
    problems = check_shown(figure, f"{name} at load", at_load=True)
    state = figure.evaluate(STATE_JS)
    data = state["data"]
    for k, control in enumerate(state["controls"]):
        if not control["label"]:
            problems.append(f"{name}: control {data['names'][k]!r} has no <label>")
        if not control["tabbable"]:
            problems.append(f"{name}: control {data['names'][k]!r} cannot be reached from the keyboard")
    alt = state["alt"] or ""
    if not alt.strip() or alt.endswith(".webp"):
        problems.append(f"{name}: the image has no real alt text ({alt!r})")
    moves = 0
    for k, control in enumerate(state["controls"]):
        el = figure.locator(f"input[data-ck-index='{k}'], select[data-ck-index='{k}']")
        n = data["shape"][k]
        label = f"{name} / {control['label'] or data['names'][k]}"
        if n < 2:
            continue
        position = lambda k=k: _positions(figure)[k]  # noqa: E731
        if control["type"] == "range":
            # Each move goes somewhere else than where the control is.
            steps = [lambda: ("key", "ArrowRight" if position() < n - 1 else "ArrowLeft"),
                     lambda: ("key", "End" if position() != n - 1 else "Home"),
                     lambda: ("key", "Home" if position() != 0 else "End"),
                     lambda: ("click", (2 * (n - 1)) // 3 if position() != (2 * (n - 1)) // 3 else 0),
                     lambda: ("click", 0 if position() != 0 else n - 1)]
        elif control["tag"] == "select":
            steps = [lambda: ("key", "ArrowDown" if position() < n - 1 else "ArrowUp"),
                     lambda: ("choose", 0 if position() != 0 else n - 1)]
        elif control["type"] == "checkbox":
            steps = [lambda: ("key", " "), lambda: ("click", None)]
        else:
            steps = []
        for step in steps:
            kind, arg = step()
            before = _positions(figure)
            el.scroll_into_view_if_needed()
            measured = page.evaluate(SAMPLES_JS)
            if kind == "key":
                el.focus()
                el.press(arg)
                how = f"key {arg!r}"
            elif kind == "click" and control["type"] == "range":
                _click_track(page, el, arg, n)
                how = f"pointer click at position {arg}"
            elif kind == "click":
                el.click()
                how = "pointer click"
            else:
                el.select_option(str(arg))
                how = f"pointer choice of option {arg}"
            _await_latency(page, measured)
            after = _positions(figure)
            moves += 1
            if after == before:
                problems.append(f"{label}: {how} did not move the control")
            problems += check_shown(figure, f"{label} after {how}")
        if screenshot_dir is not None:
            figure.screenshot(path=str(screenshot_dir / f"{name.replace('/', '__')}-c{k}.png"))
    for b, text in enumerate(state["buttons"]):
        button = figure.locator("button.ck-step").nth(b)
        k = int(button.get_attribute("data-ck-index"))
        for how in ("pointer click", "key Enter"):
            before = _positions(figure)[k]
            button.scroll_into_view_if_needed()
            measured = page.evaluate(SAMPLES_JS)
            if how == "pointer click":
                button.click()
            else:
                button.focus()
                page.keyboard.press("Enter")
            _await_latency(page, measured)
            n, delta = data["shape"][k], int(button.get_attribute("data-ck-delta"))
            expected = (before + delta) % n if button.get_attribute("data-ck-wrap") == "1" else min(max(before + delta, 0), n - 1)
            moves += 1
            if _positions(figure)[k] != expected:
                problems.append(f"{name} / button {text!r}: {how} moved position {before} to "
                                f"{_positions(figure)[k]}, not {expected}")
            problems += check_shown(figure, f"{name} / button {text!r} after {how}")
    # The live region tells a screen reader what the figure shows now, once the reader stops moving.
    status = figure.locator(".ck-widget-status")
    if status.get_attribute("aria-live") != "polite":
        problems.append(f"{name}: no polite live region announcing the figure")
    else:
        try:
            page.wait_for_function(ANNOUNCED_JS, arg=figure.element_handle(), timeout=5000, polling=50)
        except Exception:  # noqa: BLE001 - reported
            problems.append(f"{name}: the live region says {status.text_content()!r}, not the alt text of the "
                            "figure shown")
    return moves, problems


@pytest.fixture(scope="module")
def widget_artifacts(artifacts_dir):
    path = artifacts_dir / ARTIFACTS_SUBDIR
    path.mkdir(parents=True, exist_ok=True)
    return path


_latencies = {}


@pytest.mark.parametrize("docname", widget_pages())
def test_every_widget_moves_on_the_static_page(docname, built_site, site_server, open_page, widget_artifacts):
    html = (built_site / f"{docname}.html").read_text()
    from coursekit.widgets._static import PAYLOAD_MARKER

    assert PAYLOAD_MARKER not in html, f"{docname}: a widget's build payload was left in the page"
    page, watch = open_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(LATENCY_INIT_JS)
    page.goto(f"{site_server}/{docname}.html", wait_until="load")
    figures = page.locator("figure.ck-widget")
    opened = set(page.evaluate(
        "() => Array.from(document.querySelectorAll('img.ck-widget-frame')).map(i => i.getAttribute('src').split('/').pop())"))
    expected = widget_cells(docname)
    assert figures.count() == expected, (
        f"{docname}: {expected} widget cells in the source but {figures.count()} interactive figures on the page")
    problems, moves = [], 0
    for w in range(figures.count()):
        n, found = exercise_widget(page, figures.nth(w), f"{docname}#{w}", widget_artifacts)
        moves += n
        problems += found
    samples = page.evaluate("() => window.__ckLatency.samples")
    fetched = page.evaluate(FRAME_BYTES_JS)
    n_frames = sum(len(json.loads(t)["frames"]) for t in page.locator("script.ck-widget-data").all_text_contents())
    if fetched["bytes"] > PAGE_BUDGET_BYTES:
        problems.append(f"{docname}: the browser fetched {fetched['bytes'] / 1e6:.2f} MB of frames, over the 4 MB budget")
    if fetched["frames"] == 0 or fetched["bytes"] == 0:
        problems.append(f"{docname}: the browser fetched no frames ({fetched})")
    # A screen of one device pixel per CSS pixel fetches the 1x frames (and the 2x file the page opens on).
    files_1x = {frame[2] for t in page.locator("script.ck-widget-data").all_text_contents()
                for frame in json.loads(t)["frames"]}
    other = set(page.evaluate(FETCHED_JS)) - files_1x - opened
    if other:
        problems.append(f"{docname}: {len(other)} files fetched that are not 1x frames on a 1x screen")
    problems += watch.problems()
    assert moves > 0
    assert not problems, f"{docname} ({figures.count()} widgets, {moves} moves):\n" + "\n".join(problems)
    _latencies[docname] = {"samples": samples, "frame_files": fetched["frames"], "frames": n_frames,
                           "bytes": fetched["bytes"]}
    report = {doc: {"frames": r["frames"], "frame_files_fetched": r["frame_files"], "MB_fetched": round(r["bytes"] / 1e6, 3),
                    "moves": len(r["samples"]), "median_ms": round(statistics.median(r["samples"]), 1) if r["samples"] else None,
                    "max_ms": round(max(r["samples"]), 1) if r["samples"] else None,
                    "samples_ms": [round(x, 1) for x in r["samples"]]} for doc, r in _latencies.items()}
    (widget_artifacts / "latency.json").write_text(json.dumps(report, indent=1))


@pytest.mark.parametrize("docname", widget_pages())
def test_a_high_density_screen_gets_the_2x_frames_within_the_budget(docname, built_site, site_server, open_page):
    """At 2 device pixels per CSS pixel every widget shows, after a move, the 2x frame of its
    controls' values; the page fetches only 2x frames, and at most 4 MB of them."""
    page, watch = open_page(viewport={"width": 1280, "height": 900}, device_scale_factor=2)
    page.add_init_script(LATENCY_INIT_JS)  # also: every frame fetched is in the resource timing buffer
    page.goto(f"{site_server}/{docname}.html", wait_until="load")
    figures = page.locator("figure.ck-widget")
    problems, files_2x = [], set()
    for w in range(figures.count()):
        figure = figures.nth(w)
        problems += check_shown(figure, f"{docname}#{w} at load, 2x screen", at_load=True)
        control = figure.locator("input[data-ck-index='0'], select[data-ck-index='0']")
        control.scroll_into_view_if_needed()
        control.focus()
        page.keyboard.press("ArrowDown" if control.evaluate("e => e.tagName") == "SELECT" else " "
                            if control.get_attribute("type") == "checkbox" else "End")
        problems += check_shown(figure, f"{docname}#{w} after a key, 2x screen")
        files_2x |= {frame[0] for frame in figure.evaluate(STATE_JS)["data"]["frames"]}
    # Every widget's frames are fetched once it is used: wait until they are.
    page.wait_for_function(f"() => ({FETCHED_JS})().length >= {len(files_2x)}", timeout=60_000, polling=200)
    fetched = set(page.evaluate(FETCHED_JS))
    if fetched - files_2x:
        problems.append(f"{docname}: {len(fetched - files_2x)} files fetched that are not 2x frames")
    weight = page.evaluate(FRAME_BYTES_JS)["bytes"]
    if weight > PAGE_BUDGET_BYTES:
        problems.append(f"{docname}: the browser fetched {weight / 1e6:.2f} MB of 2x frames, over the 4 MB budget")
    problems += watch.problems()
    assert fetched == files_2x and not problems, "\n".join(problems)


def next_moves(positions, shape):
    """Frame indices one step from ``positions`` along each control, then each control's ends
    (the frames a reader reaches next; frames are numbered row-major, the first control slowest)."""
    def index(pos):
        i = 0
        for p, n in zip(pos, shape):
            i = i * n + p
        return i
    out = set()
    for k, n in enumerate(shape):
        for p in (positions[k] + 1, positions[k] - 1, 0, n - 1):
            if 0 <= p < n and p != positions[k]:
                out.add(index(positions[:k] + [p] + positions[k + 1:]))
    return out


@pytest.mark.parametrize("docname", widget_pages())
def test_frames_of_the_next_moves_are_requested_before_the_rest(docname, built_site, site_server, open_page):
    """A reader who scrolls to a widget and moves it at once must not wait for the frame behind
    dozens of others: for every widget of the page, the first of its 1x frame files that the page
    requests are the frames one step away and at the ends of each control, and only then the rest."""
    page, watch = open_page(viewport={"width": 1280, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url.split("/").pop()))
    page.goto(f"{site_server}/{docname}.html", wait_until="load")
    figures = page.locator("figure.ck-widget")
    problems, checked, differs = [], 0, 0
    for w in range(figures.count()):
        figure = figures.nth(w)
        state = figure.evaluate(STATE_JS)
        data = state["data"]
        if len(data["frames"]) < 3:
            continue
        figure.scroll_into_view_if_needed()
        files = [frame[2] for frame in data["frames"]]
        wanted = set(files)
        for _ in range(600):  # every frame is requested once the widget is near the screen (60 s at most)
            if wanted <= set(requested):
                break
            page.wait_for_timeout(100)
        order = [f for f in dict.fromkeys(requested) if f in wanted]
        if set(order) != wanted:
            problems.append(f"{docname}#{w}: {len(wanted - set(order))} of its frames were never requested")
            continue
        expected = {files[i] for i in next_moves([c["position"] for c in state["controls"]], data["shape"])}
        first = set(order[:len(expected)])
        checked += 1
        differs += expected != set(files[:len(expected)])
        if first != expected:
            problems.append(f"{docname}#{w}: the first {len(expected)} frames requested are not those of the next "
                            f"moves ({sorted(files.index(f) for f in first)} instead of "
                            f"{sorted(files.index(f) for f in expected)})")
    problems += watch.problems()
    assert checked and not problems, "\n".join(problems)
    # The check can tell: for some widget the next moves' frames are not the first ones of the grid.
    assert differs, "every widget's next moves are its first frames: this page cannot tell the order apart"


# -- the checks above can fail --------------------------------------------------------------------
def _break(site, docname, how):
    """Break the first widget of ``docname`` in a copy of the site at its frame for position 1."""
    path = site / f"{docname}.html"
    html = path.read_text()
    match = re.search(r'(<script type="application/json" class="ck-widget-data">)(.*?)(</script>)', html, re.DOTALL)
    data = json.loads(match.group(2))
    frames_dir = path.parent / data["base"]
    if how == "swapped":  # position 1 shows the frame drawn for position 2 (with its own alt text)
        for f in (0, 2):  # its 2x and 1x files
            data["frames"][1][f], data["frames"][2][f] = data["frames"][2][f], data["frames"][1][f]
        text = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
        path.write_text(html[:match.start(2)] + text + html[match.end(2):])
    elif how == "truncated":
        for f in (0, 2):
            target = frames_dir / data["frames"][1][f]
            target.write_bytes(target.read_bytes()[:200])
    elif how == "deleted":
        for f in (0, 2):
            (frames_dir / data["frames"][1][f]).unlink()
    else:  # pragma: no cover
        raise ValueError(how)


@pytest.mark.parametrize("how, reported", [
    ("swapped", "the image shown was drawn for"),
    ("truncated", "not a readable frame"),
    ("deleted", "did not load"),
])
def test_a_broken_frame_is_reported(how, reported, built_site, open_page, tmp_path):
    docname = widget_pages()[0]
    site = tmp_path / "site"
    shutil.copytree(built_site, site, ignore=shutil.ignore_patterns("_sources", "*.ipynb"))
    _break(site, docname, how)
    with serve_directory(site) as base:
        page, watch = open_page()
        page.goto(f"{base}/{docname}.html", wait_until="load")
        figure = page.locator("figure.ck-widget").first
        state = figure.evaluate(STATE_JS)
        assert state["data"]["shape"][0] >= 3, "the first widget needs a first control with 3 positions"
        # Reach position 1 of the first control, where the frame is broken.
        control = figure.locator("input[data-ck-index='0'], select[data-ck-index='0']")
        control.evaluate("(el) => { el.value = '0'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
        control.focus()
        page.keyboard.press("ArrowRight" if state["controls"][0]["type"] == "range" else "ArrowDown")
        problems = check_shown(figure, f"{how} frame") + watch.problems()
    assert any(reported in p for p in problems), f"not reported ({how}):\n" + "\n".join(problems)
    if how == "deleted":
        assert any("console error" in p and "404" in p for p in problems), problems


def test_the_extension_and_the_library_agree_on_the_payload():
    """The Sphinx extension recognises what coursekit.widgets emits (same marker, same variable)."""
    import importlib.util

    from coursekit.widgets import _static

    spec = importlib.util.spec_from_file_location("coursekit_widgets_ext", Path(__file__).resolve().parents[2]
                                                  / "_ext" / "coursekit_widgets.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    assert ext.PAYLOAD_MARKER == _static.PAYLOAD_MARKER
    assert ext.STATIC_ENV == _static.STATIC_ENV
