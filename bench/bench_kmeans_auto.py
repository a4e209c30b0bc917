"""Calibration of ``coursekit.kmeans.kmeans(algorithm="auto")``: when the kd-tree filter pays.

For data of three kinds (``make_blobs`` with cluster_std 1, the same with cluster_std 3, so that
the clusters overlap, and uniform points in the unit cube), d = 2 .. 24 and k = 10, 50, 200, at
n = 200,000, it times (CPU, one thread) one assignment pass of Lloyd's kernel and one of the
filter on the same centres (those of iterations 1 .. 7 of a Lloyd run from k-means++ centres;
median over them), the filter's tree build, and counts the filter's distance computations as a
fraction of Lloyd's n k.  From these it reports:

* the filter's cost per distance computation in Lloyd distances (pass-time ratio / fraction),
  whose inverse is the fraction at which the filter stops paying;
* for candidate hand-over thresholds, how much slower a pass would be than the faster of the two
  if auto chose by "fraction above the threshold: Lloyd" (what ``_FILTER_MAX_WORK`` decides);
* the build's cost in Lloyd passes, against ``10 log2(n / leaf size) / k`` (what
  ``_passes_worth_a_tree`` assumes for 8 < d <= 16).

``python bench/bench_kmeans_auto.py [--quick]`` writes ``bench/results/kmeans_auto.md``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings

import numpy as np

KINDS = ("blobs, std 1", "blobs, std 3", "uniform")
THRESHOLDS = (0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3)


def _data(kind, n, d, k):
    from sklearn.datasets import make_blobs

    if kind == "uniform":
        X = np.random.default_rng(0).uniform(size=(n, d))
    else:
        X, _ = make_blobs(n, n_features=d, centers=k, cluster_std=float(kind[-1]), random_state=0)
    return np.ascontiguousarray(X, dtype=np.float64)


def measure(kind, n, d, k, passes=8):
    """Pass times of Lloyd's kernel and of the filter on the same centres, the build, the work."""
    from coursekit import kmeans as km
    from coursekit._kmeans_kernels import lloyd_step
    from coursekit.kmeans_filter import KDTree

    X = _data(kind, n, d, k)
    init = km.kmeans_plus_plus(X[:20_000], k, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fixed number of iterations is the point
        run = km.kmeans(X, k, init=init, tol=0, max_iter=passes, algorithm="lloyd", backend="numba")
    centres = run.history[1:passes]  # after the first move: the centres of a run under way
    c0 = time.process_time()
    tree = KDTree(X)
    build = time.process_time() - c0
    labels = np.empty(n, dtype=np.int64)
    lloyd, filt, work = [], [], []
    for c in centres:
        c0 = time.process_time()
        lloyd_step(X, c, labels)
        lloyd.append(time.process_time() - c0)
        c0 = time.process_time()
        tree.step(c)
        filt.append(time.process_time() - c0)
        work.append(tree.last_stats.distance_computations / (n * k))
    return {"kind": kind, "n": n, "d": d, "k": k, "n_iter": run.n_iter, "build": build,
            "lloyd": statistics.median(lloyd), "filter": statistics.median(filt),
            "work": statistics.median(work)}


def configurations(quick):
    if quick:
        return 20_000, (2, 8), (10, 50)
    return 200_000, (2, 4, 8, 12, 16, 24), (10, 50, 200)


def run(quick: bool = False) -> str:
    import numba
    from threadpoolctl import threadpool_limits

    from coursekit import kmeans as km
    from coursekit._kmeans_kernels import lloyd_step
    from coursekit.kmeans_filter import KDTree

    n, dims, ks = configurations(quick)
    numba.set_num_threads(1)
    KDTree(np.random.default_rng(0).uniform(size=(5000, 3))).step(np.eye(3))  # compile/load kernels
    lloyd_step(np.random.default_rng(0).uniform(size=(5000, 3)), np.eye(3))
    load_before = os.getloadavg()
    rows = []
    with threadpool_limits(limits=1):
        for kind in KINDS:
            for d in dims:
                for k in ks:
                    rows.append(measure(kind, n, d, k))
                    print(_row(rows[-1]), file=sys.stderr, flush=True)
    return _report(rows, n, (load_before, os.getloadavg()), quick, km)


def _row(r):
    ratio = r["filter"] / r["lloyd"]
    return (f"| {r['kind']} | {r['d']} | {r['k']} | {1e3 * r['lloyd']:.2f} | {1e3 * r['filter']:.2f} "
            f"| {ratio:.2f} | {100 * r['work']:.1f}% | {ratio / r['work']:.1f} | {1e3 * r['build']:.1f} "
            f"| {r['build'] / r['lloyd']:.1f} |")


def _report(rows, n, load, quick, km):
    import numba
    import sklearn

    from coursekit.kmeans_filter import DEFAULT_LEAF_SIZE

    lines = [
        f"## When the kd-tree filter pays: calibration of algorithm=\"auto\"{' (quick run)' if quick else ''}",
        "",
        f"n = {n:,}; CPU time, one thread (numba and BLAS/OpenMP); numba {numba.__version__}, scikit-learn "
        f"{sklearn.__version__} (data only); {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{load[0][0]:.1f} before, {load[1][0]:.1f} after). One pass = one assignment step with the sums "
        "of the update, on the centres of iterations 1-7 of a Lloyd run from k-means++ centres (median). "
        "Work = the filter's distance computations (point-centre, box tests, middle-of-box) / (n k).",
        "",
        "| data | d | k | Lloyd pass ms | filter pass ms | filter / Lloyd | work | cost of one filter "
        "computation (Lloyd distances) | tree build ms | build / Lloyd pass |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(r) for r in rows),
        "",
    ]
    costs = [r["filter"] / r["lloyd"] / r["work"] for r in rows if r["work"] > 0.02]
    if costs:
        lines += [
            f"Where the filter does real work (work > 2%), one of its distance computations costs "
            f"{min(costs):.1f}-{max(costs):.1f} Lloyd distances (median {statistics.median(costs):.1f}), so it "
            f"stops paying between {100 / max(costs):.0f}% and {100 / min(costs):.0f}% of n k.",
            "",
        ]
    lines += [
        "Hand-over threshold (auto: Lloyd's kernel when the work is above it): a pass's time over the "
        "faster of the two, over these cases.",
        "",
        "| threshold | worst | mean | cases more than 10% slower |",
        "|---:|---:|---:|---:|",
    ]
    for thr in THRESHOLDS:
        loss = [(r["filter"] if r["work"] <= thr else r["lloyd"]) / min(r["filter"], r["lloyd"]) for r in rows]
        mark = " (used)" if thr == km._FILTER_MAX_WORK else ""
        lines.append(f"| {thr:g}{mark} | {max(loss):.2f} | {statistics.mean(loss):.3f} "
                     f"| {sum(x > 1.1 for x in loss)} of {len(loss)} |")
    mid = [r for r in rows if km._FILTER_MAX_D < r["d"] <= km._FILTER_LAZY_MAX_D]
    if mid:
        c = [r["build"] / r["lloyd"] * r["k"] / np.log2(r["n"] / DEFAULT_LEAF_SIZE) for r in mid]
        lines += [
            "",
            f"Tree build at {km._FILTER_MAX_D} < d <= {km._FILTER_LAZY_MAX_D}, in Lloyd passes, "
            f"= c log2(n / {DEFAULT_LEAF_SIZE}) / k with c = {min(c):.1f}-{max(c):.1f} "
            f"(median {statistics.median(c):.1f}; auto assumes {km._TREE_BUILD_PASSES}).",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python bench/bench_kmeans_auto.py [--quick]`` (same output as run_all.py kmeans_auto)."""
    import run_all

    run_all.main(["kmeans_auto", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
