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
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        km = KMeans(init.shape[0], init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=MAX_ITER).fit(X)
    return km.labels_, km.inertia_, km.n_iter_


def _fit_coursekit(X, init, threads):
    import numba
    from threadpoolctl import threadpool_limits

    from coursekit import ConvergenceWarning
    from coursekit.kmeans import kmeans

    numba.set_num_threads(threads)
    with threadpool_limits(limits=threads), warnings.catch_warnings():
        # tol=0 with a fixed max_iter is the point here, not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = kmeans(X, init.shape[0], init=init, tol=0.0, max_iter=MAX_ITER, backend="numba")
    return r.labels, r.inertia, r.n_iter


FITS = {"sklearn": _fit_sklearn, "coursekit": _fit_coursekit}


def _time(fit, X, init, threads):
    c0, w0 = time.process_time(), time.perf_counter()
    labels, inertia, n_iter = fit(X, init, threads)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return cpu / n_iter, wall / n_iter, labels, inertia, n_iter


def time_case(n, d, k, threads, repeats):
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
    kmeans(small, 3, rng=0, backend="numba")
    t3 = time.perf_counter()
    kmeans(big, 3, rng=0, backend="numba", max_iter=1, tol=1e9)
    t4 = time.perf_counter()
    kmeans(small, 3, rng=0, backend="numba")
    t5 = time.perf_counter()
    print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{t3 - t2:.3f}} {{t4 - t3:.3f}} {{t5 - t4:.4f}}")
    """
)


def jit_cost():
    """Seconds in a fresh process, with an empty numba cache ("cold": compiles and fills it)
    and with the cache filled ("cached"): import, a first small NumPy-backend call, the first
    numba call (serial kernel), the first call on large data (parallel kernel), a later call."""
    res = {}
    keys = ("import", "numpy_call", "first_numba_call", "first_parallel_call", "later_call")
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
    """Run the benchmark and return the markdown report."""
    sizes, thread_counts, repeats = configurations(quick)
    rows = []
    for threads in thread_counts:
        for n in sizes:
            for d in (2, 16):
                for k in (3, 10):
                    rows.append(time_case(n, d, k, threads, repeats if n < 1_000_000 else max(3, repeats - 2)))
                    print(_row(rows[-1]), file=sys.stderr, flush=True)
    mem_n = sizes[-1]
    mem = {(d, k): {lib: peak_memory(mem_n, d, k, lib) for lib in FITS} for d in (2, 16) for k in (3, 10)}
    jit = jit_cost()
    return _report(rows, mem, mem_n, jit, quick)


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


def _report(rows, mem, mem_n, jit, quick):
    import numba
    import sklearn

    ratios = [r["ck_cpu"] / r["sk_cpu"] for r in rows]
    lines = [
        f"## k-means: coursekit vs scikit-learn{' (quick run)' if quick else ''}",
        "",
        f"Time per Lloyd iteration from identical k-means++ centres, tol=0, max_iter={MAX_ITER}; "
        f"median of repeats; ratio = coursekit / scikit-learn (< 1: coursekit faster). "
        f"scikit-learn {sklearn.__version__} (lloyd), numba {numba.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs; data: heavily overlapping Gaussian blobs (float64), so every run does all the iterations.",
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
        "| first large call (parallel kernel) | later small call |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {j['import']:.2f} | {j['numpy_call']:.3f} | {j['first_numba_call']:.2f} "
            f"| {j['first_parallel_call']:.2f} | {j['later_call']:.4f} |"
            for label, j in jit.items()
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    """``python bench/bench_kmeans.py [--quick]``: run this benchmark alone (same output as run_all.py)."""
    import run_all

    run_all.main(["kmeans", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
