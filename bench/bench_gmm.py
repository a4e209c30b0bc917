"""Benchmark: coursekit.mixture.fit against sklearn.mixture.GaussianMixture.

Both libraries start from the same parameters (random data points as means, equal weights, the
data covariance restricted to the covariance type; scikit-learn gets them as ``weights_init``,
``means_init`` and ``precisions_init``), run with ``tol=0`` and the same ``max_iter`` so they do
the same EM iterations (the table checks that their per-iteration log-likelihoods agree), and
are timed per iteration: fit time / iterations, where the fit includes input validation and the
final E-step of both (the thread limits are set once per case, outside the timed fits).  ``time.process_time`` (CPU time, robust on a shared machine) and
``time.perf_counter`` (wall) are both reported; each measurement is repeated and the median
kept, alternating which library goes first.  BLAS/OpenMP threads are pinned to the same count
for both with ``threadpoolctl.threadpool_limits``.  Peak memory is measured with
``tracemalloc`` (NumPy reports its allocations to it) in a fresh subprocess per library: the
peak of traced memory during one fit above what was allocated before it (the data).

``run(quick)`` returns the markdown report; ``python bench/bench_gmm.py [--quick]`` also writes
it to ``bench/results/gmm.md`` (``gmm.quick.md`` for ``--quick``) and prints it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COV_TYPES = ("full", "diag", "spherical")


def make_data(n, d, k, covariance_type, seed=0):
    """Overlapping Gaussian blobs and a common starting point for both libraries.

    Returns ``X`` (n, d), coursekit's ``init = (weights, means, covariances (k, d, d))`` and
    scikit-learn's ``precisions_init`` in its per-type shape.
    """
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 2.0, size=(k, d))
    scales = rng.uniform(0.5, 1.5, size=k)
    z = rng.integers(k, size=n)
    X = centers[z] + rng.standard_normal((n, d)) * scales[z, None]
    weights = np.full(k, 1.0 / k)
    means = X[rng.choice(n, size=k, replace=False)]
    cov = np.cov(X[: min(n, 100_000)], rowvar=False).reshape(d, d)
    if covariance_type == "full":
        covs = np.repeat(cov[None], k, axis=0)
        precisions = np.linalg.inv(covs)
    elif covariance_type == "diag":
        covs = np.repeat(np.diag(np.diag(cov))[None], k, axis=0)
        precisions = np.repeat((1.0 / np.diag(cov))[None], k, axis=0)
    else:
        var = np.mean(np.diag(cov))
        covs = np.repeat((np.eye(d) * var)[None], k, axis=0)
        precisions = np.full(k, 1.0 / var)
    return X, (weights, means, covs), precisions


def fit_sklearn(X, init, precisions, covariance_type, max_iter, threads):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(
        init[0].shape[0], covariance_type=covariance_type, weights_init=init[0], means_init=init[1],
        precisions_init=precisions, max_iter=max_iter, tol=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 with a fixed max_iter is intended
        gm.fit(X)
    return list(gm.lower_bounds_), gm.n_iter_


def fit_coursekit(X, init, precisions, covariance_type, max_iter, threads):
    from coursekit import ConvergenceWarning
    from coursekit.mixture import fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = fit(X, init[0].shape[0], covariance_type=covariance_type, init=init, max_iter=max_iter, tol=0.0)
    # coursekit's log-likelihood is a sum over the points, scikit-learn's lower_bounds_ a mean
    return list(np.asarray(r.log_likelihood[:-1]) / len(X)), r.n_iter


FITS = {"sklearn": fit_sklearn, "coursekit": fit_coursekit}


def time_case(n, d, k, covariance_type, threads, repeats, max_iter):
    import numba
    import sklearn.mixture  # noqa: F401  (loads scipy's BLAS before the limits are set)
    from threadpoolctl import threadpool_limits

    import coursekit._mixture_kernels  # noqa: F401
    import coursekit.mixture  # noqa: F401

    # Pinned once for the whole case, outside the timings: entering threadpool_limits scans the
    # process's libraries (milliseconds), which is not what is compared.  It only limits the
    # libraries already loaded, hence the imports above.
    numba.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        return _time_case(n, d, k, covariance_type, threads, repeats, max_iter)


def _time_case(n, d, k, covariance_type, threads, repeats, max_iter):
    X, init, precisions = make_data(n, d, k, covariance_type)
    for fit in FITS.values():  # warm-up: imports, thread pools, caches
        fit(X[:2000], init, precisions, covariance_type, 2, threads)
    samples = {name: [] for name in FITS}
    curves = {}
    for r in range(repeats):
        order = list(FITS) if r % 2 == 0 else list(FITS)[::-1]
        for name in order:
            c0, w0 = time.process_time(), time.perf_counter()
            curve, n_iter = FITS[name](X, init, precisions, covariance_type, max_iter, threads)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            samples[name].append((cpu / n_iter, wall / n_iter))
            curves[name] = curve
    med = {name: tuple(statistics.median(s[i] for s in v) for i in range(2)) for name, v in samples.items()}
    a, b = np.array(curves["sklearn"]), np.array(curves["coursekit"])
    return {
        "n": n, "d": d, "k": k, "type": covariance_type, "threads": threads, "iters": max_iter,
        "sk_cpu": med["sklearn"][0], "ck_cpu": med["coursekit"][0],
        "sk_wall": med["sklearn"][1], "ck_wall": med["coursekit"][1],
        "ll_rel": float(np.max(np.abs(a - b) / np.abs(a))) if a.shape == b.shape else float("nan"),
    }


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys, tracemalloc
    sys.path.insert(0, {here!r})
    import bench_gmm as b
    n, d, k, ct, lib = {n}, {d}, {k}, {ct!r}, {lib!r}
    X, init, prec = b.make_data(n, d, k, ct)
    # Warm-up on enough rows to take the same code path (compiled E-step or not) as the fit.
    b.FITS[lib](X[: max(2000, 60_000 // (k * d))], init, prec, ct, 2, 1)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    b.FITS[lib](X, init, prec, ct, 2, 1)
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({{"peak_mb": (peak - base) / 2**20, "data_mb": X.nbytes / 2**20}}))
    """
)


def peak_memory(n, d, k, covariance_type, lib):
    """Peak traced memory (MB) of one 2-iteration fit above the data, in a fresh process."""
    script = _MEMORY_SCRIPT.format(here=HERE, n=n, d=d, k=k, ct=covariance_type, lib=lib)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def configurations(quick):
    """(sizes, thread counts, repeats, max_iter per size)."""
    if quick:
        return [20_000], [1], 3, {20_000: 10}
    return [10_000, 100_000, 1_000_000], [1], 5, {10_000: 20, 100_000: 10, 1_000_000: 5}


def flops_per_iteration(n, d, k, covariance_type):
    """Floating-point operations one EM iteration cannot avoid (a multiply-add counts 2; exp and
    log count 1), per point and component, times n k:

    * "full": x - mu (d), the triangular product L^{-1}(x - mu) (d(d + 1)), its squared norm
      (2d), the log-density and normalisation (5), the statistics r (x - mu) (2d) and the upper
      triangle of r (x - mu)(x - mu)^T (d(d + 1)): 2d^2 + 6d + 5;
    * "diag": (x - mu)^2 / sigma^2 summed (4d), normalisation (5), r x, r x^2 (4d): 8d + 5;
    * "spherical": |x - mu|^2 (3d), normalisation (5), r x, r x^2 (4d): 7d + 5.

    The M-step's O(k d^3) is negligible here.
    """
    per = {"full": 2 * d * d + 6 * d + 5, "diag": 8 * d + 5, "spherical": 7 * d + 5}[covariance_type]
    return n * k * per


def dgemm_rate(threads=1, size=1000, repeats=5):
    """The machine's practical peak: GFLOP/s of a size x size DGEMM (numpy's BLAS, pinned threads)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(size, size)), rng.normal(size=(size, size))
    with threadpool_limits(limits=threads):
        a @ b
        best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(f):
    c0 = time.process_time()
    f()
    return time.process_time() - c0


def run(quick: bool = False) -> str:
    """Run the benchmark and return the markdown report."""
    sizes, thread_counts, repeats, iters = configurations(quick)
    load_before = os.getloadavg()
    rows = []
    for threads in thread_counts:
        for n in sizes:
            for d in (2, 16):
                for k in (3, 10):
                    for ct in COV_TYPES:
                        reps = repeats if n < 1_000_000 else 3
                        rows.append(time_case(n, d, k, ct, threads, reps, iters[n]))
                        print(_row(rows[-1]), file=sys.stderr, flush=True)
    mem_n = sizes[-1]
    mem = {}
    for d in (2, 16):
        for k in (3, 10):
            for ct in COV_TYPES:
                mem[(d, k, ct)] = {lib: peak_memory(mem_n, d, k, ct, lib) for lib in FITS}
    peak = dgemm_rate()
    return _report(rows, mem, mem_n, quick, peak, (load_before, os.getloadavg()))


_HEADER = (
    "| n | d | k | type | iters | sklearn CPU ms/iter | coursekit CPU ms/iter | **ratio CPU** "
    "| sklearn wall ms/iter | coursekit wall ms/iter | ratio wall | max rel. diff. log-lik. "
    "| FLOP floor ms/iter | coursekit / floor | sklearn / floor |\n"
    "|---:|---:|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(r, peak=None):
    floor = flops_per_iteration(r["n"], r["d"], r["k"], r["type"]) / (peak * 1e9) if peak else float("nan")
    return (
        f"| {r['n']:,} | {r['d']} | {r['k']} | {r['type']} | {r['iters']} "
        f"| {1e3 * r['sk_cpu']:.2f} | {1e3 * r['ck_cpu']:.2f} | **{r['ck_cpu'] / r['sk_cpu']:.2f}** "
        f"| {1e3 * r['sk_wall']:.2f} | {1e3 * r['ck_wall']:.2f} | {r['ck_wall'] / r['sk_wall']:.2f} "
        f"| {r['ll_rel']:.1e} | {1e3 * floor:.3f} | {r['ck_cpu'] / floor:.0f}x | {r['sk_cpu'] / floor:.0f}x |"
    )


def _versions():
    import numpy
    import scipy
    import sklearn

    return (
        f"scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )


def _report(rows, mem, mem_n, quick, peak, load):
    ratios = [r["ck_cpu"] / r["sk_cpu"] for r in rows]
    lines = [
        f"## GMM: coursekit vs scikit-learn{' (quick run)' if quick else ''}",
        "",
        "Time per EM iteration (fit time / iterations, both including validation and the final E-step) "
        "from identical initial parameters, tol=0; median of repeats; 1 thread for both (BLAS/OpenMP through threadpoolctl, coursekit's numba kernel through numba.set_num_threads); "
        "ratio = coursekit / scikit-learn (< 1: coursekit faster). " + _versions()
        + f" shared with other jobs (load average {load[0][0]:.1f} before, {load[1][0]:.1f} after); data: overlapping "
        "Gaussian blobs (float64). The last column is the largest relative difference between the two "
        "libraries' per-iteration log-likelihoods. FLOP floor: the arithmetic one EM iteration cannot "
        "avoid (`flops_per_iteration`: 2d^2 + 6d + 5 per point and component for full, 8d + 5 diag, "
        f"7d + 5 spherical) at this machine's one-thread DGEMM rate ({peak:.1f} GFLOP/s, measured in "
        "the same run); the last two columns are each library's time in multiples of it.",
        "",
        _HEADER,
        *(_row(r, peak) for r in rows),
        "",
        f"CPU-time ratio: median {statistics.median(ratios):.2f}, best {min(ratios):.2f}, worst "
        f"{max(ratios):.2f} (target: <= 0.5).",
        "",
        f"Peak memory of one fit at n = {mem_n:,} (tracemalloc peak above the data, fresh process, 1 thread). "
        "coursekit copies X once (validation), keeps the E-step in blocks of rows and allocates (n, k) only "
        "for the returned responsibilities; scikit-learn materialises several (n, k) and (n, d) arrays:",
        "",
        "| d | k | type | data MB | sklearn peak MB | coursekit peak MB | ratio |",
        "|---:|---:|:---|---:|---:|---:|---:|",
    ]
    for (d, k, ct), v in mem.items():
        sk, ck = v["sklearn"]["peak_mb"], v["coursekit"]["peak_mb"]
        lines.append(
            f"| {d} | {k} | {ct} | {v['sklearn']['data_mb']:.0f} | {sk:.1f} | {ck:.1f} | {ck / sk:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python bench/bench_gmm.py [--quick]``: run this benchmark alone (same output as run_all.py)."""
    import run_all

    run_all.main(["gmm", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
