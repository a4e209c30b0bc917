"""Compiled k-means kernel (numba): the assignment and accumulation steps fused in one pass.

For each point the kernel finds the nearest centre, adds the point to that cluster's sum and
count, and adds its squared distance to the objective, so the data are read once per
iteration and nothing of size (n, k) is ever stored.  The readable NumPy version of the same
step is ``coursekit.kmeans._numpy_step`` (``assign`` followed by the sums of ``update``).

Parallelism and reproducibility
    The rows are cut into a number of chunks that depends on n only (never on the thread
    count); each chunk accumulates its own partial sums, which are then added in chunk order.
    The result is therefore bit-for-bit the same whatever the number of threads.  The thread
    count is numba's: ``numba.set_num_threads(t)`` or the ``NUMBA_NUM_THREADS`` variable.

Compilation
    ``cache=True`` stores the machine code in ``__pycache__`` on first use, so only the very
    first call on a machine pays the JIT compile; later processes load it from disk.
    ``fastmath`` lets LLVM vectorise the distance sums (inputs are validated finite, so the
    no-NaN/no-inf assumptions hold).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def _jit(**options):
    """``numba.njit(cache=True, nogil=True, fastmath=True, **options)``, without the cache when
    there is nowhere to write it (a read-only install and home directory): numba refuses to
    decorate in that case instead of just compiling every time."""
    def decorate(func):
        try:
            return njit(cache=True, nogil=True, fastmath=True, **options)(func)
        except RuntimeError:
            return njit(cache=False, nogil=True, fastmath=True, **options)(func)

    return decorate

# Rows per chunk (at least) and the most chunks (bounds the (chunks, k, d) partial-sum buffer).
_MIN_CHUNK_ROWS = 512
_MAX_CHUNKS = 256
# Below this many point-centre-coordinate operations per pass, run the chunks serially.
_SERIAL_WORK = 1 << 18


# Nearest centre of one point (label, squared distance), ties to the lowest index.  The chunk
# kernels below and the kd-tree filter (coursekit/_kmeans_filter_kernels.py, for its rare
# near-ties) call these same functions, so both compute a point's distances the same way.
# Start from centre 0 rather than +inf (fastmath assumes no infinities).


@_jit(inline="always")
def _nearest_generic(X, i, centers):  # pragma: no cover
    d = X.shape[1]
    k = centers.shape[0]
    best = 0.0
    for t in range(d):
        diff = X[i, t] - centers[0, t]
        best += diff * diff
    label = 0
    for j in range(1, k):
        dist = 0.0
        for t in range(d):
            diff = X[i, t] - centers[j, t]
            dist += diff * diff
        if dist < best:
            best = dist
            label = j
    return label, best


# The same with the coordinates unrolled for d = 1, 2, 3 (lines, the book's plane, RGB
# colours): a runtime-length d-loop keeps LLVM from holding the point in registers, which
# costs up to 1.7x at d = 2.


@_jit(inline="always")
def _nearest_d1(X, i, centers):  # pragma: no cover
    k = centers.shape[0]
    x0 = X[i, 0]
    a = x0 - centers[0, 0]
    best = a * a
    label = 0
    for j in range(1, k):
        a = x0 - centers[j, 0]
        dist = a * a
        if dist < best:
            best = dist
            label = j
    return label, best


@_jit(inline="always")
def _nearest_d2(X, i, centers):  # pragma: no cover
    k = centers.shape[0]
    x0 = X[i, 0]
    x1 = X[i, 1]
    a = x0 - centers[0, 0]
    b = x1 - centers[0, 1]
    best = a * a + b * b
    label = 0
    for j in range(1, k):
        a = x0 - centers[j, 0]
        b = x1 - centers[j, 1]
        dist = a * a + b * b
        if dist < best:
            best = dist
            label = j
    return label, best


@_jit(inline="always")
def _nearest_d3(X, i, centers):  # pragma: no cover
    k = centers.shape[0]
    x0 = X[i, 0]
    x1 = X[i, 1]
    x2 = X[i, 2]
    a = x0 - centers[0, 0]
    b = x1 - centers[0, 1]
    c = x2 - centers[0, 2]
    best = a * a + b * b + c * c
    label = 0
    for j in range(1, k):
        a = x0 - centers[j, 0]
        b = x1 - centers[j, 1]
        c = x2 - centers[j, 2]
        dist = a * a + b * b + c * c
        if dist < best:
            best = dist
            label = j
    return label, best


@_jit()
def nearest(X, i, centers):  # pragma: no cover
    """Nearest centre of point ``X[i]``: ``(label, squared distance)``, exactly as the Lloyd kernel."""
    d = X.shape[1]
    if d == 1:
        return _nearest_d1(X, i, centers)
    if d == 2:
        return _nearest_d2(X, i, centers)
    if d == 3:
        return _nearest_d3(X, i, centers)
    return _nearest_generic(X, i, centers)


@_jit()
def _chunk_generic(X, centers, labels, sums, counts, start, stop):  # pragma: no cover
    d = X.shape[1]
    objective = 0.0
    for i in range(start, stop):
        label, best = _nearest_generic(X, i, centers)
        labels[i] = label
        counts[label] += 1.0
        for t in range(d):
            sums[label, t] += X[i, t]
        objective += best
    return objective


@_jit()
def _chunk_d1(X, centers, labels, sums, counts, start, stop):  # pragma: no cover
    d = X.shape[1]
    objective = 0.0
    for i in range(start, stop):
        label, best = _nearest_d1(X, i, centers)
        labels[i] = label
        counts[label] += 1.0
        for t in range(d):
            sums[label, t] += X[i, t]
        objective += best
    return objective


@_jit()
def _chunk_d2(X, centers, labels, sums, counts, start, stop):  # pragma: no cover
    d = X.shape[1]
    objective = 0.0
    for i in range(start, stop):
        label, best = _nearest_d2(X, i, centers)
        labels[i] = label
        counts[label] += 1.0
        for t in range(d):
            sums[label, t] += X[i, t]
        objective += best
    return objective


@_jit()
def _chunk_d3(X, centers, labels, sums, counts, start, stop):  # pragma: no cover
    d = X.shape[1]
    objective = 0.0
    for i in range(start, stop):
        label, best = _nearest_d3(X, i, centers)
        labels[i] = label
        counts[label] += 1.0
        for t in range(d):
            sums[label, t] += X[i, t]
        objective += best
    return objective


@_jit()
def _one_chunk(X, centers, labels, chunk_sums, chunk_counts, c, rows):  # pragma: no cover
    n, d = X.shape
    start = c * rows
    stop = min(start + rows, n)
    if d == 1:
        return _chunk_d1(X, centers, labels, chunk_sums[c], chunk_counts[c], start, stop)
    if d == 2:
        return _chunk_d2(X, centers, labels, chunk_sums[c], chunk_counts[c], start, stop)
    if d == 3:
        return _chunk_d3(X, centers, labels, chunk_sums[c], chunk_counts[c], start, stop)
    return _chunk_generic(X, centers, labels, chunk_sums[c], chunk_counts[c], start, stop)


@_jit(parallel=True)
def _assign_accumulate_parallel(X, centers, labels, chunk_sums, chunk_counts, chunk_objective):  # pragma: no cover
    n_chunks = chunk_objective.shape[0]
    rows = (X.shape[0] + n_chunks - 1) // n_chunks
    chunk_sums[:] = 0.0
    chunk_counts[:] = 0.0
    for c in prange(n_chunks):
        chunk_objective[c] = _one_chunk(X, centers, labels, chunk_sums, chunk_counts, c, rows)


@_jit()
def _assign_accumulate_serial(X, centers, labels, chunk_sums, chunk_counts, chunk_objective):  # pragma: no cover
    # Same chunks as the parallel version (so the same result), without waking the thread
    # pool: on small data the wake-up costs more than the work, more so on a loaded machine.
    n_chunks = chunk_objective.shape[0]
    rows = (X.shape[0] + n_chunks - 1) // n_chunks
    chunk_sums[:] = 0.0
    chunk_counts[:] = 0.0
    for c in range(n_chunks):
        chunk_objective[c] = _one_chunk(X, centers, labels, chunk_sums, chunk_counts, c, rows)


@_jit(parallel=True)
def _sq_distances_to_rows(X, P, out):  # pragma: no cover
    n, d = X.shape
    for i in prange(n):
        for c in range(P.shape[0]):
            acc = 0.0
            for t in range(d):
                diff = X[i, t] - P[c, t]
                acc += diff * diff
            out[c, i] = acc


def sq_distances_to_rows(X, P):
    """Squared distances (m, n) from each row of P (m, d) to every point of X (n, d), by
    differences (a duplicate of a row of P is at distance exactly 0); for k-means++ seeding."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    P = np.ascontiguousarray(P, dtype=np.float64)
    out = np.empty((P.shape[0], X.shape[0]))
    _sq_distances_to_rows(X, P, out)
    return out


def _n_chunks(n):
    return max(1, min(_MAX_CHUNKS, -(-n // _MIN_CHUNK_ROWS)))


def lloyd_step(X, centers, out=None):
    """One fused assignment pass.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    centers : ndarray of float64, shape (k, d)
    out : ndarray of int64, shape (n,), optional
        Buffer for the labels (reused across iterations to avoid page faults on large n).

    Returns
    -------
    labels : ndarray of int64, shape (n,)
        Nearest centre of each point (ties to the lowest index); ``out`` if given.
    objective : float
        Sum of the squared distances to the nearest centre.
    sums : ndarray, shape (k, d)
        Sum of the points of each cluster.
    counts : ndarray, shape (k,)
        Number of points of each cluster (as floats).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    n, d = X.shape
    k = centers.shape[0]
    m = _n_chunks(n)
    labels = np.empty(n, dtype=np.int64) if out is None else out
    chunk_sums = np.empty((m, k, d))
    chunk_counts = np.empty((m, k))
    chunk_objective = np.empty(m)
    kernel = _assign_accumulate_serial if n * k * d < _SERIAL_WORK else _assign_accumulate_parallel
    kernel(X, centers, labels, chunk_sums, chunk_counts, chunk_objective)
    # Sums over chunks in a fixed order: reproducible whatever the thread count.
    return labels, float(chunk_objective.sum()), chunk_sums.sum(axis=0), chunk_counts.sum(axis=0)
