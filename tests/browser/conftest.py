"""Fixtures for the book's build, static-site and live-widget tests (issues 4 and 7).

* ``built_site``: runs ``make book`` once per session and returns ``_build/html``.
* ``site_server``: serves ``_build/html`` from a local HTTP server on a free loopback port.
* ``browser``: Debian's headless Chromium driven by Playwright (never Playwright's own download).
* ``open_page``: a new page that records console errors, page errors and every request that tries to
  leave the machine (those are aborted).

Without Chromium (or Playwright) these tests skip with a message saying so; under ``CI=true`` a skip
here is turned into a failure, because CI installs Chromium and must run them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from _browser_support import (
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LOOPBACK_HOSTS, ROOT, in_ci, make_book, serve_directory,
)


# -- under CI=true a skipped browser/book test is a failure ----------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} would be skipped under CI=true, which must run the browser tests: {reason}"
        )


# -- the built book --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def built_site():
    """Run ``make book`` (the README's command, in this process's environment); return ``_build/html``.

    There is no separate build for the tests: what they check is what ``make book`` leaves in
    ``_build/html`` (a rebuild is quick: only changed pages are executed again).
    """
    result = make_book()
    log = result.stdout[-6000:] + "\n" + result.stderr[-6000:]
    if result.returncode != 0:
        pytest.fail(f"`make book` failed (exit {result.returncode}):\n{log}")
    html = ROOT / "_build" / "html"
    assert (html / "index.html").exists(), log
    return html


@pytest.fixture(scope="session")
def site_server(built_site):
    """Base URL (``http://127.0.0.1:PORT``) of a local HTTP server for ``_build/html``."""
    with serve_directory(built_site) as base:
        yield base


# -- the browser -----------------------------------------------------------------------------------
def _need_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium chromium-driver) or set COURSEKIT_CHROMIUM; "
            "under CI=true this is a failure"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - requirements.txt pins playwright
        pytest.skip(f"playwright is not installed ({exc}); under CI=true this is a failure")


@pytest.fixture(scope="session")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class PageWatch:
    """Console errors, page errors and blocked off-machine requests seen by one page."""

    def __init__(self, page):
        self.page = page
        self.console_errors = []
        self.page_errors = []
        self.blocked = []
        self.failed_requests = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("requestfailed", self._on_failed)
        page.route("**/*", self._route)

    def _on_console(self, msg):
        if msg.type == "error":
            self.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    def _on_failed(self, request):
        if request.url not in self.blocked:
            self.failed_requests.append(f"{request.url}: {request.failure}")

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def problems(self, ignore_console=()):
        """Everything that went wrong, as readable lines (empty when the page is clean)."""
        lines = [f"off-machine request blocked: {u}" for u in self.blocked]
        lines += [f"page error: {e}" for e in self.page_errors]
        lines += [
            f"console error: {e}" for e in self.console_errors
            if not any(pattern in e for pattern in ignore_console)
        ]
        return lines


@pytest.fixture()
def open_page(browser):
    """Factory: ``page, watch = open_page(color_scheme="light")``; contexts are closed afterwards."""
    contexts = []

    def factory(color_scheme="light", viewport=None, device_scale_factor=1):
        context = browser.new_context(
            color_scheme=color_scheme,
            viewport=viewport or {"width": 1280, "height": 900},
            device_scale_factor=device_scale_factor,
            service_workers="block",
        )
        # Playwright's 30 s default is too short on a loaded 2-core machine (a page with MathJax
        # and a dozen figures has taken longer to fire "load" while the book built next door).
        context.set_default_timeout(120_000)
        contexts.append(context)
        page = context.new_page()
        return page, PageWatch(page)

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
