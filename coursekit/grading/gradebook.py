"""The nbgrader gradebook (SQLite by default, any SQLAlchemy URL such as PostgreSQL).

Only the parent process of ``coursekit autograde`` writes to it, one submission at a time, so
parallel workers can never corrupt a SQLite file. Assignments, notebooks and grade cells are
declared from the source notebook as ``nbgrader generate_assignment`` would, so nbgrader's own
tools (formgrader, ``nbgrader export``) read the result.
"""

import os
import warnings

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution

from .notebook import grade_id


def default_url(course_root):
    return "sqlite:///" + os.path.join(os.path.abspath(course_root), "gradebook.db")


def sqlite_path(url):
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None


def normalize_url(url):
    """``postgresql://`` with the driver that is installed.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3; this project pins psycopg2-binary.
    """
    import importlib.util

    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix) and importlib.util.find_spec("psycopg") is None \
                and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _with_path(url):
    """nbgrader runs alembic migrations by name: the venv's bin/ must be on PATH."""
    import sys

    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return url


def _stamp_new_database(url):
    """Give a new gradebook nbgrader's schema version, looked up in this process.

    nbgrader's ``Gradebook`` asks the ``alembic`` command for it in a subprocess when the database
    has no table yet (a new interpreter: seconds of CPU). Here the same revision is read from
    nbgrader's migration scripts, and ``Gradebook`` then finds the database stamped and creates
    the rest of the schema itself. Any problem leaves the database untouched for nbgrader.
    """
    try:
        from alembic.script import ScriptDirectory
        from nbgrader.dbutil import ALEMBIC_DIR
        from sqlalchemy import create_engine, inspect, text
    except ImportError:
        return
    engine = create_engine(url, future=True)
    try:
        if inspect(engine).get_table_names():
            return
        head = ScriptDirectory(ALEMBIC_DIR).get_current_head()
        if not head:
            return
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    except Exception:  # noqa: BLE001 - nbgrader stamps it its own way
        return
    finally:
        engine.dispose()


class GradebookWriter:
    """Declares one assignment and records submissions' automatic scores."""

    def __init__(self, url, assignment, source_nb, notebook_name, course_id="default_course"):
        url = _with_path(normalize_url(url))
        _stamp_new_database(url)
        self.gb = Gradebook(url, course_id=course_id)
        self.assignment = assignment
        self.notebook = notebook_name
        self.manual_parts = [grade_id(c) for c in source_nb.cells
                             if is_grade(c) and (is_solution(c) or c.cell_type == "markdown")]
        gb = self.gb
        gb.update_or_create_assignment(assignment)
        gb.update_or_create_notebook(notebook_name, assignment)
        for cell in source_nb.cells:
            gid = grade_id(cell)
            if gid is None:
                continue
            if is_grade(cell):
                gb.update_or_create_grade_cell(gid, notebook_name, assignment,
                                               max_score=float(cell.metadata.nbgrader["points"]),
                                               cell_type=cell.cell_type)
            if is_solution(cell):
                gb.update_or_create_solution_cell(gid, notebook_name, assignment)
            if is_grade(cell) or is_solution(cell) or is_locked(cell):
                gb.update_or_create_source_cell(gid, notebook_name, assignment,
                                                cell_type=cell.cell_type, locked=is_locked(cell),
                                                source=cell.source, checksum=compute_checksum(cell))

    def record(self, result):
        gb = self.gb
        student = result["student"]
        gb.update_or_create_student(student)
        try:
            gb.find_submission(self.assignment, student)
        except MissingEntry:
            with warnings.catch_warnings():
                # nbgrader 0.9.6 + SQLAlchemy 2.1: harmless autoflush warnings in add_submission.
                warnings.simplefilter("ignore")
                gb.add_submission(self.assignment, student)
        grades = self._grades(student)
        manual = set(self.manual_parts)
        no_work = all(t["status"] in ("missing_notebook", "invalid_notebook", "wrong_assignment")
                      for t in result["tasks"]) and bool(result["tasks"])
        for gid in manual:
            grade = grades.get(gid)
            # formgrader lists the hand-graded answers still to grade.
            if grade is not None and grade.manual_score is None:
                grade.needs_manual_grade = not no_work
        for task in result["tasks"]:
            if task.get("status") == "grader_error":
                continue  # the grader failed, the student did not: keep any earlier score
            grade = grades.get(task["task"])
            if grade is not None:
                grade.auto_score = float(task["score"])
                # As nbgrader's autograder: a test with its score needs no review (the column's
                # default is True, and formgrader would list every submission forever).
                grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()

    def _grades(self, student):
        """{cell name: Grade} of the student's notebook, in one query (what nbgrader's
        ``find_grade`` gives cell by cell, with a six-table join each time)."""
        from nbgrader.api import BaseCell, Grade

        try:
            sub_nb = self.gb.find_submission_notebook(self.notebook, self.assignment, student)
        except MissingEntry:
            return {}
        rows = (self.gb.db.query(Grade, BaseCell.name)
                .join(BaseCell, BaseCell.id == Grade.cell_id)
                .filter(Grade.notebook_id == sub_nb.id).all())
        return {name: grade for grade, name in rows}

    def set_late(self, grades, due):
        """Due date, submission times and late penalties, as ``nbgrader export`` reads them."""
        import datetime as dt

        def utc_naive(t):
            return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t else None

        gb = self.gb
        a = gb.find_assignment(self.assignment)
        a.duedate = utc_naive(due)
        for g in grades:
            try:
                sub = gb.find_submission(self.assignment, g.student)
            except MissingEntry:
                continue
            late = g.lateness
            if late is not None and late.submitted is not None:
                sub.timestamp = utc_naive(late.submitted)
            for nb in sub.notebooks:
                if nb.name == self.notebook:
                    nb.late_submission_penalty = g.penalty or None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gb.db.commit()

    def close(self):
        self.gb.close()
