"""An assignment's parts and a student's grade: autograded tests, hand-graded answers, lateness.

The *structure* comes from the instructor's notebook: every nbgrader grade cell is a *part*
(``auto``: a test cell; ``manual``: an answer graded by hand), attached to the task whose
Markdown heading (``## Task N: title``) precedes it, with a description taken from the test
cell's first comment line (hidden tests show their description, never their code).

A student's :class:`Grade` puts together the worker's result (autograded parts), the manual
scores (nbgrader's gradebook: formgrader or ``coursekit manual``) and the late policy; every
output (grades.csv, totals.csv, feedback, report, LMS export) is written from it, so they agree.
"""

import re

from . import notebook as nbk

TASK_RE = re.compile(r"^\s{0,3}#{1,6}\s*Task\s+(\d+[a-z]?)\b\s*(?:[:.\u2014\u2013-]\s*(.*?))?\s*$",
                     re.I | re.M)
POINTS_RE = re.compile(r"\s*\((?:[^()]*\bpoints?\b[^()]*)\)\s*", re.I)
COMMENT_RE = re.compile(r"^\s*#\s*(.+?)\s*$")


def _clean_title(text):
    return POINTS_RE.sub(" ", text or "").strip(" .:\u2014\u2013-")


def _description(cell):
    """The first comment line of a test cell, without its '(N points)' (shown to students)."""
    for line in nbk.strip_hidden(cell.source).splitlines():
        m = COMMENT_RE.match(line)
        if m and not m.group(1).startswith("(hidden tests)") and "###" not in m.group(1):
            return re.sub(r"\s+([.:,;])", r"\1", POINTS_RE.sub(" ", m.group(1))).strip()
        if line.strip() and not line.strip().startswith("#"):
            break
    return ""


def structure(source_nb):
    """The graded parts, in notebook order: dicts with ``part`` (grade id), ``kind``,
    ``max_score``, ``task`` ("Task 1: title", or the grade id when no heading precedes it),
    ``task_number``, ``description`` and ``function`` (the answer cell the test checks)."""
    parts = []
    current = (None, "")
    function = None  # the answer cell a test checks: the last one before it
    for cell in source_nb.cells:
        if nbk.is_solution(cell) and cell.cell_type == "code" and not nbk.is_grade(cell):
            function = nbk.grade_id(cell)
        if cell.cell_type == "markdown" and not nbk.is_grade(cell):
            m = TASK_RE.search(cell.source)
            if m:
                current = (m.group(1), _clean_title(m.group(2)))
            continue
        if not nbk.is_grade(cell):
            continue
        gid = nbk.grade_id(cell)
        kind = "auto" if nbk.is_test_cell(cell) else "manual"
        number, title = current
        task = f"Task {number}: {title}" if number is not None and title else \
            (f"Task {number}" if number is not None else gid)
        desc = _description(cell) if kind == "auto" else "graded by hand"
        parts.append({"part": gid, "kind": kind, "max_score": float(cell.metadata.nbgrader["points"]),
                      "task": task, "task_number": number, "description": desc,
                      "function": function if kind == "auto" and function else gid})
    return parts


class Grade:
    """One student's grade for one assignment (see the module docstring)."""

    def __init__(self, student, parts, result=None, manual=None, lateness=None, info=None):
        self.student = student
        self.info = info or {}
        self.lateness = lateness
        by_task = {t["task"]: t for t in (result or {}).get("tasks", [])}
        manual = manual or {}
        self.parts = []
        for p in parts:
            row = dict(p)
            if p["kind"] == "auto":
                t = by_task.get(p["part"])
                if t is None:
                    row.update(score=0.0, status="missing_notebook", message="not graded")
                elif t["status"] == "grader_error":
                    # The grader failed, not the student: no score is known (the gradebook
                    # keeps none either), and the part is regraded by the next run.
                    row.update(score=None, status="grader_error", message=t.get("message", ""))
                else:
                    row.update(score=float(t["score"]), status=t["status"],
                               message=t.get("message", ""))
            else:
                m = manual.get(p["part"])
                no_work = result is None or (result.get("tasks") and all(
                    t["status"] in ("missing_notebook", "invalid_notebook", "wrong_assignment")
                    for t in result["tasks"]))
                if m is not None and m.get("score") is not None:
                    row.update(score=float(m["score"]), status="manual",
                               message=m.get("comment") or "")
                elif no_work:
                    row.update(score=0.0, status="missing_notebook",
                               message="nothing to grade by hand: no notebook")
                else:
                    row.update(score=None, status="awaiting_manual_grade",
                               message="awaiting manual grade")
            self.parts.append(row)

    @property
    def max_score(self):
        return sum(p["max_score"] for p in self.parts)

    @property
    def autograded(self):
        return sum(p["score"] or 0.0 for p in self.parts if p["kind"] == "auto")

    @property
    def manual(self):
        return sum(p["score"] or 0.0 for p in self.parts if p["kind"] == "manual")

    @property
    def pending(self):
        return [p for p in self.parts if p["status"] == "awaiting_manual_grade"]

    @property
    def pending_points(self):
        return sum(p["max_score"] for p in self.pending)

    @property
    def unknown(self):
        """Parts the grader failed on (``grader_error``): no score yet."""
        return [p for p in self.parts if p["status"] == "grader_error"]

    @property
    def unknown_points(self):
        return sum(p["max_score"] for p in self.unknown)

    @property
    def earned(self):
        return self.autograded + self.manual

    @property
    def penalty(self):
        if self.lateness is None:
            return 0.0
        return self.lateness.penalty_points(self.earned, self.max_score)

    @property
    def total(self):
        return max(0.0, self.earned - self.penalty)

    @property
    def complete(self):
        return not self.pending and not self.unknown

    def grader_error(self):
        return any(p["status"] == "grader_error" for p in self.parts)

    def summary(self):
        """'11 / 17 (4 awaiting manual grade; 10% late penalty)'."""
        s = f"{self.total:g} / {self.max_score:g}"
        notes = []
        if self.pending:
            notes.append(f"{self.pending_points:g} points awaiting manual grade")
        if self.unknown:
            notes.append(f"{self.unknown_points:g} points not graded: grader error")
        if self.penalty:
            notes.append(f"late: -{self.penalty:g}")
        elif self.lateness is not None and self.lateness.status == "cutoff":
            notes.append("past the cut-off")
        return s + (f" ({'; '.join(notes)})" if notes else "")

    def tasks(self):
        """Parts grouped by task, in order: [(task, [parts], score, max, pending)]; ``pending``
        is "manual" (a part awaits a manual grade), "error" (a part the grader failed on) or
        False."""
        out = []
        for p in self.parts:
            if not out or out[-1][0] != p["task"]:
                out.append([p["task"], [], 0.0, 0.0, False])
            entry = out[-1]
            entry[1].append(p)
            entry[2] += p["score"] or 0.0
            entry[3] += p["max_score"]
            if p["status"] == "grader_error":
                entry[4] = "error"
            elif p["status"] == "awaiting_manual_grade" and not entry[4]:
                entry[4] = "manual"
        return [tuple(e) for e in out]


def verdict(part):
    """How a part is labelled for a student: passed / partial / failed / awaiting / ..."""
    if part["status"] == "awaiting_manual_grade":
        return "awaiting manual grade"
    if part["status"] == "grader_error":
        return "not graded yet: grader error"
    if part["score"] is None:
        return part["status"]
    if part["score"] >= part["max_score"] > 0:
        return "passed" if part["kind"] == "auto" else "graded"
    if part["score"] > 0:
        return "partial credit"
    if part["kind"] == "manual":
        return "no credit"
    return "not passed"


def task_verdict(score, max_score, pending):
    if pending == "error":
        return "not graded yet: grader error"
    if pending:
        return "awaiting manual grade" if score == 0 else "partial so far"
    if score >= max_score > 0:
        return "full marks"
    if score > 0:
        return "partial credit"
    return "no credit"
