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
    """The environment ``make book`` uses: the venv's bin first on PATH, a headless backend."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("OMP_NUM_THREADS", "2")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def jupyter_book_build(path, timeout=1800):
    """Run ``jupyter-book build <path> -W --keep-going`` (the ``make book`` command)."""
    exe = shutil.which("jupyter-book", path=book_env()["PATH"])
    if exe is None:
        pytest.fail("the jupyter-book script is not installed in the venv (see requirements.txt)")
    return subprocess.run(
        [exe, "build", str(path), "-W", "--keep-going"],
        cwd=path, env=book_env(), capture_output=True, text=True, timeout=timeout,
    )


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
