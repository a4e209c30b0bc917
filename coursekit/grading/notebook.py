"""Read a submission without trusting it, and rebuild the notebook that is actually graded.

The gradable notebook is built from the *instructor's source notebook*: every locked cell and
every test cell (hidden tests included) comes from the source; only the answer cells (nbgrader
``solution`` cells that are not graded by hand) and cells the student added come from the
submission. So deleting, editing, re-typing or duplicating test cells, adding nbgrader metadata
or tags (``skip-execution``, ``raises-exception``) to cells, or changing cell ids cannot change
what is graded. This is nbgrader's OverwriteCells with ``add_missing_cells``, done the other way
round (start from the trusted notebook), with the student's file parsed as untrusted JSON.
"""

import copy
import json
import os
import re

import nbformat

MAX_SUBMISSION_BYTES = 20 * 1024 * 1024
HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                       re.S | re.M)


def _nbgrader_meta(cell):
    md = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = md.get("nbgrader") if isinstance(md, dict) else None
    return nbg if isinstance(nbg, dict) else {}


# The same rules as nbgrader.utils (not imported: importing nbgrader costs seconds per worker).
def is_grade(cell):
    return bool(_nbgrader_meta(cell).get("grade", False))


def is_solution(cell):
    return bool(_nbgrader_meta(cell).get("solution", False))


def is_locked(cell):
    nbg = _nbgrader_meta(cell)
    if not nbg or nbg.get("solution", False):
        return False
    return bool(nbg.get("grade", False) or nbg.get("locked", False))


class SubmissionError(Exception):
    """The submission cannot be graded at all; ``status`` goes to every task of the student."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def read_source(path):
    """The instructor's notebook (trusted), as nbformat v4."""
    return nbformat.read(path, as_version=4)


def grade_id(cell):
    md = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = md.get("nbgrader") if isinstance(md, dict) else None
    gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
    return gid if isinstance(gid, str) and gid else None


def tasks(source_nb):
    """The autograded tasks: code grade cells that are not answers, with their points."""
    out = []
    for cell in source_nb.cells:
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            out.append({"task": grade_id(cell), "max_score": float(cell.metadata.nbgrader["points"])})
    return out


def answer_ids(source_nb):
    """Cells whose content is the student's: every nbgrader solution cell (graded by hand or not)."""
    return [grade_id(c) for c in source_nb.cells if is_solution(c)]


def read_submission(path):
    """Parse a submitted file as untrusted JSON; raise SubmissionError on anything unusable."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise SubmissionError("missing_notebook", f"cannot read the submission: {exc.strerror}")
    if not os.path.isfile(path) or os.path.islink(path):
        # A symlink could point at the solutions: never follow one.
        raise SubmissionError("invalid_notebook", "the submission is not a regular file")
    if st.st_size == 0:
        raise SubmissionError("invalid_notebook", "the submitted file is empty")
    if st.st_size > MAX_SUBMISSION_BYTES:
        raise SubmissionError("invalid_notebook",
                              f"the submitted file is larger than {MAX_SUBMISSION_BYTES >> 20} MB")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_SUBMISSION_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError("invalid_notebook",
                              f"the file is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SubmissionError("invalid_notebook", "the submitted file is empty")
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SubmissionError("invalid_notebook", f"the file is not valid JSON ({exc})"[:300]) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):
            raise SubmissionError("invalid_notebook", "nbformat 3 notebooks are not supported: "
                                  "save it again with Jupyter 4 or later")
        raise SubmissionError("invalid_notebook", "the file is JSON but not a Jupyter notebook")
    return nb


def _source_text(cell):
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def build_gradable(source_nb, student_nb, assignment):
    """Merge the trusted source notebook with a student's answers.

    Returns ``(notebook, info)``; ``info["missing"]`` lists the answer cells the student deleted,
    ``info["notes"]`` what was repaired. Raises SubmissionError("wrong_assignment") when the
    submission answers none of this assignment's cells.
    """
    answers = set(answer_ids(source_nb))
    known = {grade_id(c) for c in source_nb.cells if grade_id(c)}
    notes = []
    found = {}
    extras = {None: []}  # anchor grade id -> student cells that follow it
    anchor = None
    seen_ids = set()
    for raw in student_nb["cells"]:
        if not isinstance(raw, dict):
            notes.append("ignored a cell that is not a JSON object")
            continue
        cid = raw.get("id")
        if isinstance(cid, str):
            if cid in seen_ids:
                notes.append(f"duplicated cell id {cid!r}")
            seen_ids.add(cid)
        gid = grade_id(raw)
        if gid in known:
            if gid in answers and gid not in found:
                found[gid] = _source_text(raw)
            elif gid in found or gid not in answers:
                # A copy of an answer cell, or a locked/test cell: the source version is used.
                if gid in found:
                    notes.append(f"duplicated cell {gid!r} ignored")
            anchor = gid
            extras.setdefault(anchor, [])
            continue
        ctype = raw.get("cell_type")
        if ctype not in ("code", "markdown"):
            continue
        # A student's own cell: kept (nbgrader keeps them), stripped of any metadata, tags or ids.
        extras.setdefault(anchor, []).append((ctype, _source_text(raw)))
    if answers and not found:
        other = sorted({g for g in (grade_id(c) for c in student_nb["cells"] if isinstance(c, dict)) if g})
        hint = f" (its cells are {', '.join(other[:4])}...)" if other else ""
        raise SubmissionError("wrong_assignment",
                              f"this notebook does not contain the answer cells of {assignment}{hint}")

    # Built from plain nodes of nbformat 4.5's shape (string sources, code or markdown cells,
    # fresh ids), not through nbformat.v4.new_* whose JSON-schema validation of every cell cost
    # more than the rest of the merge.
    cells = [_new_cell(ctype, src) for ctype, src in extras[None]]
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if gid is None:
            # Unmarked cells are the student's to edit: their copy (an extra cell) is used.
            continue
        if cell.cell_type in ("code", "markdown"):
            new = _new_cell(cell.cell_type, cell.source)
            if cell.get("attachments"):
                new.attachments = copy.deepcopy(cell.attachments)
        else:
            new = copy.deepcopy(cell)
        new.metadata = nbformat.NotebookNode(nbgrader=copy.deepcopy(cell.metadata["nbgrader"]))
        if gid in answers:
            # Re-typed answer cells (code -> markdown) are executed as the source's type.
            new.source = found.get(gid, "")
        cells.append(new)
        cells.extend(_new_cell(ctype, src) for ctype, src in extras.get(gid, []))
    for n, cell in enumerate(cells):
        cell["id"] = f"cell-{n}"  # fresh ids: duplicated or odd student ids never reach nbformat
    spec = nbformat.NotebookNode(name="python3", display_name="Python 3", language="python")
    nb = nbformat.NotebookNode(nbformat=4, nbformat_minor=5, cells=cells,
                               metadata=nbformat.NotebookNode(kernelspec=spec))
    missing = [g for g in answer_ids(source_nb) if g not in found]
    return nb, {"missing": missing, "notes": notes}


def _new_cell(ctype, src):
    if ctype == "code":
        return nbformat.NotebookNode(cell_type="code", metadata=nbformat.NotebookNode(),
                                     execution_count=None, source=src, outputs=[])
    return nbformat.NotebookNode(cell_type="markdown", metadata=nbformat.NotebookNode(),
                                 source=src)


def strip_hidden(source):
    """A test cell's source without its hidden-tests block (what students may see)."""
    return HIDDEN_RE.sub("# (hidden tests)\n", source)


def is_test_cell(cell):
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_answer_cell(cell):
    return is_solution(cell) and not is_grade(cell)


__all__ = ["SubmissionError", "read_source", "read_submission", "build_gradable", "tasks",
           "answer_ids", "grade_id", "strip_hidden", "is_test_cell", "is_answer_cell",
           "is_locked"]
