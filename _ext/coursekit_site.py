"""Local Sphinx extension for the course book (registered in ``_config.yml``).

Small fixes to the stock Jupyter Book 1.x site, each covered by ``tests/browser``:

* sphinx-thebe registers its inline configuration script twice, so every page logs
  "Identifier 'THEBE_JS_URL' has already been declared"; keep only the first copy.
* every book page has, right below its title, a short note telling the reader how to run it live
  (``make lab``, or the launch button when the instructor configured one in ``_config.yml``).
* a figure printed by a code cell gets its alt text from the output's ``text/plain`` when that is a
  description rather than a Python repr: a ``coursekit.widgets`` widget's text/plain is its title
  plus how to run it live, so its static PNG is described.  Plain matplotlib figures (text/plain
  ``<Figure size ...>``) need ``mystnb: image: alt:`` in the cell's metadata; the browser tests
  fail on any image whose alt text is missing or just a file name.
* ``coursekit-site.css`` styles that note and fixes colours the theme gets wrong in dark mode.
* the kernels that execute the pages inherit this process's environment: a non-inline ``MPLBACKEND``
  (``Agg`` is common on headless machines) would make every ``plt.show()`` cell output nothing, so
  it is removed before any page runs (the kernel then uses matplotlib's inline backend).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

STATIC = Path(__file__).parent / "static"

__all__ = ["setup"]

logger = logging.getLogger(__name__)


def _dedupe_scripts(context):
    """Drop repeated ``<script>`` entries (same file and same inline body)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        # The same inline script is registered once with filename None and once with "".
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(filename), tuple(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


def _is_python_repr(text):
    return text.startswith("<") and text.endswith(">")


def _alt_from_text_plain(app, doctree):
    """Give cell-output images without alt text the output's text/plain description."""

    def is_bundle(node):
        return isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"

    for bundle in doctree.findall(is_bundle):
        text, images = "", []
        for child in bundle.children:
            mime_type = child.get("mime_type", "")
            if mime_type == "text/plain":
                text = " ".join(child.astext().split())
            elif mime_type.startswith("image/"):
                images.extend(child.findall(nodes.image))
        if text and not _is_python_repr(text):
            for image in images:
                if not image.get("alt"):
                    image["alt"] = text


def _launch_configured(app):
    launch = (app.config.html_theme_options or {}).get("launch_buttons", {}) or {}
    return any(str(launch.get(key, "")).strip() for key in ("jupyterhub_url", "binderhub_url", "colab_url"))


def live_note_html(app):
    """The note shown at the top of every page (HTML)."""
    parts = [
        '<div class="admonition note coursekit-live-note" role="note">',
        '<p class="admonition-title">Run this page live</p>',
        "<p>Figures with controls (sliders, menus, step buttons) work on this web page: each move shows "
        "the figure drawn for those values when the book was built. To run and change the code, or to "
        "try values between the pre-drawn ones, run the page in JupyterLab: in a clone of the repository, "
        "<code class=\"docutils literal notranslate\">make lab</code> opens every chapter as a notebook, "
        "then choose <em>Run &rarr; Run All Cells</em>.",
    ]
    if _launch_configured(app):
        parts.append(
            " Or use the launch button (the rocket icon at the top of the page) to open it on "
            "your course's JupyterHub or Binder."
        )
    else:
        parts.append(
            " Instructors can add a launch button to every page by setting "
            "<code class=\"docutils literal notranslate\">launch_buttons: jupyterhub_url</code> (or "
            "<code class=\"docutils literal notranslate\">binderhub_url</code>) in "
            "<code class=\"docutils literal notranslate\">_config.yml</code>."
        )
    parts.append("</p></div>\n")
    return "".join(parts)


def _on_page_context(app, pagename, templatename, context, doctree):
    _dedupe_scripts(context)
    # Only real pages built from a source file get the note (not search, genindex, redirects).
    if doctree is not None and "body" in context and app.env and pagename in app.env.found_docs:
        # Right below the page title, so the title stays the first thing a reader (or screen reader) meets.
        body, note = context["body"], live_note_html(app)
        end = body.find("</h1>")
        context["body"] = body[: end + 5] + note + body[end + 5 :] if end >= 0 else note + body


def _add_static(app):
    path = str(STATIC)
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)


def _source_digest():
    """Hash of this extension and its CSS: when they change, every page must be written again."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(STATIC.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _inline_backend_for_kernels():
    backend = os.environ.get("MPLBACKEND", "")
    if backend and "inline" not in backend:
        del os.environ["MPLBACKEND"]
        logger.info(f"coursekit_site: MPLBACKEND={backend} removed: it would hide every figure of the book")


def setup(app):
    _inline_backend_for_kernels()
    # A config value that changes with this file: Sphinx then re-renders every page (a cached build
    # would otherwise keep pages written by an older version of the note).
    app.add_config_value("coursekit_site_digest", _source_digest(), "html")
    app.connect("builder-inited", _add_static)
    app.connect("doctree-read", _alt_from_text_plain)
    app.add_css_file("coursekit-site.css")
    # Run after sphinx-thebe and the theme have filled the page context.
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

