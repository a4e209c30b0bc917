"""Hand-graded parts: scores and comments live in nbgrader's gradebook.

Instructors enter them either in nbgrader's formgrader (which writes ``manual_score`` and
``manual_comment`` in the same gradebook) or, for a course without a hub, with
``coursekit manual ID``: ``--template FILE`` writes a CSV (one row per student x hand-graded
part, with the student's answer), ``--import FILE`` reads it back, ``--set STUDENT PART SCORE``
enters one score. Every score is checked (a known student and part, 0 <= score <= points).
"""

import csv
import json
import os
import warnings

from nbgrader.api import Gradebook, MissingEntry

from .gradebook import _with_path, normalize_url

TEMPLATE_FIELDS = ["student", "part", "task", "max_score", "score", "comment", "answer"]


def _open(db_url, course_id):
    return Gradebook(_with_path(normalize_url(db_url)), course_id=course_id)


def read_manual(db_url, course_id, assignment, notebook, manual_parts):
    """{student: {part: {"score": float or None, "comment": str}}} from the gradebook."""
    out = {}
    if not manual_parts:
        return out
    try:
        gb = _open(db_url, course_id)
    except Exception:  # no gradebook yet: nothing entered
        return out
    with gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            return out
        for sub in a.submissions:
            for nb in sub.notebooks:
                if nb.name != notebook:
                    continue
                comments = {c.name: c.manual_comment for c in nb.comments}
                for g in nb.grades:
                    if g.name in manual_parts:
                        out.setdefault(sub.student.id, {})[g.name] = {
                            "score": g.manual_score, "comment": comments.get(g.name) or ""}
    return out


def _validate(entries, parts, students):
    by_id = {p["part"]: p for p in parts if p["kind"] == "manual"}
    by_task = {}
    for p in by_id.values():
        by_task.setdefault(p["task"].casefold(), []).append(p)
        if p["task_number"]:
            by_task.setdefault(f"task {p['task_number']}".casefold(), []).append(p)
    clean, errors = [], []
    for where, e in entries:
        student, part = (e.get("student") or "").strip(), (e.get("part") or "").strip()
        p = by_id.get(part)
        if p is None and len(by_task.get(part.casefold(), [])) == 1:
            p = by_task[part.casefold()][0]
        if student not in students:
            errors.append(f"{where}: no submission of student {student!r} in the gradebook")
            continue
        if p is None:
            errors.append(f"{where}: {part!r} is not a hand-graded part (those are: "
                          f"{', '.join(by_id) or 'none'})")
            continue
        raw = (e.get("score") if e.get("score") is not None else "")
        raw = str(raw).strip()
        if raw == "":
            continue  # not graded yet
        try:
            score = float(raw)
        except ValueError:
            errors.append(f"{where}: score {raw!r} is not a number")
            continue
        if not 0 <= score <= p["max_score"]:
            errors.append(f"{where}: score {score:g} outside 0..{p['max_score']:g} for "
                          f"{p['part']}")
            continue
        clean.append((student, p["part"], score, (e.get("comment") or "").strip()))
    if errors:
        raise ValueError("manual grades not entered (fix these first):\n  " + "\n  ".join(errors))
    return clean


def enter(db_url, course_id, assignment, notebook, parts, entries):
    """Write validated manual scores; ``entries`` are (where, dict(student, part, score,
    comment)) pairs. All or nothing: one bad entry and nothing is written. Returns the count."""
    with _open(db_url, course_id) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"{assignment} is not in the gradebook yet: run "
                             f"`coursekit autograde {assignment}` first") from None
        students = {s.student.id for s in a.submissions}
        clean = _validate(entries, parts, students)
        for student, part, score, comment in clean:
            grade = gb.find_grade(part, notebook, assignment, student)
            grade.manual_score = score
            grade.needs_manual_grade = False
            if comment:
                try:
                    c = gb.find_comment(part, notebook, assignment, student)
                    c.manual_comment = comment
                except MissingEntry:
                    pass
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gb.db.commit()
    return len(clean)


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"student", "part", "score"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: needs the columns student, part, score (and optionally "
                             f"comment); missing {', '.join(sorted(missing))}")
        return [(f"{os.path.basename(path)}, line {n}", row) for n, row in enumerate(reader, start=2)]


def answer_text(results_dir, student, part):
    """The student's answer in a hand-graded cell (from the executed notebook), for the template."""
    path = os.path.join(results_dir, f"{student}.ipynb")
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == part:
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else src
    return ""


def write_template(path, grades, results_dir):
    """A CSV to fill in: one row per student x hand-graded part, current score if any."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TEMPLATE_FIELDS)
        w.writeheader()
        n = 0
        for g in grades:
            for p in g.parts:
                if p["kind"] != "manual" or p["status"] == "missing_notebook":
                    continue
                w.writerow({"student": g.student, "part": p["part"], "task": p["task"],
                            "max_score": f"{p['max_score']:g}",
                            "score": "" if p["score"] is None else f"{p['score']:g}",
                            "comment": p["message"] if p["status"] == "manual" else "",
                            "answer": answer_text(results_dir, g.student, p["part"])[:2000]})
                n += 1
    return n
