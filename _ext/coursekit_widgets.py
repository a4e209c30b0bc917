"""Local Sphinx extension: the book's widgets move on the static site (registered in ``_config.yml``).

While the book's pages execute, ``COURSEKIT_STATIC_WIDGETS`` tells ``coursekit.widgets`` to add,
to each widget's output, every frame of its static grid (drawn by the widget's own code; see
``coursekit/widgets/_static.py``).  Here each such output becomes:

* real HTML controls -- ``<input type=range>`` over the grid positions, ``<select>``, checkboxes and
  the widget's step buttons -- each with a ``<label>``, and ``aria-valuetext`` for sliders;
* an ``<img>`` showing the default frame (so the figure is there as soon as the page loads), with
  the frame's alt text;
* the frame files, ``_images/coursekit-widgets/<sha256>.webp``, each at 2x and at 1x (the same
  drawing reduced, for screens of one device pixel per CSS pixel), and a JSON list of them that
  ``static/coursekit-widgets.js`` (a few lines of plain JavaScript, no framework) uses to swap the
  image when a control moves, choosing the 2x or the 1x file by the screen's ``devicePixelRatio``
  (the page opens on the 2x file of the default frame), after preloading the frames once the
  widget comes near the screen.

Frames are written next to the doctrees when a page is read and copied into the site when it is
written, so a site directory removed on its own is filled again.  A reader's browser fetches one
set, the 2x or the 1x frames (and the 2x file of each widget's first frame); a page whose 2x
frames (the heavier set) weigh more than :data:`PAGE_BUDGET_BYTES` together is a build warning
(an error under ``-W``).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import shutil
from base64 import b64decode
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

STATIC = Path(__file__).parent / "static"
# Shared with coursekit/widgets/_static.py (the kernel side); tests/browser checks they agree.
STATIC_ENV = "COURSEKIT_STATIC_WIDGETS"
PAYLOAD_MARKER = "application/vnd.coursekit.static-widget+json"
FRAME_DIR = "_images/coursekit-widgets"
PAGE_BUDGET_BYTES = 4_000_000

__all__ = ["setup"]
logger = logging.getLogger(__name__)


def _frame_store(app):
    return Path(app.doctreedir) / "coursekit-widgets"


def _on_builder_inited(app):
    # The pages' kernels inherit this process's environment: only the book build asks the widgets
    # for their static frames (in JupyterLab that would only cost time), and the frame cache lives
    # next to the build's other caches.
    os.environ[STATIC_ENV] = str(Path(app.doctreedir).resolve().parent / ".coursekit-widget-frames")
    path = str(STATIC)
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)
    if not hasattr(app.env, "coursekit_widget_frames"):
        app.env.coursekit_widget_frames = {}


def _payload_of(text):
    start = text.find(f'<script type="{PAYLOAD_MARKER}">')
    if start < 0:
        return None
    start = text.index(">", start) + 1
    end = text.index("</script>", start)
    return json.loads(text[start:end])


def _attr(value):
    return html.escape(str(value), quote=True)


def _control_html(uid, index, control):
    cid = f"{uid}-c{index}"
    label = f'<label for="{cid}">{html.escape(control["label"])}</label>'
    default, labels = control["default"], control["labels"]
    data = f'data-ck-index="{index}"'
    if control["kind"] == "range":
        return (
            f'<div class="ck-control ck-range">{label}'
            f'<input type="range" id="{cid}" {data} min="0" max="{len(labels) - 1}" step="1" '
            f'value="{default}" aria-valuetext="{_attr(labels[default])}">'
            f'<output for="{cid}" aria-hidden="true">{html.escape(labels[default])}</output></div>'
        )
    if control["kind"] == "select":
        options = "".join(
            f'<option value="{i}"{" selected" if i == default else ""}>{html.escape(text)}</option>'
            for i, text in enumerate(labels)
        )
        return f'<div class="ck-control ck-select">{label}<select id="{cid}" {data}>{options}</select></div>'
    if control["kind"] == "checkbox":
        checked = " checked" if default == 1 else ""
        return (f'<div class="ck-control ck-checkbox"><input type="checkbox" id="{cid}" {data}{checked}>'
                f"{label}</div>")
    raise ValueError(f"unknown control kind {control['kind']!r}")


def _widget_html(uid, payload, frame_urls, base):
    controls = payload["controls"]
    names = [c["name"] for c in controls]
    parts = [f'<figure class="ck-widget" id="{uid}" aria-labelledby="{uid}-title">',
             f'<figcaption class="ck-widget-title" id="{uid}-title">{html.escape(payload["title"])}</figcaption>',
             f'<div class="ck-widget-controls" role="group" aria-label="{_attr("Controls: " + payload["title"])}">']
    parts += [_control_html(uid, i, c) for i, c in enumerate(controls)]
    if payload["buttons"]:
        parts.append('<div class="ck-control ck-buttons">')
        for button in payload["buttons"]:
            target = f"{uid}-c{names.index(button['control'])}"
            parts.append(
                f'<button type="button" class="ck-step" aria-controls="{target}" '
                f'data-ck-index="{names.index(button["control"])}" data-ck-delta="{button["delta"]}" '
                f'data-ck-wrap="{"1" if button["wrap"] else "0"}">{html.escape(button["label"])}</button>'
            )
        parts.append("</div>")
    parts.append("</div>")
    defaults = [c["default"] for c in controls]
    first = _frame_index(defaults, controls)
    frame = payload["frames"][first]
    # The page opens on the 2x file (sharp on any screen); moves show the file for the screen. (No
    # srcset: Chromium keeps the density it picked from one, and reports half the natural width
    # of every later file.)
    parts.append(
        f'<img class="ck-widget-frame" src="{_attr(base + frame_urls[first][0])}" alt="{_attr(frame["alt"])}" '
        f'width="{payload["width"]}" height="{payload["height"]}" data-ck-frame="{first}">'
    )
    parts.append(f'<p class="ck-widget-status ck-sr-only" aria-live="polite" id="{uid}-status"></p>')
    data = {
        "base": base,
        "names": names,
        "shape": [len(c["labels"]) for c in controls],
        "labels": [c["labels"] for c in controls],
        "values": [c["values"] for c in controls],
        # [2x file, alt text, 1x file] per frame
        "frames": [[urls[0], f["alt"], urls[1]] for urls, f in zip(frame_urls, payload["frames"])],
    }
    text = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    parts.append(f'<script type="application/json" class="ck-widget-data">{text}</script>')
    parts.append("</figure>")
    return "".join(parts)


def _frame_index(positions, controls):
    index = 0
    for position, control in zip(positions, controls):
        index = index * len(control["labels"]) + position
    return index


def _check_payload(payload):
    controls = payload["controls"]
    expected = 1
    for control in controls:
        expected *= len(control["labels"])
    if len(payload["frames"]) != expected:
        raise ValueError(f"{payload['title']}: {len(payload['frames'])} frames for a grid of {expected}")
    for i, frame in enumerate(payload["frames"]):
        if _frame_index(frame["index"], controls) != i:
            raise ValueError(f"{payload['title']}: frame {i} is out of order ({frame['index']})")
        if "data_1x" not in frame:
            raise ValueError(f"{payload['title']}: frame {i} has no 1x version (a payload of an older coursekit)")


def _on_doctree_read(app, doctree):
    """Turn each widget's static payload into controls + image, writing its frames to the store."""
    docname = app.env.docname
    store = _frame_store(app)
    records = app.env.coursekit_widget_frames.setdefault(docname, {})
    records.clear()
    target = app.builder.get_target_uri(docname)
    base = posixpath.relpath(FRAME_DIR, posixpath.dirname(target) or ".") + "/"
    count = 0
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if PAYLOAD_MARKER not in text:
            continue
        payload = _payload_of(text)
        if payload is None:
            continue
        try:
            _check_payload(payload)
        except ValueError as exc:
            logger.warning(f"static widget: {exc}", location=node)
            continue
        store.mkdir(parents=True, exist_ok=True)
        urls = []
        for frame in payload["frames"]:
            pair = []
            for key, kind in (("data", "2x"), ("data_1x", "1x")):
                data = b64decode(frame[key])
                name = hashlib.sha256(data).hexdigest()[:24] + ".webp"
                path = store / name
                if not path.exists() or path.stat().st_size != len(data):
                    path.write_bytes(data)
                records[name] = (kind, len(data))
                pair.append(name)
            urls.append(pair)
        count += 1
        uid = f"ck-widget-{count}"
        node.replace_self(nodes.raw("", _widget_html(uid, payload, urls, base), format="html",
                                    classes=["output", "text_html", "ck-widget-output"]))
    # What a reader's browser fetches: one set, the 2x frames on a high-density screen (the heavier).
    total = sum(size for kind, size in records.values() if kind == "2x")
    if total > PAGE_BUDGET_BYTES:
        logger.warning(
            f"the interactive figures of {docname} weigh {total / 1e6:.2f} MB together (2x frames), over the "
            f"{PAGE_BUDGET_BYTES / 1e6:.0f} MB budget: declare coarser grids (coursekit/widgets/_static.py)",
            location=docname,
        )


def _on_purge_doc(app, env, docname):
    getattr(env, "coursekit_widget_frames", {}).pop(docname, None)


def _on_merge_info(app, env, docnames, other):
    env.coursekit_widget_frames = getattr(env, "coursekit_widget_frames", {})
    for docname in docnames:
        if docname in getattr(other, "coursekit_widget_frames", {}):
            env.coursekit_widget_frames[docname] = other.coursekit_widget_frames[docname]


def _on_build_finished(app, exception):
    """Copy every page's frames into the site; drop frames no page uses any more."""
    if exception is not None or app.builder.format != "html":
        return
    store, out = _frame_store(app), Path(app.outdir) / FRAME_DIR
    wanted = {}
    for records in getattr(app.env, "coursekit_widget_frames", {}).values():
        wanted.update({name: size for name, (_kind, size) in records.items()})
    if not wanted and not out.exists():
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, size in wanted.items():
        target = out / name
        if target.exists() and target.stat().st_size == size:
            continue
        source = store / name
        if not source.exists():
            raise FileNotFoundError(f"static widget frame {source} is missing: run `make book-clean` and rebuild")
        shutil.copyfile(source, target)
    for path in out.iterdir():
        if path.name not in wanted:
            path.unlink()


def _source_digest():
    """Hash of this extension and its static files: when they change, every page is written again."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(STATIC.glob("coursekit-widgets.*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def setup(app):
    app.add_config_value("coursekit_widgets_digest", _source_digest(), "env")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("doctree-read", _on_doctree_read)
    app.connect("env-purge-doc", _on_purge_doc)
    app.connect("env-merge-info", _on_merge_info)
    app.connect("build-finished", _on_build_finished)
    app.add_css_file("coursekit-widgets.css")
    app.add_js_file("coursekit-widgets.js", defer="defer")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
