"""Everything a run writes from the stored results: grades.csv, totals.csv, feedback pages, the
LMS gradebook export, and the late penalties/timestamps in nbgrader's gradebook.

Written by ``coursekit autograde`` after grading and again by ``coursekit manual`` after manual
scores are entered, from the same inputs: ``results/STUDENT.json`` (+ ``.ipynb``, the executed
notebook), ``submissions.csv`` (who submitted what, when), the course settings
(``coursekit.toml``: due dates, extensions, late policy) and the gradebook's manual scores.
"""

import csv
import datetime as dt
import json
import os
import warnings

from . import feedback
from . import late as latemod
from .grades import Grade, structure
from .manual import read_manual

GRADES_FIELDS = ["student", "assignment", "task", "part", "kind", "score", "max_score", "status",
                 "message"]
TOTALS_FIELDS = ["student", "name", "lms_id", "submitted_at", "due", "late", "days_late",
                 "autograded", "manual", "pending_points", "penalty", "total", "max_score",
                 "complete", "grader_error"]


def read_manifest(out):
    path = os.path.join(out, "submissions.csv")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return {r["student"]: r for r in csv.DictReader(fh)}
    except OSError:
        return None


def load_results(out, students):
    results = {}
    for s in students:
        try:
            with open(os.path.join(out, "results", f"{s}.json")) as fh:
                results[s] = json.load(fh)
        except (OSError, ValueError):
            results[s] = None
    return results


def build_grades(source_nb, settings, out, db_url, course_id, assignment, results=None,
                 manifest=None):
    """[Grade] for every student of the run (the manifest), in student order."""
    parts = structure(source_nb)
    manifest = manifest if manifest is not None else (read_manifest(out) or {})
    students = sorted(manifest) if manifest else sorted(
        f[:-5] for f in os.listdir(os.path.join(out, "results")) if f.endswith(".json"))
    results = results if results is not None else load_results(out, students)
    manual_parts = {p["part"] for p in parts if p["kind"] == "manual"}
    manual = read_manual(db_url, course_id, assignment, assignment, manual_parts)
    grades = []
    for s in students:
        info = manifest.get(s, {})
        submitted = info.get("submitted_at") or None
        submitted = dt.datetime.fromisoformat(submitted) if submitted else None
        lateness = None
        if settings is not None:
            due = settings.due_for(s)
            if results.get(s) is not None and not _no_work(results[s]):
                lateness = latemod.assess(settings.late, due, submitted,
                                          extended=s in settings.extensions)
                if lateness.status == "unknown" and info.get("lms_late") == "yes":
                    lateness.message += " (the LMS marks it late)"
            elif due is not None:
                lateness = latemod.Lateness("no_submission", due=due,
                                            message="no submission: the late policy does not apply")
        grades.append(Grade(s, parts, results.get(s), manual.get(s), lateness, info))
    return grades


def _no_work(result):
    return bool(result.get("tasks")) and all(
        t["status"] in ("missing_notebook", "invalid_notebook", "wrong_assignment")
        for t in result["tasks"])


def _fmt(x):
    return "" if x is None else f"{x:g}"


def write_grades_csv(grades, assignment, path):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=GRADES_FIELDS)
        w.writeheader()
        for g in grades:
            for p in g.parts:
                w.writerow({"student": g.student, "assignment": assignment, "task": p["task"],
                            "part": p["part"], "kind": p["kind"], "score": _fmt(p["score"]),
                            "max_score": _fmt(p["max_score"]), "status": p["status"],
                            "message": p["message"]})
            if g.penalty or (g.lateness is not None and g.lateness.status == "cutoff"):
                w.writerow({"student": g.student, "assignment": assignment,
                            "task": "Late penalty", "part": "late_penalty", "kind": "late",
                            "score": _fmt(-g.penalty), "max_score": "0",
                            "status": g.lateness.status, "message": g.lateness.message})


def write_totals_csv(grades, path):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TOTALS_FIELDS)
        w.writeheader()
        for g in grades:
            late = g.lateness
            w.writerow({
                "student": g.student, "name": g.info.get("name", ""),
                "lms_id": g.info.get("lms_id", ""), "submitted_at": g.info.get("submitted_at", ""),
                "due": late.due.isoformat() if late is not None and late.due else "",
                "late": late.status if late is not None else "",
                "days_late": late.days if late is not None and late.is_late else "",
                # A part the grader failed on has no score: the sums it enters are unknown.
                "autograded": "" if g.unknown else _fmt(g.autograded), "manual": _fmt(g.manual),
                "pending_points": _fmt(g.pending_points), "penalty": _fmt(g.penalty),
                "total": "" if g.unknown else _fmt(g.total), "max_score": _fmt(g.max_score),
                "complete": "yes" if g.complete else "no",
                "grader_error": "yes" if g.grader_error() else ""})


def write_canvas_csv(grades, column, path, include_pending=False):
    """Canvas's gradebook import format: Student, ID, SIS User ID, SIS Login ID, Section, then one
    column per assignment named ``Title (Canvas assignment id)``; a ``Points Possible`` row. A
    blank cell leaves Canvas's grade unchanged: students with parts awaiting a manual grade are
    left blank unless ``include_pending``. Returns the students left blank."""
    blank = []
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
        max_score = grades[0].max_score if grades else 0
        w.writerow(["Points Possible", "", "", "", "", _fmt(max_score)])
        for g in grades:
            value = _fmt(g.total)
            if (g.pending and not include_pending) or g.grader_error():
                value = ""
                blank.append(g.student)
            w.writerow([g.info.get("name") or g.student, g.info.get("lms_id", ""),
                        g.info.get("sid", ""), g.info.get("login", ""),
                        g.info.get("section", ""), value])
    return blank


def update_gradebook(writer, grades, settings):
    """nbgrader's own export then agrees: due date, submission times, late penalties."""
    if writer is None:
        return
    writer.set_late(grades, settings.due if settings is not None else None)


def write_feedback(grades, assignment, out, title=None):
    fdir = os.path.join(out, "feedback")
    os.makedirs(fdir, exist_ok=True)
    for g in grades:
        nb = feedback.load_executed(os.path.join(out, "results", f"{g.student}.ipynb"))
        notes = []
        res_notes = g.info.get("_notes") or []
        notes.extend(res_notes)
        page = feedback.render(g, assignment, nb, notes=notes, title=title)
        feedback.write(os.path.join(fdir, f"{g.student}.html"), page)


def write_all(grades, assignment, out, settings, include_pending=False):
    """grades.csv, totals.csv, canvas.csv, feedback/. Returns a dict of what needs attention."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_grades_csv(grades, assignment, os.path.join(out, "grades.csv"))
        write_totals_csv(grades, os.path.join(out, "totals.csv"))
        column = settings.lms_column if settings is not None else assignment
        blank = write_canvas_csv(grades, column, os.path.join(out, "canvas.csv"), include_pending)
        write_feedback(grades, assignment, out)
    return {"canvas_blank": blank}


def write_formgrader_notebooks(course_root, assignment, out, students):
    """nbgrader's formgrader shows (and lists for manual grading) only the submissions whose
    executed notebook is at ``autograded/STUDENT/ID/ID.ipynb`` in the course root: put ours
    there (hidden tests removed). Only for a run that writes into the course (no ``--out``)."""
    import shutil

    n = 0
    for s in students:
        src = os.path.join(out, "results", f"{s}.ipynb")
        if not os.path.isfile(src):
            continue
        dest_dir = os.path.join(course_root, "autograded", s, assignment)
        os.makedirs(dest_dir, exist_ok=True)
        shutil.copyfile(src, os.path.join(dest_dir, f"{assignment}.ipynb"))
        n += 1
    return n
