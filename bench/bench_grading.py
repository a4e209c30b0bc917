"""Autograding throughput: ``coursekit autograde`` against plain ``nbgrader autograde``, on the same
submissions of the real homework, in the same run.

    .venv/bin/python bench/bench_grading.py [--n 60] [--assignment hw1_gaussian] [--jobs 1 2 3]
                                            [--burn K] [--no-nbgrader]

The submissions are a fixed mix (``MIX``, repeated to ``--n``): correct (the instructor's
solution), wrong (the known-wrong hw1 answers of ``tests/wrong_submissions``), failing (the
released notebook: ``raise NotImplementedError``) and adversarial (``os._exit``, a monkeypatched
``numpy``, deleted test cells, 2 MB of printing). Both tools run as a command in a subprocess,
from an empty output folder and a fresh gradebook, with the same per-cell timeout; the CPU time
is that of the whole process tree (``RUSAGE_CHILDREN``: the grader, its workers, fork servers and
kernels), the wall time is the command's; "cores busy" is CPU / (wall x CPUs). ``--burn K``
keeps K busy-looping processes running during every measurement (a loaded machine). Writes
``bench/results/grading.md`` and ``grading.json``; prints the table.
"""

import argparse
import copy
import csv
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)

# One cycle of the mix: kind, what.
MIX = ([("correct", None)] * 5 + [("wrong", 0), ("wrong", 1), ("failing", None),
                                   ("adversarial", "os_exit"), ("adversarial", "patch_numpy"),
                                   ("correct", None), ("wrong", 2), ("adversarial", "delete_tests"),
                                   ("adversarial", "print_flood"), ("failing", None)])

ADVERSARIAL = {
    "os_exit": ("gaussian_pdf", "import os\nos._exit(1)\n"),
    "patch_numpy": ("log_likelihood", "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
                                      "def log_likelihood(X, mean, cov):\n    return 0.0\n"),
    "print_flood": ("mle_gaussian", "for _ in range(2000):\n    print('y' * 1000)\n"),
}


def _load(path):
    with open(path) as fh:
        return json.load(fh)


def _wrong_answers(assignment):
    """The known-wrong answers of ``assignment``, through the test suite's own loader
    (``tests/known_wrong.py``, plain importlib: no pytest needed)."""
    spec = importlib.util.spec_from_file_location(
        "known_wrong", os.path.join(ROOT, "tests", "known_wrong.py"))
    known_wrong = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(known_wrong)
    return [m.CELLS for m in known_wrong.wrong_submissions().values()
            if m.ASSIGNMENT == assignment]


def _with_cells(nb, cells, prepend=False):
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in cells:
            src = cells[gid]
            if prepend:
                src = src + "".join(cell["source"]) if isinstance(cell["source"], list) \
                    else src + cell["source"]
            cell["source"] = src
    return nb


def make_submissions(course, assignment, n, dest):
    """``n`` submissions in nbgrader's layout ``dest/STUDENT/ID/ID.ipynb``; returns the kinds."""
    solution = _load(os.path.join(course, "solutions", assignment, f"{assignment}.ipynb"))
    released = _load(os.path.join(course, "homework", assignment, f"{assignment}.ipynb"))
    wrongs = _wrong_answers(assignment) or [{}]
    kinds = {}
    for i in range(n):
        kind, what = MIX[i % len(MIX)]
        if kind == "correct":
            nb = solution
        elif kind == "wrong":
            nb = _with_cells(solution, wrongs[what % len(wrongs)])
        elif kind == "failing":
            nb = released
        elif what == "delete_tests":
            nb = copy.deepcopy(solution)
            nb["cells"] = [c for c in nb["cells"]
                           if not c.get("metadata", {}).get("nbgrader", {}).get("grade")
                           or c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        else:
            gid, code = ADVERSARIAL[what]
            nb = _with_cells(solution, {gid: code}, prepend=what != "patch_numpy")
        student = f"s{i:05d}_{kind}"
        d = os.path.join(dest, student, assignment)
        os.makedirs(d)
        with open(os.path.join(d, f"{assignment}.ipynb"), "w") as fh:
            json.dump(nb, fh)
        kinds[student] = kind if kind != "adversarial" else f"adversarial:{what}"
    return kinds


def make_course(tmp, assignment):
    course = os.path.join(tmp, "course")
    os.makedirs(os.path.join(course, "solutions"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), course)
    shutil.copytree(os.path.join(ROOT, "solutions", assignment),
                    os.path.join(course, "solutions", assignment))
    shutil.copytree(os.path.join(ROOT, "homework", assignment),
                    os.path.join(course, "homework", assignment))
    return course


def _measure(cmd, cwd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
    return {"wall": wall, "cpu": cpu, "rc": proc.returncode, "load_before": load0,
            "load_after": os.getloadavg()[0], "stdout": proc.stdout[-2000:]}


def run_nbgrader(course, assignment, cell_timeout, env):
    """Plain nbgrader: generate the assignment (gradebook), then autograde every submission."""
    gen = subprocess.run([os.path.join(BIN, "nbgrader"), "generate_assignment", assignment,
                          "--force", "--CourseDirectory.root=" + course], cwd=course, env=env,
                         capture_output=True, text=True)
    if gen.returncode != 0:
        raise RuntimeError("nbgrader generate_assignment failed:\n" + gen.stderr[-3000:])
    cmd = [os.path.join(BIN, "nbgrader"), "autograde", assignment, "--create", "--force",
           "--CourseDirectory.root=" + course, f"--ExecutePreprocessor.timeout={cell_timeout}"]
    return _measure(cmd, course, env)


def run_coursekit(course, assignment, subs, jobs, timeout, cell_timeout, tmp, env):
    out = os.path.join(tmp, f"out-{jobs}")
    cmd = [sys.executable, "-m", "coursekit", "--course", course, "autograde", assignment,
           "--submissions", subs, "--jobs", str(jobs), "--timeout", str(timeout),
           "--cell-timeout", str(cell_timeout), "--out", out,
           "--db", "sqlite:///" + os.path.join(tmp, f"gb-{jobs}.db"), "--quiet"]
    m = _measure(cmd, ROOT, env)
    with open(os.path.join(out, "grades.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))  # records, not lines: messages may hold newlines
    m["rows"] = len(rows)
    m["grader_errors"] = len({r["student"] for r in rows if r["status"] == "grader_error"})
    # Where a submission's time goes, from the workers' own records (medians).
    timing = {}
    for name in os.listdir(os.path.join(out, "results")):
        res = _load(os.path.join(out, "results", name))
        for k, v in res.get("timing", {}).items():
            if isinstance(v, (int, float)):
                timing.setdefault(k, []).append(v)
        timing.setdefault("fork", []).append(res.get("kernel_start") == "fork")
        timing.setdefault("ahead", []).append(bool(res.get("kernel_prestarted")))
    m["median"] = {k: sorted(v)[len(v) // 2] for k, v in timing.items()
                   if k not in ("fork", "ahead")}
    m["forked"] = sum(timing.get("fork", []))
    m["prestarted"] = sum(timing.get("ahead", []))
    return m


def _burners(k):
    code = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(k)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--assignment", default="hw1_gaussian")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--cell-timeout", type=float, default=30)
    p.add_argument("--burn", type=int, default=0, help="busy processes during the runs")
    p.add_argument("--no-nbgrader", action="store_true")
    a = p.parse_args(argv)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    runs = []
    burners = _burners(a.burn)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
            course = make_course(tmp, a.assignment)
            subs = os.path.join(course, "submitted")
            kinds = make_submissions(course, a.assignment, a.n, subs)
            if not a.no_nbgrader:
                m = run_nbgrader(course, a.assignment, a.cell_timeout, env)
                runs.append(dict(m, tool="nbgrader autograde (serial)", jobs=1))
                print(f"nbgrader: {a.n} in {m['wall']:.1f} s wall, {m['cpu']:.1f} s CPU", flush=True)
            for jobs in a.jobs:
                m = run_coursekit(course, a.assignment, subs, jobs, a.timeout, a.cell_timeout,
                                  tmp, env)
                runs.append(dict(m, tool="coursekit autograde", jobs=jobs))
                print(f"coursekit --jobs {jobs}: {a.n} in {m['wall']:.1f} s wall, "
                      f"{m['cpu']:.1f} s CPU, {m['rows']} rows, {m['grader_errors']} "
                      "submission(s) with a grader error", flush=True)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    mix = {}
    for k in kinds.values():
        mix[k.split(":")[0]] = mix.get(k.split(":")[0], 0) + 1
    report = render(a, runs, mix)
    print(report)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "grading.md"), "w") as fh:
        fh.write(report)
    with open(os.path.join(HERE, "results", "grading.json"), "w") as fh:
        json.dump({"assignment": a.assignment, "n": a.n, "burn": a.burn, "cpus": os.cpu_count(),
                   "machine": platform.platform(), "mix": mix,
                   "runs": [{k: v for k, v in r.items() if k != "stdout"} for r in runs]},
                  fh, indent=1)


def render(a, runs, mix):
    base = next((r for r in runs if r["tool"].startswith("nbgrader")), None)
    lines = [f"{a.n} submissions of {a.assignment} ({', '.join(f'{v} {k}' for k, v in sorted(mix.items()))}), "
             f"{os.cpu_count()} CPUs, {a.burn} busy-loop processes beside, per-cell timeout "
             f"{a.cell_timeout:g} s.", "",
             "| tool | jobs | wall (s) | submissions/s | vs nbgrader (wall) | CPU (s) "
             "| CPU s / submission | vs nbgrader (CPU) | cores busy | load avg before → after |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        rate = a.n / r["wall"]
        ratio = f"{rate / (a.n / base['wall']):.2f}x" if base else "—"
        cpu_ratio = f"{base['cpu'] / r['cpu']:.2f}x" if base else "—"
        lines.append(f"| {r['tool']} | {r['jobs']} | {r['wall']:.1f} | {rate:.2f} | {ratio} | "
                     f"{r['cpu']:.1f} | {r['cpu'] / a.n:.3f} | {cpu_ratio} | "
                     f"{r['cpu'] / (r['wall'] * (os.cpu_count() or 1)):.0%} | "
                     f"{r['load_before']:.1f} → {r['load_after']:.1f} |")
    for r in runs:
        if "median" in r:
            md = r["median"]
            lines.append("")
            lines.append(f"coursekit --jobs {r['jobs']}: {r['forked']} of {a.n} kernels forked "
                         f"from the fork server, {r.get('prestarted', 0)} of them while the "
                         "worker's previous submission ran; per submission (medians, from "
                         "results/*.json): "
                         f"kernel CPU {md.get('kernel_cpu', float('nan')):.2f} s, grading worker "
                         f"CPU {md.get('worker_cpu', float('nan')):.2f} s, kernel ready after "
                         f"{md.get('kernel_ready', float('nan')):.2f} s, last cell done after "
                         f"{md.get('executed', float('nan')):.2f} s (wall); "
                         f"{r['rows']} grade rows, {r['grader_errors']} submission(s) with a "
                         "grader error.")
    return "\n".join(lines) + "\n"


def run(quick):
    """For ``bench/run_all.py``."""
    main(["--n", "20" if quick else "60"])
    with open(os.path.join(HERE, "results", "grading.md")) as fh:
        return fh.read()


if __name__ == "__main__":
    main()
