"""The ``coursekit`` command line for instructors: release, autograde, report; for students: check.

    coursekit release ID | --all [--check]
    coursekit autograde ID --submissions DIR|ZIP [--jobs N] [--force] [--student NAME ...] ...
    coursekit manual ID [--template CSV | --import CSV | --set STUDENT PART SCORE]
    coursekit report ID [--out DIR]
    coursekit check NOTEBOOK          (a student's own notebook: visible tests, where you stand)

Run it from the course root (the folder holding ``nbgrader_config.py``), or pass ``--course DIR``.
Options may be given before or after the command name.

Exit status: 0 success; 1 the run finished but needs attention (a grader error, every
submission scored zero, a stale release); 2 usage or input error (nothing graded); 3 the grader's
self-check failed (nothing graded).
"""

import argparse
import os
import sys

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE, EXIT_SELFCHECK = 0, 1, 2, 3


def _course_root(path):
    return os.path.abspath(path or os.getcwd())


def cmd_release(a):
    from .grading.release import release

    return release(_course_root(a.course), a.assignment, all_=a.all, check=a.check,
                   validate=not a.no_validate)


def cmd_autograde(a):
    from .grading.runner import autograde

    students = None
    if a.student:
        students = sorted({s.strip() for arg in a.student for s in arg.split(",") if s.strip()})
    outcome = autograde(_course_root(a.course), a.assignment, a.submissions, out=a.out,
                        jobs=a.jobs, timeout=a.timeout, cell_timeout=a.cell_timeout,
                        memory_mb=a.memory, db_url=a.db, output_kb=a.output_kb,
                        progress=not a.quiet, force=a.force, students=students,
                        sandbox_mode=a.sandbox, mapping=a.mapping, timestamps=a.timestamps,
                        include_pending=a.include_pending, scheduler=a.scheduler)
    if not a.quiet:
        shown = students if students is not None else [g.student for g in outcome.grades]
        for s in shown:
            g = outcome.grade(s)
            bad = sorted({p["status"] for p in g.parts
                          if p["status"] not in ("ok", "manual", "awaiting_manual_grade")})
            print(f"{s:30s} {g.summary()}  {' '.join(bad)}")
        _print_outputs(outcome.out)
    problems = outcome.problems()
    for p in problems:
        print(f"coursekit: attention: {p}", file=sys.stderr)
    return EXIT_ATTENTION if problems else EXIT_OK


def _print_outputs(out):
    print(f"grades: {os.path.join(out, 'grades.csv')} (per part), totals.csv (per student), "
          f"canvas.csv (LMS import); feedback: {os.path.join(out, 'feedback')}/")


def cmd_manual(a):
    from .grading.runner import manual_grades

    rc, lines = manual_grades(_course_root(a.course), a.assignment, out=a.out, db_url=a.db,
                              template=a.template, import_csv=a.import_csv, set_=a.set,
                              comment=a.comment, include_pending=a.include_pending)
    for line in lines:
        print(line)
    return rc


def cmd_report(a):
    from .grading.report import report
    from .grading.runner import refresh_outputs

    # Manual scores entered in formgrader since the last command are in the gradebook only:
    # grades.csv, totals.csv, canvas.csv and the feedback are rewritten from it first.
    out, grades = refresh_outputs(_course_root(a.course), a.assignment, out=a.out, db_url=a.db,
                                  include_pending=a.include_pending)
    if grades is not None:
        print(f"rewrote grades.csv, totals.csv, canvas.csv and feedback/ in {out} from the "
              f"gradebook (manual scores included)")
    path = report(_course_root(a.course), a.assignment, out=a.out)
    print(f"report written to {path}")
    return EXIT_OK


def _add_common(parser, top=False):
    # On the subcommands the default is SUPPRESS, so a value given before the command name is
    # not overwritten by the subcommand's default.
    parser.add_argument("--course", default=None if top else argparse.SUPPRESS,
                        help="course root (default: current directory)")


def cmd_check(a):
    from .student_check import check_notebook

    return check_notebook(a.notebook, timeout=a.timeout)


def build_parser():
    p = argparse.ArgumentParser(prog="coursekit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(p, top=True)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="validate the solutions and generate homework/ID")
    _add_common(r)
    r.add_argument("assignment", nargs="?")
    r.add_argument("--all", action="store_true", help="every assignment in the source directory")
    r.add_argument("--check", action="store_true",
                   help="do not write: exit 1 if homework/ is not what generation would produce")
    r.add_argument("--no-validate", action="store_true",
                   help="skip executing the solutions (faster; not for a real release)")
    r.set_defaults(func=cmd_release)

    g = sub.add_parser("autograde", help="grade every submission in a folder or zip",
                       description="Grade every submission of an assignment. Before grading, the "
                       "instructor's solution and the released notebook are graded exactly like a "
                       "submission: full marks and zero are required, otherwise nothing is graded "
                       "(exit 3).")
    _add_common(g)
    g.add_argument("assignment")
    g.add_argument("--submissions", required=True,
                   help="folder (STUDENT/ID.ipynb or nbgrader's submitted/STUDENT/ID/ID.ipynb) or zip")
    g.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    g.add_argument("--timeout", type=float, default=300, help="seconds per submission (default 300)")
    g.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per cell (default: min(timeout, 120))")
    g.add_argument("--memory", type=int, default=2048, help="MB of address space per kernel")
    g.add_argument("--output-kb", type=int, default=1024, help="kB of output kept per submission")
    g.add_argument("--db", default=None,
                   help="gradebook URL (default sqlite:///COURSE/gradebook.db, or OUT/gradebook.db "
                        "with --out)")
    g.add_argument("--out", default=None,
                   help="results folder (default COURSE/autograded/ID); with --out and no --db the "
                        "run writes nothing in the course folder")
    g.add_argument("--force", action="store_true",
                   help="regrade every submission, even those whose stored result still stands")
    g.add_argument("--student", action="append", metavar="NAME",
                   help="(re)grade only these students (repeat, or comma-separated); the others "
                        "keep their stored results")
    g.add_argument("--sandbox", default="auto", choices=["auto", "namespaces", "uid", "none"],
                   help="kernel isolation (default: the strongest this machine allows)")
    g.add_argument("--mapping", default=None, metavar="CSV",
                   help="student-id mapping and roster: a 'student' column and any of lms_id, "
                        "sid, email, name, login (default: course.mapping in coursekit.toml)")
    g.add_argument("--timestamps", default=None, metavar="CSV",
                   help="submission times (student,timestamp), overriding the download's")
    g.add_argument("--include-pending", action="store_true",
                   help="canvas.csv: export totals even while parts await a manual grade")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on the workers of this Dask cluster (default: on this machine)")
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(func=cmd_autograde)

    m = sub.add_parser("manual", help="enter hand-graded scores (or use nbgrader's formgrader)",
                       description="Scores of the hand-graded parts, written to the gradebook "
                       "(where formgrader also writes them); grades.csv, totals.csv, canvas.csv "
                       "and the feedback pages are then rewritten. Without an action: list what "
                       "awaits a manual grade.")
    _add_common(m)
    m.add_argument("assignment")
    m.add_argument("--template", metavar="CSV",
                   help="write a CSV to fill in: one row per student x hand-graded part, with "
                        "the student's answer")
    m.add_argument("--import", dest="import_csv", metavar="CSV",
                   help="read scores from a CSV (columns student, part, score[, comment])")
    m.add_argument("--set", nargs=3, metavar=("STUDENT", "PART", "SCORE"),
                   help="enter one score (PART: the cell's grade id, or 'Task 4')")
    m.add_argument("--comment", default="", help="comment for --set")
    m.add_argument("--db", default=None, help="gradebook URL (as given to autograde)")
    m.add_argument("--out", default=None, help="results folder (as given to autograde)")
    m.add_argument("--include-pending", action="store_true",
                   help="canvas.csv: export totals even while parts await a manual grade")
    m.set_defaults(func=cmd_manual)

    s = sub.add_parser("report", help="summary table, plots and an HTML page; grades.csv, "
                       "totals.csv, canvas.csv and the feedback first rewritten from the "
                       "gradebook (manual scores entered in formgrader included)")
    _add_common(s)
    s.add_argument("assignment")
    s.add_argument("--out", default=None, help="results folder used by autograde")
    s.add_argument("--db", default=None, help="gradebook URL (as given to autograde)")
    s.add_argument("--include-pending", action="store_true",
                   help="canvas.csv: export totals even while parts await a manual grade")
    s.set_defaults(func=cmd_report)
    c = sub.add_parser("check", help="a student's notebook: run its visible tests, print where it stands")
    c.add_argument("notebook")
    c.add_argument("--timeout", type=float, default=120, help="seconds per cell (default 120)")
    c.set_defaults(func=cmd_check)
    return p


def _command_first(parser, argv):
    """Move options typed before the command name after it (``coursekit --out X autograde ...``).

    The command is the first token that is a command name and not the value of an option.
    """
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    takes_value = set()
    for sp in list(sub.choices.values()) + [parser]:
        for act in sp._actions:
            if act.option_strings and act.nargs != 0:
                takes_value.update(act.option_strings)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return argv
        if tok.startswith("-"):
            if tok in takes_value:
                i += 1
        elif tok in sub.choices:
            if i == 0:
                return argv
            before = argv[:i]
            if any(t in ("-h", "--help") for t in before):
                return argv
            return [tok] + before + argv[i + 1:]
        i += 1
    return argv


def main(argv=None):
    # jsonschema (imported by nbformat) compiles a grammar for RFC 3987 IRIs when this optional
    # module is importable: seconds of CPU at every start, for a string format that nbformat's
    # schema never uses. The grading worker does the same.
    sys.modules.setdefault("rfc3987_syntax", None)
    from .grading.dask_executor import ClusterError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    a = parser.parse_args(_command_first(parser, argv))
    if a.command == "release" and not a.all and not a.assignment:
        parser.error("release needs an assignment ID or --all")
    from .grading.dask_executor import ClusterError
    from .grading.runner import SelfCheckError

    try:
        return a.func(a)
    except SelfCheckError as exc:
        print(f"coursekit: grader self-check failed: {exc}", file=sys.stderr)
        return EXIT_SELFCHECK
    except (FileNotFoundError, ValueError, ClusterError) as exc:
        print(f"coursekit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
