"""Autograding throughput: submissions per second for N copies of a correct submission,
serial (``--jobs 1``) vs parallel (``--jobs 2``), through the full sandboxed grader.

    .venv/bin/python bench/bench_grading.py [--n 200] [--assignment hw1_gaussian] [--jobs 1 2]

The correct submission is the instructor's notebook itself (solutions + hidden tests; the grader
rebuilds it from the source anyway). Each run starts from an empty results folder, so every copy
is graded (no re-run skipping). Prints a Markdown table and writes bench/results/grading.json.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from coursekit.grading import runner  # noqa: E402


def make_course(tmp, assignment):
    course = os.path.join(tmp, "course")
    if assignment == "fx_mle":
        shutil.copytree(os.path.join(ROOT, "tests", "fixtures", "course"), course)
    else:
        os.makedirs(os.path.join(course, "solutions"))
        shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
        shutil.copytree(os.path.join(ROOT, "solutions", assignment),
                        os.path.join(course, "solutions", assignment))
        rel = os.path.join(ROOT, "homework", assignment)
        if os.path.isdir(rel):
            shutil.copytree(rel, os.path.join(course, "homework", assignment))
    return course


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--assignment", default="hw1_gaussian")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--timeout", type=float, default=300)
    a = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course = make_course(tmp, a.assignment)
        source = os.path.join(course, "solutions", a.assignment, f"{a.assignment}.ipynb")
        subs = os.path.join(tmp, "subs")
        for i in range(a.n):
            d = os.path.join(subs, f"student{i:04d}")
            os.makedirs(d)
            shutil.copy(source, os.path.join(d, f"{a.assignment}.ipynb"))
        for jobs in a.jobs:
            out = os.path.join(tmp, f"out-{jobs}")
            t0 = time.perf_counter()
            rows = runner.autograde(course, a.assignment, subs, out=out, jobs=jobs,
                                    timeout=a.timeout, progress=False, log=lambda *x: None,
                                    db_url="sqlite:///" + os.path.join(tmp, f"gb-{jobs}.db"))
            wall = time.perf_counter() - t0
            bad = [r for r in rows if r["status"] != "ok"]
            results.append({"jobs": jobs, "n": a.n, "seconds": wall, "per_second": a.n / wall,
                            "not_ok_rows": len(bad)})
            print(f"jobs={jobs}: {a.n} submissions in {wall:.1f} s = {a.n / wall:.3f}/s "
                  f"({len(bad)} rows not ok)", flush=True)
    base = results[0]["per_second"]
    print(f"\n| jobs | submissions | wall time (s) | submissions/s | speed-up |\n|---|---|---|---|---|")
    for r in results:
        print(f"| {r['jobs']} | {r['n']} | {r['seconds']:.1f} | {r['per_second']:.3f} | "
              f"{r['per_second'] / base:.2f}x |")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "grading.json"), "w") as fh:
        json.dump({"assignment": a.assignment, "cpus": os.cpu_count(),
                   "machine": platform.platform(), "runs": results}, fh, indent=1)


if __name__ == "__main__":
    main()
