"""Where a static widget's swap spends its time: a Chromium trace of each first move (issue 13).

For every widget with a slider on the pages given, as the browser test moves it: scroll it into
view, focus the slider, (optionally wait ``--pause-ms``, a reader's pace), press an arrow key (the
*first* move, to a frame not shown before), then the opposite key (the *second* move, back to the
frame shown a moment ago).  The latency of each move is what the browser test records
(``tests/browser/static_widget_latency.js``: from the key going down to the new frame decoded and
the next animation frame).  Meanwhile a Chromium trace is taken, and for each move the CPU time
(thread time, not wall time: on this shared 2-core machine the wall time is several times the CPU
time) that the page's renderer spent between the key and the end of that latency is summed: on its
main thread (event handlers, style, layout, paint, commit) and on its other threads (image decodes,
raster).

    python bench/trace_widget_swap.py [--site _build/html] [--pages book/01_gaussian,book/05_kmeans]
                                      [--pause-ms 0] [--keep-traces DIR]

Prints one line per move and a summary per kind of move, with the load average.  Needs the built
book (``make book``) and Debian's Chromium (``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from _browser_support import CHROMIUM, CHROMIUM_ARGS, serve_directory  # noqa: E402

LATENCY_JS = (ROOT / "tests" / "browser" / "static_widget_latency.js").read_text()
CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "loading", "v8.execute",
              "toplevel", "input", "cc", "latencyInfo"]


def _moves(page, pause_ms):
    """First and second move of each widget's first slider: [(kind, widget, latency ms)]."""
    out = []
    figures = page.locator("figure.ck-widget")
    for w in range(figures.count()):
        slider = figures.nth(w).locator("input[type=range]").first
        if slider.count() == 0:
            continue
        slider.scroll_into_view_if_needed()
        slider.focus()
        if pause_ms:
            page.wait_for_timeout(pause_ms)
        up = slider.evaluate("e => Number(e.value) < Number(e.max)")
        for kind, key in (("first", "ArrowRight" if up else "ArrowLeft"), ("second", "ArrowLeft" if up else "ArrowRight")):
            slider.press(key)
            n = len(out) + 1
            page.wait_for_function("n => window.__ckLatency.samples.length >= n", arg=n, timeout=30_000)
            out.append((kind, w, page.evaluate("() => window.__ckLatency.samples")[-1]))
    return out


def _cpu_per_move(trace_path, moves):
    """(main-thread CPU ms, other renderer threads CPU ms) in each move's latency window."""
    trace = json.loads(Path(trace_path).read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    keys = sorted((e for e in events if e.get("name") == "EventDispatch"
                   and e.get("args", {}).get("data", {}).get("type") == "keydown"), key=lambda e: e["ts"])
    if len(keys) != len(moves):
        raise RuntimeError(f"{len(keys)} keydown events in the trace for {len(moves)} moves")
    pid = keys[0]["pid"]
    top = collections.defaultdict(list)  # per thread, the outermost complete events with a thread time
    for e in sorted((e for e in events if e.get("pid") == pid and e.get("ph") == "X" and "tdur" in e),
                    key=lambda e: (e["tid"], e["ts"], -e.get("dur", 0))):
        run = top[e["tid"]]
        if run and e["ts"] < run[-1]["ts"] + run[-1].get("dur", 0):
            continue
        run.append(e)
    result = []
    for key, (_kind, _w, latency) in zip(keys, moves):
        start, end = key["ts"], key["ts"] + latency * 1000
        main = other = 0.0
        for tid, run in top.items():
            cpu = sum(e["tdur"] for e in run if start <= e["ts"] < end) / 1000
            if names.get((pid, tid)) == "CrRendererMain":
                main += cpu
            else:
                other += cpu
        result.append((main, other))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--pages", default="book/01_gaussian,book/02_mle,book/04_mixtures,book/05_kmeans,book/07_gmm_em")
    parser.add_argument("--pause-ms", type=int, default=0, help="wait between focusing a slider and the first key")
    parser.add_argument("--keep-traces", default=None, help="directory to keep the trace files in")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    trace_dir = Path(args.keep_traces or tempfile.mkdtemp(prefix="ck-swap-trace-"))
    trace_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with serve_directory(args.site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for doc in args.pages.split(","):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.add_init_script(LATENCY_JS)
            page.goto(f"{base}/{doc}.html", wait_until="load")
            path = trace_dir / f"{doc.replace('/', '_')}.json"
            browser.start_tracing(page=page, path=str(path), categories=CATEGORIES)
            moves = _moves(page, args.pause_ms)
            browser.stop_tracing()
            context.close()
            for (kind, w, latency), (main_cpu, other_cpu) in zip(moves, _cpu_per_move(path, moves)):
                rows.append((kind, latency, main_cpu, other_cpu))
                print(f"{doc}#{w} {kind:6s} latency {latency:6.1f} ms   CPU: main thread {main_cpu:5.1f} ms, "
                      f"other renderer threads {other_cpu:5.1f} ms")
        browser.close()
    for kind in ("first", "second"):
        sel = [r for r in rows if r[0] == kind]
        if sel:
            med = [statistics.median(r[i] for r in sel) for i in (1, 2, 3)]
            print(f"{kind} moves: {len(sel)}, median latency {med[0]:.1f} ms ({sum(r[1] > 50 for r in sel)} above 50 ms), "
                  f"median CPU main {med[1]:.1f} ms, other {med[2]:.1f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared); traces in {trace_dir}")


if __name__ == "__main__":
    main()
