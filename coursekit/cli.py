"""The ``coursekit`` command line for instructors: release, autograde, report; for students: check.

    coursekit release ID | --all [--check]
    coursekit autograde ID --submissions DIR [--jobs N] [--timeout S] [--memory MB] [--db URL] [--out DIR]
    coursekit report ID [--out DIR]
    coursekit check NOTEBOOK          (a student's own notebook: visible tests, where you stand)

Run it from the course root (the folder holding ``nbgrader_config.py``), or pass ``--course``.
"""

import argparse
import os
import sys


def _course_root(path):
    return os.path.abspath(path or os.getcwd())


def cmd_release(a):
    from .grading.release import release

    return release(_course_root(a.course), a.assignment, all_=a.all, check=a.check,
                   validate=not a.no_validate)


def cmd_autograde(a):
    from .grading.runner import autograde

    rows = autograde(_course_root(a.course), a.assignment, a.submissions, out=a.out, jobs=a.jobs,
                     timeout=a.timeout, cell_timeout=a.cell_timeout, memory_mb=a.memory,
                     db_url=a.db, output_kb=a.output_kb, progress=not a.quiet,
                     scheduler=a.scheduler)
    students = sorted({r["student"] for r in rows})
    total = {s: sum(float(r["score"]) for r in rows if r["student"] == s) for s in students}
    maxs = {s: sum(float(r["max_score"]) for r in rows if r["student"] == s) for s in students}
    if not a.quiet:
        for s in students:
            bad = sorted({r["status"] for r in rows if r["student"] == s and r["status"] != "ok"})
            print(f"{s:30s} {total[s]:6g} / {maxs[s]:g}  {' '.join(bad)}")
    return 0


def cmd_report(a):
    from .grading.report import report

    path = report(_course_root(a.course), a.assignment, out=a.out)
    print(f"report written to {path}")
    return 0


def cmd_check(a):
    from .student_check import check_notebook

    return check_notebook(a.notebook, timeout=a.timeout)


def build_parser():
    p = argparse.ArgumentParser(prog="coursekit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--course", default=None, help="course root (default: current directory)")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="validate the solutions and generate homework/ID")
    r.add_argument("assignment", nargs="?")
    r.add_argument("--all", action="store_true", help="every assignment in the source directory")
    r.add_argument("--check", action="store_true",
                   help="do not write: exit 1 if homework/ is not what generation would produce")
    r.add_argument("--no-validate", action="store_true",
                   help="skip executing the solutions (faster; not for a real release)")
    r.set_defaults(func=cmd_release)

    g = sub.add_parser("autograde", help="grade every submission in a folder or zip")
    g.add_argument("assignment")
    g.add_argument("--submissions", required=True,
                   help="folder (STUDENT/ID.ipynb or nbgrader's submitted/STUDENT/ID/ID.ipynb) or zip")
    g.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    g.add_argument("--timeout", type=float, default=300, help="seconds per submission (default 300)")
    g.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per cell (default: min(timeout, 120))")
    g.add_argument("--memory", type=int, default=2048, help="MB of address space per kernel")
    g.add_argument("--output-kb", type=int, default=1024, help="kB of output kept per submission")
    g.add_argument("--db", default=None, help="gradebook URL (default sqlite:///COURSE/gradebook.db)")
    g.add_argument("--out", default=None, help="results folder (default COURSE/autograded/ID)")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on the workers of this Dask cluster (default: on this machine)")
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(func=cmd_autograde)

    s = sub.add_parser("report", help="summary table, plots and an HTML page from grades.csv")
    s.add_argument("assignment")
    s.add_argument("--out", default=None, help="results folder used by autograde")
    s.set_defaults(func=cmd_report)
    c = sub.add_parser("check", help="a student's notebook: run its visible tests, print where it stands")
    c.add_argument("notebook")
    c.add_argument("--timeout", type=float, default=120, help="seconds per cell (default 120)")
    c.set_defaults(func=cmd_check)
    return p


def main(argv=None):
    from .grading.dask_executor import ClusterError

    parser = build_parser()
    a = parser.parse_args(argv)
    if a.command == "release" and not a.all and not a.assignment:
        parser.error("release needs an assignment ID or --all")
    try:
        return a.func(a)
    except (FileNotFoundError, ValueError, ClusterError) as exc:
        print(f"coursekit: error: {exc}", file=sys.stderr)
        return 2
