"""Benchmark: coursekit.kmeans.kmeans against sklearn.cluster.KMeans(algorithm="lloyd").

Both libraries start from the same initial centres (k-means++ on the data), run with
``tol=0`` and the same ``max_iter`` so that they do the same iterations (the table checks that
their iteration counts, labels and inertia agree), and are timed per iteration:
``time.process_time`` (CPU time, robust on a shared machine) and ``time.perf_counter`` (wall).
Each measurement is repeated and the median is reported; the order of the two libraries
alternates between repeats.  Thread counts are pinned to the same value for both:
``threadpoolctl.threadpool_limits`` (scikit-learn's OpenMP and BLAS) and
``numba.set_num_threads`` (coursekit's kernel).  Peak memory is measured in a fresh
subprocess per library: the growth of the peak resident set (VmHWM) during the fit, after the data were made
and both libraries warmed up.

``run(quick)`` returns the markdown report; ``python bench/bench_kmeans.py [--quick]`` also
writes it to ``bench/results/kmeans.md`` (``kmeans.quick.md`` for ``--quick``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MAX_ITER = 20


def make_data(n, d, k, seed=0):
    """Heavily overlapping Gaussian blobs and k-means++ centres.

    The blob means are N(0, I/d) apart on the scale of unit-variance noise, so Lloyd runs
    well past ``MAX_ITER`` iterations for every (n, d, k) here and both libraries time exactly
    ``MAX_ITER`` iterations.  X is filled in blocks so that making it costs no more memory
    than X itself (the peak-memory measurement starts after it).
    """
    from coursekit.kmeans import kmeans_plus_plus

    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1 / np.sqrt(d), size=(k, d))
    X = np.empty((n, d))
    block = 1 << 16
    for start in range(0, n, block):
        m = min(block, n - start)
        X[start : start + m] = means[rng.integers(k, size=m)] + rng.normal(size=(m, d))
    # Seed on a subsample: the seeding is not what is timed.
    init = kmeans_plus_plus(X[: min(n, 20_000)], k, rng=seed)
    return X, init


def _fit_sklearn(X, init, threads):
    from sklearn.cluster import KMeans

    km = KMeans(init.shape[0], init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=MAX_ITER).fit(X)
    return km.labels_, km.inertia_, km.n_iter_


def _fit_coursekit(X, init, threads):
    import numba

    from coursekit import ConvergenceWarning
    from coursekit.kmeans import kmeans

    numba.set_num_threads(threads)
    with warnings.catch_warnings():
        # tol=0 with a fixed max_iter is the point here, not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = kmeans(X, init.shape[0], init=init, tol=0.0, max_iter=MAX_ITER, backend="numba", algorithm="lloyd")
    return r.labels, r.inertia, r.n_iter


FITS = {"sklearn": _fit_sklearn, "coursekit": _fit_coursekit}


def _time(fit, X, init, threads):
    c0, w0 = time.process_time(), time.perf_counter()
    labels, inertia, n_iter = fit(X, init, threads)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return cpu / n_iter, wall / n_iter, labels, inertia, n_iter


def time_case(n, d, k, threads, repeats):
    _import_libraries()
    from threadpoolctl import threadpool_limits

    # Pinned once for the whole case, outside the timings: entering threadpool_limits scans the
    # process's libraries (milliseconds), which is not what is compared.  It only limits the
    # libraries already loaded, hence _import_libraries.
    with threadpool_limits(limits=threads):
        return _time_case(n, d, k, threads, repeats)


def _import_libraries():
    import sklearn.cluster  # noqa: F401
    import sklearn.datasets  # noqa: F401

    import coursekit._kmeans_filter_kernels  # noqa: F401
    import coursekit._kmeans_kernels  # noqa: F401
    import coursekit.kmeans  # noqa: F401


def _time_case(n, d, k, threads, repeats):
    X, init = make_data(n, d, k)
    for fit in FITS.values():  # warm-up: imports, numba compilation/cache load, thread pools
        fit(X[:2000], init, threads)
    samples = {name: [] for name in FITS}
    out = {}
    for r in range(repeats):
        order = list(FITS) if r % 2 == 0 else list(FITS)[::-1]
        for name in order:
            cpu, wall, labels, inertia, n_iter = _time(FITS[name], X, init, threads)
            samples[name].append((cpu, wall))
            out[name] = (labels, inertia, n_iter)
    med = {name: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v)) for name, v in samples.items()}
    (la, ia, na), (lb, ib, nb) = out["sklearn"], out["coursekit"]
    return {
        "n": n, "d": d, "k": k, "threads": threads, "repeats": repeats,
        "iters": (na, nb),
        "sk_cpu": med["sklearn"][0], "ck_cpu": med["coursekit"][0],
        "sk_wall": med["sklearn"][1], "ck_wall": med["coursekit"][1],
        "same_labels": float(np.mean(np.asarray(la) == np.asarray(lb))),
        "inertia_rel": abs(ia - ib) / abs(ia),
    }


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    sys.path.insert(0, {here!r})
    import bench_kmeans as b

    def peak_rss_kb():
        # VmHWM belongs to this process image; ru_maxrss would carry over the peak of the
        # (large) parent process across fork + exec on Linux.
        try:
            with open("/proc/self/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    n, d, k, lib = {n}, {d}, {k}, {lib!r}
    X, init = b.make_data(n, d, k)
    b.FITS[lib](X[:2000], init, 1)
    before = peak_rss_kb()
    tracemalloc.start()
    b.FITS[lib](X, init, 1)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    after = peak_rss_kb()
    print(json.dumps({{"rss_mb": (after - before) / 1024, "traced_mb": traced / 2**20,
                      "data_mb": X.nbytes / 2**20}}))
    """
)


def peak_memory(n, d, k, lib):
    """Extra peak memory (MB) of one fit in a fresh process, 1 thread: the growth of the
    peak resident set (VmHWM), and the peak of NumPy/Python allocations seen by tracemalloc (which misses
    scikit-learn's small C buffers; coursekit's kernel allocates nothing itself)."""
    script = _MEMORY_SCRIPT.format(here=HERE, n=n, d=d, k=k, lib=lib)
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_JIT_SCRIPT = textwrap.dedent(
    """
    import time
    t0 = time.perf_counter()
    import numpy as np
    from coursekit.kmeans import kmeans
    small = np.random.default_rng(0).normal(size=(200, 2))
    big = np.random.default_rng(0).normal(size=(100_000, 2))
    t1 = time.perf_counter()
    kmeans(small, 3, rng=0, backend="numpy")
    t2 = time.perf_counter()
    kmeans(small, 3, rng=0, backend="numba", algorithm="lloyd")
    t3 = time.perf_counter()
    kmeans(big, 3, rng=0, backend="numba", algorithm="lloyd", max_iter=1, tol=1e9)
    t4 = time.perf_counter()
    kmeans(small, 3, rng=0, backend="numba", algorithm="lloyd")
    t5 = time.perf_counter()
    kmeans(small, 3, rng=0, algorithm="filter")
    t6 = time.perf_counter()
    kmeans(small, 3, rng=1, algorithm="filter")
    t7 = time.perf_counter()
    print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{t3 - t2:.3f}} {{t4 - t3:.3f}} {{t5 - t4:.4f}} {{t6 - t5:.3f}} {{t7 - t6:.4f}}")
    """
)


def jit_cost():
    """Seconds in a fresh process, with an empty numba cache ("cold": compiles and fills it)
    and with the cache filled ("cached"): import, a first small NumPy-backend call, the first
    numba call (serial kernel), the first call on large data (parallel kernel), a later call."""
    res = {}
    keys = ("import", "numpy_call", "first_numba_call", "first_parallel_call", "later_call", "first_filter_call",
            "later_filter_call")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "cached"):
            out = subprocess.run([sys.executable, "-c", _JIT_SCRIPT.format()], capture_output=True, text=True,
                                 env=env, check=True)
            res[label] = dict(zip(keys, (float(x) for x in out.stdout.split())))
    return res


def configurations(quick):
    import numba

    if quick:
        return [20_000], [1], 3
    # numba cannot use more threads than NUMBA_NUM_THREADS (fixed when it was imported).
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    return [10_000, 100_000, 1_000_000], threads, 5


def run(quick: bool = False) -> str:
    """Run the benchmark and return the markdown report: the kd-tree filter first, then Lloyd."""
    filter_report = run_filter(quick)
    sizes, thread_counts, repeats = configurations(quick)
    load_before = os.getloadavg()
    rows = []
    for threads in thread_counts:
        for n in sizes:
            for d in (2, 16):
                for k in (3, 10):
                    rows.append(time_case(n, d, k, threads, repeats if n < 1_000_000 else max(3, repeats - 2)))
                    print(_row(rows[-1]), file=sys.stderr, flush=True)
    mem_n = sizes[-1]
    mem = {(d, k): {lib: peak_memory(mem_n, d, k, lib) for lib in FITS} for d in (2, 16) for k in (3, 10)}
    load = (load_before, os.getloadavg())
    jit = jit_cost()
    return filter_report + "\n" + _report(rows, mem, mem_n, jit, quick, load)


_HEADER = (
    "| n | d | k | threads | iters (sk/ck) | sklearn CPU ms/iter | coursekit CPU ms/iter | **ratio CPU** "
    "| sklearn wall ms/iter | coursekit wall ms/iter | ratio wall | same labels |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(r):
    return (
        f"| {r['n']:,} | {r['d']} | {r['k']} | {r['threads']} | {r['iters'][0]}/{r['iters'][1]} "
        f"| {1e3 * r['sk_cpu']:.2f} | {1e3 * r['ck_cpu']:.2f} | **{r['ck_cpu'] / r['sk_cpu']:.2f}** "
        f"| {1e3 * r['sk_wall']:.2f} | {1e3 * r['ck_wall']:.2f} | {r['ck_wall'] / r['sk_wall']:.2f} "
        f"| {100 * r['same_labels']:.2f}% |"
    )


def _report(rows, mem, mem_n, jit, quick, load):
    import numba
    import sklearn

    ratios = [r["ck_cpu"] / r["sk_cpu"] for r in rows]
    lines = [
        f"## k-means: coursekit vs scikit-learn{' (quick run)' if quick else ''}",
        "",
        f"Time per Lloyd iteration from identical k-means++ centres, tol=0, max_iter={MAX_ITER}; "
        f"median of repeats; ratio = coursekit / scikit-learn (< 1: coursekit faster). "
        f"scikit-learn {sklearn.__version__} (lloyd), numba {numba.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs shared with other jobs (load average {load[0][0]:.1f} before, {load[1][0]:.1f} "
        "after); data: heavily overlapping Gaussian blobs (float64), so every run does all the iterations.",
        "",
        _HEADER,
        *(_row(r) for r in rows),
        "",
        f"CPU-time ratio: median {statistics.median(ratios):.2f}, worst {max(ratios):.2f} "
        f"(target: within 1.2).",
        "",
        f"Extra peak memory of one fit at n = {mem_n:,} in a fresh process (1 thread; both libraries "
        "copy X once): growth of the peak resident set (VmHWM) / peak traced by tracemalloc, MB.",
        "",
        "| d | k | X MB | sklearn rss / traced | coursekit rss / traced |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {d} | {k} | {m['sklearn']['data_mb']:.0f} "
            f"| {m['sklearn']['rss_mb']:.0f} / {m['sklearn']['traced_mb']:.0f} "
            f"| {m['coursekit']['rss_mb']:.0f} / {m['coursekit']['traced_mb']:.0f} |"
            for (d, k), m in mem.items()
        ),
        "",
        "numba start-up (seconds, fresh process; cold = empty numba cache, compiles and fills it; "
        "cached = loads the compiled kernels from the cache):",
        "",
        "| cache | import coursekit.kmeans | first call, NumPy backend | first numba call (serial kernel) "
        "| first large call (parallel kernel) | later small call | first filter call | later filter call |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {j['import']:.2f} | {j['numpy_call']:.3f} | {j['first_numba_call']:.2f} "
            f"| {j['first_parallel_call']:.2f} | {j['later_call']:.4f} | {j['first_filter_call']:.2f} "
            f"| {j['later_filter_call']:.4f} |"
            for label, j in jit.items()
        ),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The kd-tree filtering algorithm (algorithm="filter") against scikit-learn's lloyd and elkan

FILTER_METHODS = ("ck_filter", "ck_lloyd", "sk_lloyd", "sk_elkan")
# The curve also times algorithm="auto" (what it chose, and whether that was the faster one).
CURVE_METHODS = FILTER_METHODS + ("ck_auto",)
# scikit-learn's elkan keeps an (n, k) float64 array of lower bounds; above this many bytes the
# run is skipped (it would only measure swapping).
_ELKAN_MAX_BYTES = 1 << 30


def filter_data(kind, n, d, k, seed=0):
    """``"blobs"``: ``sklearn.datasets.make_blobs(n, d, centers=k)`` (k unit-variance Gaussian blobs
    with centres uniform in (-10, 10)^d, shuffled); ``"uniform"``: uniform in the unit cube.
    Initial centres: k-means++ (coursekit's, greedy) on the first 20,000 points."""
    from sklearn.datasets import make_blobs

    from coursekit.kmeans import kmeans_plus_plus

    if kind == "blobs":
        X, _ = make_blobs(n, n_features=d, centers=k, random_state=seed)
    else:
        X = np.random.default_rng(seed).uniform(size=(n, d))
    X = np.ascontiguousarray(X, dtype=np.float64)
    return X, kmeans_plus_plus(X[: min(n, 20_000)], k, rng=seed)


def _filter_fit(method, X, init, threads, max_iter):
    import numba

    numba.set_num_threads(threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 with a fixed max_iter is the point here
        if method.startswith("sk_"):
            from sklearn.cluster import KMeans

            km = KMeans(init.shape[0], init=init, n_init=1, algorithm=method[3:], tol=0.0, max_iter=max_iter).fit(X)
            return km.labels_, km.inertia_, km.n_iter_, (None, method, [])
        from coursekit import kmeans_filter
        from coursekit.kmeans import kmeans

        backend = "auto" if method == "ck_auto" else "numba"
        builds = []
        tree_class = kmeans_filter.KDTree
        kmeans_filter.KDTree = _timed_tree(tree_class, builds)
        try:
            r = kmeans(X, init.shape[0], init=init, tol=0.0, max_iter=max_iter, algorithm=method[3:],
                       backend=backend)
        finally:
            kmeans_filter.KDTree = tree_class
        return r.labels, r.inertia, r.n_iter, (r.stats, r.algorithm, builds)


def _timed_tree(tree_class, builds):
    """``KDTree`` whose construction appends its (CPU, wall) seconds to ``builds``: the tree build
    inside the very fit being timed (``kmeans`` builds its tree through ``kmeans_filter.KDTree``)."""

    class TimedKDTree(tree_class):
        def __init__(self, *args, **kwargs):
            c0, w0 = time.process_time(), time.perf_counter()
            super().__init__(*args, **kwargs)
            builds.append((time.process_time() - c0, time.perf_counter() - w0))

    return TimedKDTree


def _time_build(X, repeats):
    from coursekit.kmeans_filter import KDTree

    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        tree = KDTree(X)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), tree


def filter_case(kind, n, d, k, threads, repeats, max_iter=MAX_ITER, methods=FILTER_METHODS):
    """Fit time (CPU and wall, median of ``repeats``, methods alternating in order) of every
    method from the same centres, the filter's tree build alone, and agreement checks."""
    _import_libraries()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):  # once, outside the timings (see time_case)
        return _filter_case(kind, n, d, k, threads, repeats, max_iter, methods)


def _filter_case(kind, n, d, k, threads, repeats, max_iter, methods):
    import numba

    from coursekit.kmeans import _select_algorithm

    numba.set_num_threads(threads)
    X, init = filter_data(kind, n, d, k)
    methods = [m for m in methods if not (m == "sk_elkan" and n * k * 8 > _ELKAN_MAX_BYTES)]
    for m in methods:  # warm-up: imports, compilation or cache load, thread pools
        _filter_fit(m, X[:3000], init, threads, 2)
    samples = {m: [] for m in methods}
    builds, per_iter = [], []
    out = {}
    for r in range(repeats):
        for m in (methods if r % 2 == 0 else methods[::-1]):
            c0, w0 = time.process_time(), time.perf_counter()
            labels, inertia, n_iter, stats = _filter_fit(m, X, init, threads, max_iter)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            samples[m].append((cpu, wall))
            if m == "ck_filter":  # this fit's own tree build, and the rest of it per iteration
                (build_c, build_w), = stats[2]
                builds.append((build_c, build_w))
                per_iter.append(((cpu - build_c) / n_iter, (wall - build_w) / n_iter))
            out[m] = (labels, inertia, n_iter, stats)
    _, _, tree = _time_build(X, 1)
    build_cpu = statistics.median(b[0] for b in builds)
    build_wall = statistics.median(b[1] for b in builds)
    res = {"kind": kind, "n": n, "d": d, "k": k, "threads": threads, "repeats": repeats,
           "build_cpu": build_cpu, "build_wall": build_wall, "tree_mb": tree.nbytes / 2**20,
           "depth": tree.depth, "nodes": tree.n_nodes, "auto": _select_algorithm("auto", "auto", n, k, d)}
    for m in methods:
        res[m] = {"cpu": statistics.median(s[0] for s in samples[m]),
                  "wall": statistics.median(s[1] for s in samples[m]), "n_iter": out[m][2]}
    ref_labels, ref_inertia = out["sk_lloyd"][0], out["sk_lloyd"][1]
    res["same_labels"] = {m: bool(np.array_equal(out[m][0], ref_labels)) for m in methods}
    res["same_iters"] = len({out[m][2] for m in methods}) == 1
    res["inertia_rel"] = max(abs(out[m][1] - ref_inertia) / ref_inertia for m in methods)
    stats = out["ck_filter"][3][0]
    n_iter = out["ck_filter"][2]
    if "ck_auto" in out:
        auto_stats, res["auto_ran"], _ = out["ck_auto"][3]
        res["auto_filter_passes"] = len(auto_stats) if auto_stats else 0
    res["dist_fraction"] = float(np.mean([s.distance_computations for s in stats[:n_iter]])) / (n * k)
    res["settled_fraction"] = float(np.mean([s.points_settled for s in stats[:n_iter]])) / n
    # The filter's iteration: each fit minus the tree build timed inside that same fit, per
    # iteration (includes validation and the final assignment, as scikit-learn's per-iteration
    # figure does); median over the repeats.
    res["filter_iter_cpu"] = statistics.median(p[0] for p in per_iter)
    res["filter_iter_wall"] = statistics.median(p[1] for p in per_iter)
    sk = [m for m in methods if m.startswith("sk_")]
    res["methods"] = methods
    res["sk_best"] = min(sk, key=lambda m: res[m]["cpu"])
    return res


_FILTER_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {here!r})
    import bench_kmeans as b

    def peak_rss_kb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

    X, init = b.filter_data({kind!r}, {n}, {d}, {k})
    b._filter_fit({method!r}, X[:3000], init, 1, 2)  # warm-up: imports, kernels loaded
    before = peak_rss_kb()
    b._filter_fit({method!r}, X, init, 1, 2)
    print(json.dumps({{"rss_mb": (peak_rss_kb() - before) / 1024, "data_mb": X.nbytes / 2**20}}))
    """
)


def filter_peak_memory(kind, n, d, k, method):
    """Growth of the peak resident set (MB) during one 2-iteration fit, fresh process, 1 thread."""
    script = _FILTER_MEMORY_SCRIPT.format(here=HERE, kind=kind, n=n, d=d, k=k, method=method)
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def filter_configurations(quick):
    """(headline cases, curve cases, repeats): (kind, n, d, k[, threads])."""
    import numba

    if quick:
        return [("blobs", 20_000, 2, 10, 1)], [("blobs", 20_000, 2, 10)], 1
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    headline = [(kind, 1_000_000, 2, 50, t) for t in threads for kind in ("blobs", "uniform")]
    curve = [("blobs", n, 2, 50) for n in (10_000, 30_000, 100_000, 300_000, 1_000_000)]
    curve += [("blobs", 300_000, d, 50) for d in (1, 3, 4, 5, 6, 8, 12, 16)]
    curve += [("blobs", 300_000, 2, k) for k in (3, 10, 30, 100, 200)]
    curve += [("uniform", 300_000, d, 50) for d in (2, 4, 8, 12, 16)]
    return headline, curve, 3


def run_filter(quick=False):
    """The filter's section of the report (headline, curves, memory)."""
    headline_cases, curve_cases, repeats = filter_configurations(quick)
    load_before = os.getloadavg()
    headline = []
    for kind, n, d, k, threads in headline_cases:
        headline.append(filter_case(kind, n, d, k, threads, repeats))
        print(_filter_headline_row(headline[-1]), file=sys.stderr, flush=True)
    curve = []
    for kind, n, d, k in curve_cases:
        curve.append(filter_case(kind, n, d, k, 1, 1 if n >= 1_000_000 else repeats, methods=CURVE_METHODS))
        print(_filter_curve_row(curve[-1]), file=sys.stderr, flush=True)
    kind, n, d, k, _ = headline_cases[0]
    mem = {m: filter_peak_memory(kind, n, d, k, m) for m in FILTER_METHODS}
    load_after = os.getloadavg()
    return _filter_report(headline, curve, mem, headline_cases[0], load_before, load_after, quick)


def _ms(x):
    return f"{1e3 * x:.1f}" if x >= 0.01 else f"{1e3 * x:.2f}"


def _filter_headline_row(r):
    sk = r[r["sk_best"]]
    cells = [f"{r['kind']}", f"{r['threads']}"]
    for m in FILTER_METHODS:
        cells.append(f"{_ms(r[m]['cpu'])} / {_ms(r[m]['wall'])}" if m in r else "skipped")
    cells += [f"{_ms(r['build_cpu'])}", f"{_ms(r['filter_iter_cpu'])}",
              f"{_ms(sk['cpu'] / sk['n_iter'])} ({r['sk_best'][3:]})",
              f"**{sk['cpu'] / sk['n_iter'] / r['filter_iter_cpu']:.1f}x**",
              f"**{sk['cpu'] / r['ck_filter']['cpu']:.1f}x**",
              f"{sk['wall'] / r['ck_filter']['wall']:.1f}x",
              f"{r['ck_filter']['n_iter']}", f"{100 * r['dist_fraction']:.2f}%",
              "yes" if all(r["same_labels"].values()) and r["same_iters"] else "**NO**"]
    return "| " + " | ".join(cells) + " |"


def _filter_curve_row(r):
    sk = r[r["sk_best"]]
    f, ll = r["ck_filter"], r["ck_lloyd"]
    auto = r.get("ck_auto")
    if auto is None:
        auto_cell = f"starts {r['auto']}"
    else:
        passes = r["auto_filter_passes"]
        ran = f"{r['auto']}, ended on {r['auto_ran']} ({passes} filter pass{'es' if passes != 1 else ''})"
        auto_cell = f"{ran}: {_ms(auto['cpu'])} ({auto['cpu'] / min(f['cpu'], ll['cpu']):.2f}x the faster)"
    cells = [r["kind"], f"{r['n']:,}", f"{r['d']}", f"{r['k']}", f"{f['n_iter']}",
             _ms(r["build_cpu"]), _ms(r["filter_iter_cpu"]), _ms(f["cpu"]), _ms(ll["cpu"]),
             f"{_ms(sk['cpu'])} ({r['sk_best'][3:]})", f"**{sk['cpu'] / f['cpu']:.1f}x**",
             f"{ll['cpu'] / f['cpu']:.2f}x", f"{100 * r['dist_fraction']:.2f}%", f"{r['tree_mb']:.0f}",
             auto_cell, "yes" if all(r["same_labels"].values()) and r["same_iters"] else "**NO**"]
    return "| " + " | ".join(cells) + " |"


def _filter_report(headline, curve, mem, mem_case, load_before, load_after, quick):
    import numba
    import sklearn

    lines = [
        f"## k-means with a kd-tree (algorithm=\"filter\") vs scikit-learn{' (quick run)' if quick else ''}",
        "",
        f"scikit-learn {sklearn.__version__} (lloyd and elkan), numba {numba.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs shared with other jobs (load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after). Every method starts from the same k-means++ centres with tol=0 and "
        f"max_iter={MAX_ITER}; threads pinned to the same count for all (threadpoolctl for scikit-learn's "
        "OpenMP/BLAS, numba.set_num_threads for coursekit). Times are whole `fit` calls (validation, the "
        "tree build for the filter, every iteration, the final assignment); median of repeats, methods "
        "alternating. The filter's time per iteration is (its fit - the tree build timed inside that same "
        "fit) / iterations, median over the repeats; its tree build column is the median of those builds; "
        "scikit-learn's is fit / iterations. \"same\" checks that all four give scikit-learn lloyd's labels "
        "and number of iterations.",
        "",
        f"### n = {headline[0]['n']:,}, d = {headline[0]['d']}, k = {headline[0]['k']} (CPU / wall ms per fit)",
        "",
        "| data | threads | coursekit filter | coursekit lloyd | sklearn lloyd | sklearn elkan | filter tree build "
        "CPU | **filter CPU ms/iter** | sklearn's fastest CPU ms/iter | **iteration speed-up (CPU)** | "
        "**whole-fit speed-up (CPU)** | whole-fit speed-up (wall) | iterations | distances / (n k) | same |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(_filter_headline_row(r) for r in headline),
        "",
        "### Where it pays off (one thread, CPU ms)",
        "",
        "The last-but-one column times `algorithm=\"auto\"` (the default): what it starts with (`filter`; "
        "`lloyd-then-filter`, Lloyd's kernel until the run has lasted as many passes as the tree costs; "
        "`lloyd`), what finished the run, how many passes the filter made, its fit time and that time over "
        "the faster of the filter and Lloyd's kernel.",
        "",
        "| data | n | d | k | iterations | tree build | filter ms/iter | filter fit | coursekit lloyd fit "
        "| sklearn's fastest fit | **sklearn / filter** | lloyd / filter | distances / (n k) | tree MB "
        "| algorithm=\"auto\": ran, fit | same |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        *(_filter_curve_row(r) for r in curve),
        "",
        f"Extra peak memory of one fit ({mem_case[0]}, n = {mem_case[1]:,}, d = {mem_case[2]}, k = {mem_case[3]}; "
        "growth of the peak resident set in a fresh process, 1 thread; X is "
        f"{mem['ck_filter']['data_mb']:.0f} MB): "
        + ", ".join(f"{m.replace('_', ' ')} {v['rss_mb']:.0f} MB" for m, v in mem.items()) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    """``python bench/bench_kmeans.py [--quick]``: run this benchmark alone (same output as run_all.py)."""
    import run_all

    run_all.main(["kmeans", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
