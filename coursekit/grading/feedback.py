"""Feedback a student can read: their notebook rendered as a notebook, with the grade.

One self-contained HTML page per student (no script, no request off the page):

* a header with the total out of the assignment's full points, what is still awaiting a manual
  grade, and the late policy's verdict;
* a table of the tasks, named as in the assignment ("Task 1: ..."), with points and a verdict
  (full marks / partial credit / no credit / awaiting manual grade), and under each task its
  tests: the description of every test (hidden ones included), its score and its message —
  never the code of a hidden test;
* the notebook: Markdown rendered (math pre-rendered to MathML on the grading machine, so it is
  typeset offline in any current browser), code highlighted (Pygments), outputs (text and PNG
  only), each test cell shown with its visible code and its verdict.

Everything that comes from the submission is escaped; MathML produced from a student's LaTeX is
passed through a whitelist of MathML elements and attributes.
"""

import functools
import html
import json
import os
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from . import notebook as nbk
from .grades import task_verdict, verdict

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
B64_RE = re.compile(r"^[A-Za-z0-9+/=\s]*$")

MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose", "merror", "semantics", "annotation",
    "mmultiscripts", "mprescripts", "none", "mfenced", "mlabeledtr",
}
MATHML_ATTRS = {
    "xmlns", "display", "mathvariant", "stretchy", "fence", "form", "accent", "accentunder",
    "width", "height", "depth", "linebreak", "minsize", "maxsize", "displaystyle", "scriptlevel",
    "columnalign", "rowalign", "rowspacing", "columnspacing", "columnlines", "rowlines", "frame",
    "lspace", "rspace", "movablelimits", "separator", "largeop", "symmetric", "notation",
    "linethickness", "open", "close", "separators", "encoding", "columnspan", "rowspan",
}
SAFE_ATTR_VALUE = re.compile(r"^[\w\s.%#:/+-]*$")


class _MathMLSanitizer(HTMLParser):
    """Re-emit MathML keeping only whitelisted elements/attributes; everything else as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, close=False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, close=True)

    def _tag(self, tag, attrs, close):
        if tag not in MATHML_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or ""))
            return
        kept = "".join(f' {k}="{html.escape(v)}"' for k, v in attrs
                       if k in MATHML_ATTRS and v is not None and SAFE_ATTR_VALUE.match(v)
                       and (k != "xmlns" or v == "http://www.w3.org/1998/Math/MathML"))
        self.out.append(f"<{tag}{kept}{' /' if close else ''}>")

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>" if tag in MATHML_TAGS else html.escape(f"</{tag}>"))

    def handle_data(self, data):
        self.out.append(html.escape(data))


def sanitize_mathml(markup):
    s = _MathMLSanitizer()
    s.feed(markup)
    s.close()
    return "".join(s.out)


ENV_ALIASES = {"aligned": "split", "align*": "align", "equation*": None, "equation": None,
               "gathered": "split", "alignedat": "split"}


def _prepare_tex(tex):
    tex = tex.strip()
    for env, repl in ENV_ALIASES.items():
        e = re.escape(env)
        if repl is None:
            tex = re.sub(r"\\begin\{" + e + r"\}|\\end\{" + e + r"\}", "", tex)
        else:
            tex = re.sub(r"\\(begin|end)\{" + e + r"\}(\{\d+\})?", r"\\\1{" + repl + "}", tex)
    return tex


def tex_to_mathml(tex, display):
    """MathML for a LaTeX formula (sanitized), or None when it cannot be converted."""
    import latex2mathml.converter

    try:
        markup = latex2mathml.converter.convert(_prepare_tex(tex),
                                                display="block" if display else "inline")
    except Exception:
        return None
    return sanitize_mathml(markup)


def _math_renderer(content, options):
    display = bool(options.get("display_mode"))
    mathml = tex_to_mathml(content, display)
    if mathml is None:
        # Could not be typeset: say so, and show the source as code (not as page text).
        return (f'<code class="tex-error" title="this formula could not be typeset">'
                f'{html.escape(content)}</code>')
    return mathml


# Math is taken out of the Markdown before it is parsed and put back afterwards, as Jupyter
# does (notebook's mathjaxutils remove_math/replace_math): a formula that spans lines, or whose
# next line starts with "- ", stays one formula. Code spans and fences are left alone.
CODE_RE = re.compile(r"(^```.*?^```[^\n]*$|^~~~.*?^~~~[^\n]*$|`+[^`]*?`+)", re.S | re.M)
MATH_RE = re.compile(
    r"(?P<dd>\$\$(?P<dd_body>.+?)\$\$)"
    r"|(?P<env>\\begin\{(?P<env_name>[a-zA-Z*]+)\}.+?\\end\{(?P=env_name)\})"
    r"|(?P<br>\\\[(?P<br_body>.+?)\\\])"
    r"|(?P<pa>\\\((?P<pa_body>.+?)\\\))"
    r"|(?P<d>(?<![\\$])\$(?P<d_body>(?:[^$\n\\]|\\.|\n(?!\s*\n))+?)\$)", re.S)
PLACEHOLDER = "CKMATHPLACEHOLDER{}X"
PLACEHOLDER_RE = re.compile(r"CKMATHPLACEHOLDER(\d+)X")


def _protect_math(text):
    found = []

    def sub_math(m):
        if m.group("dd"):
            tex, display = m.group("dd_body"), True
        elif m.group("env"):
            tex, display = m.group("env"), True
        elif m.group("br"):
            tex, display = m.group("br_body"), True
        elif m.group("pa"):
            tex, display = m.group("pa_body"), False
        else:
            tex, display = m.group("d_body"), False
        found.append((tex, display))
        return PLACEHOLDER.format(len(found) - 1)

    pieces = CODE_RE.split(text)
    out = []
    for k, piece in enumerate(pieces):
        out.append(piece if k % 2 else MATH_RE.sub(sub_math, piece))
    return "".join(out), found


def markdown_renderer():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table") \
        .enable("strikethrough")

    def link_open(tokens, idx, options, env):
        # Links stay text-only targets inside the page: no navigation off the feedback.
        href = tokens[idx].attrGet("href") or ""
        if not href.startswith("#"):
            tokens[idx].attrs.pop("href", None)
            tokens[idx].attrSet("class", "link")
            tokens[idx].attrSet("title", href)
        return md.renderer.renderToken(tokens, idx, options, env)

    def image(tokens, idx, options, env):
        alt = html.escape(tokens[idx].content or "image")
        return f'<span class="img-omitted">[image: {alt}]</span>'

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    return md


_MD = None


@functools.lru_cache(maxsize=4096)
def render_markdown(text):
    """HTML for a Markdown cell (cached: the assignment's own cells are the same on every page)."""
    global _MD
    if _MD is None:
        _MD = markdown_renderer()
    protected, formulas = _protect_math(text)
    rendered = _MD.render(protected)

    def put_back(m):
        n = int(m.group(1))
        if n >= len(formulas):
            return m.group(0)
        tex, display = formulas[n]
        return _math_renderer(tex, {"display_mode": display})

    return PLACEHOLDER_RE.sub(put_back, rendered)


_FORMATTER = HtmlFormatter(nowrap=True, style="default")


@functools.lru_cache(maxsize=4096)
def render_code(source):
    """Highlighted HTML for a code cell (cached: locked and test cells repeat on every page)."""
    return f'<pre class="code highlight">{highlight(source, PythonLexer(), _FORMATTER)}</pre>'


CSS = """
:root{--ok:#1b5e20;--bad:#b00020;--part:#8a5300;--wait:#0d47a1;--line:#d0d7de}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:62em;margin:2em auto;
padding:0 1em;line-height:1.5;color:#1f2328}
h1{font-size:1.6em;margin-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid var(--line);
padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f6f8fa}
.score{font-size:1.25em;font-weight:600}.pending,.wait{color:var(--wait)}
.full,.passed,.graded{color:var(--ok)}.partial{color:var(--part)}.none,.failed{color:var(--bad)}
tr.task td{background:#f6f8fa;font-weight:600}td.part{padding-left:1.6em}
.cell{margin:1em 0}.md{margin:1em 0}.md table{margin:.5em 0}
pre{white-space:pre-wrap;padding:.5em .7em;margin:.3em 0;border-radius:4px;overflow-x:auto;
font-size:.92em}
pre.code{background:#f6f8fa;border-left:3px solid #3465a4}pre.out{background:#fff;
border:1px solid #eee}pre.err{background:#fdecea;border-left:3px solid #c00}
.verdict{border:1px solid var(--line);border-radius:4px;padding:.4em .7em;margin:.3em 0 1em}
.verdict.passed{border-color:#a5d6a7;background:#f1f8e9}.verdict.failed{border-color:#ef9a9a;
background:#fff5f5}.verdict.partial{border-color:#ffcc80;background:#fff8e1}
.verdict.wait{border-color:#90caf9;background:#f3f8ff}
.hidden-note{color:#57606a;font-style:italic}.tex-error{color:var(--bad)}
math[display=block]{margin:.6em 0}.late{border-left:3px solid var(--part);padding-left:.6em}
img{max-width:100%}.link{text-decoration:underline dotted}.msg{white-space:pre-line}
""" + _FORMATTER.get_style_defs(".highlight")


def _verdict_class(v):
    return {"passed": "passed", "graded": "graded", "full marks": "full",
            "partial credit": "partial", "partial so far": "partial",
            "awaiting manual grade": "wait", "no credit": "none",
            "not graded yet: grader error": "wait",
            "not passed": "failed"}.get(v, "failed")


def _outputs_html(cell):
    esc = html.escape
    parts = []
    for o in cell.get("outputs", []):
        kind = o.get("output_type")
        if kind == "stream":
            parts.append(f'<pre class="out">{esc(o.get("text", ""))}</pre>')
        elif kind == "error":
            tb = ANSI_RE.sub("", "\n".join(o.get("traceback", [])))
            parts.append(f'<pre class="err">{esc(tb or (o.get("ename", "") + ": " + o.get("evalue", "")))}</pre>')
        else:
            data = o.get("data", {})
            png = data.get("image/png")
            if isinstance(png, str) and B64_RE.match(png):
                parts.append(f'<img alt="figure produced by this cell" '
                             f'src="data:image/png;base64,{png.strip()}">')
            elif "text/plain" in data:
                parts.append(f'<pre class="out">{esc(str(data["text/plain"]))}</pre>')
    return "\n".join(parts)


def _part_line(p):
    v = verdict(p)
    score = "&ndash;" if p["score"] is None else f"{p['score']:g}"
    msg = html.escape(p["message"]) if p["message"] and p["status"] not in (
        "ok", "awaiting_manual_grade") else ""
    if p["status"] not in ("ok", "failed", "manual", "awaiting_manual_grade") and p["status"]:
        msg = f"[{html.escape(p['status'])}] {msg}"
    return (f'<tr><td class="part">{html.escape(p["description"] or p["part"])}</td>'
            f'<td>{score} / {p["max_score"]:g}</td>'
            f'<td class="{_verdict_class(v)}">{html.escape(v)}</td><td class="msg">{msg}</td></tr>')


def render(grade, assignment, executed_nb=None, notes=(), title=None):
    """The feedback page (a string) for one student's :class:`~coursekit.grading.grades.Grade`."""
    esc = html.escape
    by_part = {p["part"]: p for p in grade.parts}
    head = [f"<h1>{esc(title or assignment)}: feedback</h1>",
            f"<p>Student: <strong>{esc(grade.student)}</strong></p>"]
    total = (f'<p class="score">Score: {grade.total:g} / {grade.max_score:g}</p>' if not grade.unknown
             else f'<p class="score">Score so far: {grade.total:g} / {grade.max_score:g} '
                  f'(not final)</p>')
    head.append(total)
    if grade.pending:
        head.append(f'<p class="pending">{grade.pending_points:g} of the {grade.max_score:g} '
                    f'points are awaiting a manual grade: '
                    + ", ".join(esc(p["task"]) for p in grade.pending)
                    + ". This score is not final.</p>")
    if grade.unknown:
        head.append(f'<p class="pending">{grade.unknown_points:g} of the {grade.max_score:g} '
                    f'points could not be graded (the grader failed, not your work; they will '
                    f'be graded again): '
                    + ", ".join(dict.fromkeys(esc(p["task"]) for p in grade.unknown))
                    + ". This score is not final.</p>")
    late = grade.lateness
    if late is not None and late.status not in ("no_due_date", "no_submission"):
        line = esc(late.message)
        if late.due is not None:
            line = f"Due {esc(late.due.strftime('%Y-%m-%d %H:%M %Z'))}"
            if late.submitted is not None:
                line += f", submitted {esc(late.submitted.astimezone(late.due.tzinfo).strftime('%Y-%m-%d %H:%M %Z'))}"
            line += f": {esc(late.message)}"
        if grade.penalty:
            line += f" (&minus;{grade.penalty:g} points)"
        head.append(f'<p class="late">{line}</p>')
    for n in notes:
        head.append(f"<p>{esc(n)}</p>")

    rows = ["<table><tr><th>task / test</th><th>points</th><th>verdict</th><th>message</th></tr>"]
    for task, parts, score, mx, pending in grade.tasks():
        v = task_verdict(score, mx, pending)
        shown = "&ndash;" if pending and not score else f"{score:g}"
        rows.append(f'<tr class="task"><td>{esc(task)}</td><td>{shown} / {mx:g}</td>'
                    f'<td class="{_verdict_class(v)}">{esc(v)}</td><td></td></tr>')
        rows.extend(_part_line(p) for p in parts)
    if grade.penalty:
        rows.append(f'<tr class="task"><td>Late penalty</td><td>&minus;{grade.penalty:g}</td>'
                    f'<td class="partial">late</td><td>{esc(late.message)}</td></tr>')
    rows.append("</table>")

    body = []
    for cell in (executed_nb.get("cells", []) if executed_nb else []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        part = by_part.get(gid)
        if cell.get("cell_type") == "markdown":
            body.append(f'<div class="cell md">{render_markdown(src)}</div>')
            if part is not None and part["kind"] == "manual":
                body.append(_verdict_box(part))
            continue
        if cell.get("cell_type") != "code":
            continue
        if part is not None and part["kind"] == "auto":
            visible = nbk.strip_hidden(src)  # (already stripped by the worker)
            hidden = "# (hidden tests)" in visible
            visible = visible.replace("# (hidden tests)\n", "").replace("# (hidden tests)", "")
            visible = visible.rstrip()
            html_parts = [render_code(visible)] if visible.strip() else []
            if hidden:
                html_parts.append('<p class="hidden-note">(the code of this hidden test is not '
                                  'shown)</p>')
            body.append('<div class="cell test">' + "".join(html_parts) + _verdict_box(part)
                        + "</div>")
            continue
        body.append(f'<div class="cell">{render_code(src)}{_outputs_html(cell)}</div>')
        if part is not None and part["kind"] == "manual":
            body.append(_verdict_box(part))
    if executed_nb is None:
        body.append("<p>No notebook could be graded for this student (see the messages above).</p>")

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title or assignment)}: feedback for {esc(grade.student)}</title>"
            f"<style>{CSS}</style></head><body>\n<main>\n" + "\n".join(head) + "\n"
            + "\n".join(rows) + "\n<h2>Your notebook</h2>\n" + "\n".join(body)
            + "\n</main>\n</body></html>\n")


def _verdict_box(part):
    v = verdict(part)
    cls = {"passed": "passed", "graded": "passed", "full marks": "passed",
           "partial credit": "partial", "awaiting manual grade": "wait"}.get(v, "failed")
    score = "&ndash;" if part["score"] is None else f"{part['score']:g}"
    msg = (f' &mdash; <span class="msg">{html.escape(part["message"])}</span>'
           if part["message"] and part["status"] not in ("ok", "awaiting_manual_grade") else "")
    desc = (part["description"] or part["part"]).rstrip(".")
    return (f'<div class="verdict {cls}"><strong>{html.escape(part["task"])}</strong>, '
            f'{html.escape(desc)}: {score} / '
            f'{part["max_score"]:g} &mdash; {html.escape(v)}{msg}</div>')


def write(path, page):
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, path)


def load_executed(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None
