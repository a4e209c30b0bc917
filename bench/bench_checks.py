"""What the homework checks cost: the in-kernel guard on a student's function, and a whole assignment.

    .venv/bin/python bench/bench_checks.py [--quick]      # writes bench/results/checks.md

1. *The guard on one call.*  The same student function (a vectorised density, a sampler written
   with a Python loop, a k-means written with loops), called plainly and through
   ``coursekit.checks._guard.call_student`` (the profile hook that watches for coursekit,
   scipy.stats and scikit-learn, the snapshots and integrity checks around the call): CPU time per
   call and the ratio.  The alternative a course would pick, a plain nbgrader ``assert`` around a
   plain call, costs the plain time.
2. *A whole assignment.*  CPU time of every visible and hidden test of each assignment on the
   instructor's solutions, run in-process (no kernel start-up): what the checks add per
   submission on top of the kernel.

Threads are pinned to 1 (BLAS, OpenMP, numba) before NumPy is imported; times are CPU time of this
process (``time.process_time``), the median of several repeats.  The load average is printed: on a
shared machine the wall time means little.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cpu(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


STUDENT = {
    "vectorised density (N = 20000, D = 3)": ('''
def f(X, mean, cov):
    X = np.asarray(X, dtype=float)
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    return np.exp(-0.5 * (X.shape[1] * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(L))) + np.sum(y**2, axis=0)))
''', lambda rng: (rng.normal(size=(20000, 3)), np.zeros(3), np.eye(3))),
    "sampler with a Python loop (N = 6000)": ('''
def f(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, z
''', lambda rng: (np.array([0.3, 0.7]), np.zeros((2, 2)), np.stack([np.eye(2)] * 2), 6000,
                  np.random.default_rng(0))),
    "k-means step with loops (N = 2000, K = 5)": ('''
def f(X, centers):
    labels = np.zeros(len(X), dtype=int)
    for i, x in enumerate(X):
        labels[i] = int(np.argmin(((centers - x) ** 2).sum(axis=1)))
    return labels
''', lambda rng: (rng.normal(size=(2000, 2)), rng.normal(size=(5, 2)))),
}


def bench_guard(quick):
    from coursekit.checks import _guard

    call_student = _guard.call_student.__globals__["call_student"]
    rng = np.random.default_rng(0)
    rows = []
    for name, (source, make_args) in STUDENT.items():
        namespace = {"__name__": "__main__", "np": np}
        exec(source, namespace)
        f = namespace["f"]
        args = make_args(rng)
        repeats = 3 if quick else 7
        plain = _cpu(lambda: f(*args), repeats)
        guarded = _cpu(lambda: call_student(f, "f", *args), repeats)
        rows.append((name, plain, guarded))
    return rows


def bench_assignments(quick):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from test_homework_checks import run_in_process

    import coursekit.checks

    rows = []
    for aid in coursekit.checks.ASSIGNMENT_IDS:
        with open(os.path.join(ROOT, "solutions", aid, f"{aid}.ipynb"), encoding="utf-8") as fh:
            nb = json.load(fh)
        seconds = _cpu(lambda: run_in_process(nb), 1 if quick else 3)
        tests = sum(1 for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
                    and c["cell_type"] == "code")
        rows.append((aid, tests, seconds))
    return rows


def run(quick=False):
    load = os.getloadavg()
    guard = bench_guard(quick)
    assignments = bench_assignments(quick)
    lines = ["# The homework checks: what they cost", "",
             f"`python bench/bench_checks.py{' --quick' if quick else ''}`; threads pinned to 1; CPU time "
             f"(median); load average at the start {load[0]:.1f} (2 cores, shared machine).", "",
             "## The guard on one call of a student's function", "",
             "| student function | plain call (ms) | through the guard (ms) | ratio |", "| --- | ---: | ---: | ---: |"]
    for name, plain, guarded in guard:
        lines.append(f"| {name} | {plain * 1e3:.1f} | {guarded * 1e3:.1f} | {guarded / plain:.2f}x |")
    lines += ["", "The guard's fixed cost per call (snapshots and integrity checks) is the difference on the "
              "vectorised density; its cost per Python call made by the student's code (the profile hook) "
              "shows on the loops.", "",
              "## Every visible and hidden test of an assignment, on the solutions (in-process)", "",
              "| assignment | test cells | CPU (s) |", "| --- | ---: | ---: |"]
    for aid, tests, seconds in assignments:
        lines.append(f"| `{aid}` | {tests} | {seconds:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    report = run(quick)
    out = os.path.join(ROOT, "bench", "results", "checks.quick.md" if quick else "checks.md")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(report)
    print(report)
