"""Take the README's chapter screenshot from the built book (run ``make book`` first).

    .venv/bin/python docs/screenshot.py [page] [anchor] [presses]

Serves ``_build/html`` on a loopback port and photographs one chapter in Debian's headless
Chromium (the same launch flags as the browser tests), writing ``docs/screenshot-chapter.png``.
By default: chapter 5, its first interactive figure (the k-means step-through) after moving its
slider two steps with the keyboard, so the picture shows a widget working on the static page.
``presses`` is how many times to press the right arrow on the first slider below ``anchor``.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(page_path="book/05_kmeans.html", anchor="the-algorithm-step-by-step", presses="2"):
    handler = functools.partial(_Quiet, directory=str(ROOT / "_build" / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, color_scheme="light")
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{page_path}", wait_until="networkidle")
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.wait_for_timeout(500)
            slider = page.locator(f"#{anchor} ~ * figure.ck-widget input[type=range], "
                                  f"#{anchor} figure.ck-widget input[type=range]").first
            if int(presses) and slider.count():
                slider.focus()
                for _ in range(int(presses)):
                    page.keyboard.press("ArrowRight")
                page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
            if int(presses) and slider.count():
                # The whole widget at the bottom of the picture, the text that introduces it above.
                slider.evaluate("""(el) => { const fig = el.closest('figure');
                    window.scrollTo({top: fig.getBoundingClientRect().bottom + window.scrollY - window.innerHeight + 24,
                                     behavior: 'instant'}); }""")
                page.wait_for_timeout(300)
            elif anchor:
                page.evaluate(f"""() => {{ const el = document.getElementById({anchor!r});
                    window.scrollTo({{top: el.getBoundingClientRect().top + window.scrollY - 60, behavior: 'instant'}}); }}""")
                page.wait_for_timeout(300)
            out = ROOT / "docs" / "screenshot-chapter.png"
            page.screenshot(path=str(out))
            browser.close()
            print(out)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:])
