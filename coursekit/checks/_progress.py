"""The tasks of an assignment, the visible tests' verdicts, and the "where you stand" table.

Every visible test cell calls a check made with :func:`visible`: it runs the task's small worked
instances (earlier tasks replaced by the reference), prints one line when they pass and raises
an ``AssertionError`` showing the student's value and the expected one when they do not, and
records the verdict together with the function it judged.  :func:`where_you_stand` (the last cell
of every assignment, and ``coursekit check NOTEBOOK``) prints one row per task: it reuses a
verdict when the notebook still holds the same function, runs the visible test otherwise, and
never runs a hidden test.
"""

import functools
import signal
import sys
import textwrap
import threading
import weakref
from typing import NamedTuple

from ._guard import NotWritten, _raise_feedback, call_student, in_student_code, run_guarded


# The longest a visible test may take when the table runs it (a function that never returns).
TIME_LIMIT = 30


class _TookTooLong(BaseException):
    """Raised in the student's code by the table's timer (a BaseException: ``except Exception`` misses it)."""


def _alarm(signum, frame):
    # Only ever interrupt the student's code: the checks' own bookkeeping must finish.
    if in_student_code(frame):
        raise _TookTooLong()
    signal.setitimer(signal.ITIMER_REAL, 0.05)


_ENTRY_POINTS = ("_alarm",)  # called by Python from inside the student's code (see _guard.seal)


def _within_time_limit(seconds, run, *args):
    """``run(*args)``, interrupted after ``seconds`` when a timer is available (the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return run(*args)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return run(*args)
    except _TookTooLong:
        return "did not finish", f"its visible test did not finish in {seconds:g} s (an endless loop?)"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Task(NamedTuple):
    """One task of the course: numbered once for the whole course (hw1 has tasks 1, 2, 3a, 3b; hw2 4a-4c ...)."""

    number: str
    title: str
    function: object  # the graded function's name; None for a task graded by hand
    points: int
    visible: int = 0  # points of its visible test cell

    @property
    def name(self):
        return f"Task {self.number}: {self.title}"

    @property
    def heading(self):
        """The Markdown heading of the task in the notebook (the feedback names tasks by it)."""
        unit = "point" if self.points == 1 else "points"
        by_hand = ", graded by hand" if self.function is None else ""
        return f"## {self.name} ({self.points} {unit}{by_hand})"

    @property
    def hidden(self):
        return 0 if self.function is None else self.points - self.visible


class Helper(NamedTuple):
    """An ungraded function of the notebook that later tasks call (e.g. ``gaussian_logpdf``)."""

    function: str
    used_by: str
    probe: object  # arguments of a tiny call that shows whether it is written


class _Verdict(NamedTuple):
    func: object  # weak reference to the function judged
    status: str  # "passed", "failed", "not written", "running"
    message: str


# Verdicts of the visible tests run in this kernel, by function name.
_VERDICTS = {}


def _record(name, func, status, message=""):
    try:
        ref = weakref.ref(func)
    except TypeError:
        ref = lambda: None  # noqa: E731  (not weak-referenceable: never reused)
    _VERDICTS[name] = _Verdict(ref, status, message)


def visible(task):
    """Decorate a visible test of ``task``: ``check(student_function)`` calls ``fail`` on a mistake."""

    def decorate(body):
        @functools.wraps(body)
        def visible_test(student_function, report=True):
            __tracebackhide__ = True  # noqa: F841
            name = task.function
            _record(name, student_function, "running")
            message, status = run_guarded(body, (student_function,), {})
            _record(name, student_function, status, message or "")
            if not report:
                return status, message or ""
            if message is not None:
                _raise_feedback(f"{task.name}, visible test: {message}")
            unit = "point" if task.visible == 1 else "points"
            print(f"{task.name} - visible test passed ({task.visible} {unit}). The hidden tests, run when "
                  f"your work is graded, give the other {task.hidden} points.")
            return None

        visible_test.task = task
        return visible_test

    return decorate


def _helper_written(helper, namespace):
    func = namespace.get(helper.function)
    if func is None:
        return "not defined (run its cell)"
    try:
        call_student(func, helper.function, *helper.probe)
    except NotWritten:
        return "not written yet"
    except Exception:  # noqa: BLE001  (any other outcome: written; its tasks' tests judge it)
        return None
    return None


def _row_text(label, points, status, width):
    dots = "." * (width - len(label) + 2)
    return f"  {label} {dots} {points:>4}  {status}"


def summary_function(title, tasks, checks, helpers=()):
    """The ``summary`` of one assignment's checks module: its "where you stand" table."""

    def summary(namespace=None, machine=False, time_limit=TIME_LIMIT, rows=False):
        """Print where you stand: one row per task, from the visible tests only (no hidden test runs).

        The student's functions are looked up in ``namespace`` (default: the caller's globals, i.e.
        the notebook's).  Returns None (the notebook's last cell shows the table, not a value), or
        the rows if ``rows``.
        """
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        table = where_you_stand(title, tasks, checks, helpers, namespace=namespace, machine=machine,
                                time_limit=time_limit)
        return table if rows else None

    return summary


def where_you_stand(title, tasks, checks, helpers=(), namespace=None, machine=False, time_limit=TIME_LIMIT):
    """Print the per-task table of visible-test points; return the rows.

    ``checks`` maps a function name to its visible test.  The student's functions are looked up
    in ``namespace`` (default: the caller's globals).
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    rows = []
    for task in tasks:
        if task.function is None:
            rows.append({"task": task.name, "function": None, "status": "by hand", "points": 0,
                         "visible": 0, "hidden": 0, "by_hand": task.points, "message": ""})
            continue
        func = namespace.get(task.function)
        verdict = _VERDICTS.get(task.function)
        if func is None:
            status, message = "missing", f"{task.function} is not defined: run its cell"
        elif verdict is not None and verdict.func() is func:
            status, message = verdict.status, verdict.message
            if status == "running":
                status, message = "did not finish", "its visible test did not finish (interrupted or too slow)"
        else:
            status, message = _within_time_limit(time_limit, checks[task.function], func, False)
        rows.append({"task": task.name, "function": task.function, "status": status,
                     "points": task.visible if status == "passed" else 0, "visible": task.visible,
                     "hidden": task.hidden, "by_hand": 0, "message": message})
    helper_rows = [(h, _helper_written(h, namespace)) for h in helpers]
    _print_table(title, rows, helper_rows)
    if machine:
        import json

        print("COURSEKIT-CHECK-RESULT " + json.dumps(rows))
    return rows


def _gist(message, width=240):
    """The line of a visible test's message that names the mistake (not the call, not the values)."""
    lines = message.splitlines()
    named = [ln.strip() for ln in lines[1:] if ln.strip() and not ln.startswith("  ")]
    indented = [ln.strip() for ln in lines[1:] if ln.startswith("  ") and not ln.lstrip().startswith(
        ("returned", "expected"))]
    text = (named or indented or ["wrong values (its test cell shows them)"] if len(lines) > 1 else lines)[-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(title, rows, helper_rows):
    lines = [f"Where you stand in {title} (visible tests only: no hidden test is run here)", ""]
    width = max(len(row["task"]) for row in rows)
    for row in rows:
        if row["status"] == "by hand":
            lines.append(_row_text(row["task"], "", f"graded by hand ({row['by_hand']} points)", width))
            continue
        score = f"{row['points']}/{row['visible']}"
        status = "not written yet" if row["status"] == "not written" else row["status"]
        if status in ("failed", "missing", "did not finish"):
            status = f"{status}: {_gist(row['message'])}"
        lines.append(_row_text(row["task"], score, status, width))
    got = sum(r["points"] for r in rows)
    total = sum(r["visible"] for r in rows)
    hidden = sum(r["hidden"] for r in rows)
    by_hand = [r for r in rows if r["status"] == "by hand"]
    lines += ["", f"Visible tests: {got} of {total} points."]
    todo = [f"{r['function']} ({r['task'].split(':')[0]})" for r in rows if r["status"] in ("not written", "missing")]
    todo += [f"{h.function} ({state}; {h.used_by})" for h, state in helper_rows if state]
    if todo:
        lines.append("Still to write: " + ", ".join(todo) + ".")
    failing = [r["task"].split(":")[0] for r in rows if r["status"] in ("failed", "did not finish")]
    if failing:
        lines.append("Failing: " + ", ".join(failing) + " (run their test cells to see the details).")
    lines.append(f"Hidden tests: {hidden} more points, run only when your work is graded; passing the visible "
                 "tests does not guarantee them.")
    if by_hand:
        points = sum(r["by_hand"] for r in by_hand)
        names = ", ".join(r["task"].split(":")[0] for r in by_hand)
        lines.append(f"Graded by hand: {points} points ({names}).")
    out = []
    status_column = len(_row_text("x" * width, "", "", width))
    for line in lines:
        if len(line) <= 100:
            out.append(line)
        elif line.startswith("  "):  # a task's row: its status continues under the status column
            indent = status_column if status_column <= 50 else 6  # long task names: a narrow column reads badly
            out.extend(textwrap.wrap(line, 100, subsequent_indent=" " * indent, break_on_hyphens=False))
        else:
            out.extend(textwrap.wrap(line, 100, subsequent_indent="  ", break_on_hyphens=False))
    print("\n".join(out))
