"""Helpers shared by the browser tests and their conftest (importable as ``_browser_support``)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
# Screenshots and other things a person may want to look at (gitignored).
ARTIFACTS = ROOT / "test-artifacts"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def in_ci():
    return os.environ.get("CI", "").strip().lower() == "true"


# -- helpers ---------------------------------------------------------------------------------------
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def book_env():
    """The environment of ``make lab``'s recipe: the Makefile's exports, the venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("OMP_NUM_THREADS", "2")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def make_book(book_dir=None, timeout=1800, env=None):
    """Run ``make book`` (the README's command) in the repository, in the caller's environment.

    ``book_dir`` builds another book (a throwaway one in a test) with the same recipe
    (``make book BOOK_DIR=...``); ``env`` replaces the environment (default: this process's).
    """
    if shutil.which("make") is None:
        pytest.fail("`make` is not on PATH: the book is built with `make book` (README)")
    command = ["make", "--no-print-directory", "-C", str(ROOT), "book"]
    if book_dir is not None:
        command.append(f"BOOK_DIR={Path(book_dir).resolve()}")
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def toc_pages(root=ROOT):
    """Docnames of the book's pages, in the order of ``_toc.yml`` (root first)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for part in entry.get("parts", []) or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return [str(Path(p).with_suffix("")) for p in pages]


def page_source(docname, root=ROOT):
    for suffix in (".md", ".ipynb", ".rst"):
        path = root / f"{docname}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for toc entry {docname!r}")




TINY_PAGE_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A throwaway page

"""


def tiny_book(root, body, config_edit=None):
    """A one-page book at ``root`` (its page: a title, then the MyST text ``body``), with the
    repository's ``_config.yml`` (changed by ``config_edit(config)`` if given) and ``_ext/``."""
    import yaml

    root = Path(root)
    (root / "book").mkdir(parents=True)
    shutil.copytree(ROOT / "_ext", root / "_ext")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config_edit:
        config_edit(config)
    (root / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/page\n")
    (root / "book" / "page.md").write_text(TINY_PAGE_HEADER + body)
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve_directory(directory):
    """Serve ``directory`` over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
