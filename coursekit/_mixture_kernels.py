"""Compiled E-step of the Gaussian mixture (numba): one pass, densities and M-step statistics fused.

The readable NumPy version is ``coursekit.mixture._e_pass_numpy`` (blocks of rows, component-
major); this kernel computes the same quantities point by point, so that nothing of size
(rows, k, d) is ever formed and each point's differences ``x - mu_k`` are reused, while still
in registers, for the log-density, the responsibilities and the statistics
``R_k = sum_i r_ik``, ``a_k = sum_i r_ik (x_i - mu_k)`` and ``S_k = sum_i r_ik (x_i - mu_k)(...)^T``
(or its diagonal), about the current means.  ``coursekit.mixture._e_pass`` chooses between
the two by size (the small problems of the book and the homework never load numba).

Parallelism and reproducibility follow ``coursekit/_kmeans_kernels.py``: rows are cut into
chunks fixed by n alone, each chunk accumulates its own statistics, and the chunks are added
in order, so the result does not depend on the number of threads.

The E-step may meet ``log 0 = -inf`` (a zero mixing weight), so the fastmath flags keep
infinities and NaNs; they allow reassociation and fused multiply-adds only.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_FLAGS = {"nsz", "arcp", "contract", "reassoc"}

FULL, DIAG, SPHERICAL = 0, 1, 2

_MIN_CHUNK_ROWS = 256
_MAX_CHUNKS = 128
# Below this many point-component-coordinate operations the chunks run serially (waking the
# thread pool costs more than the work).
_SERIAL_WORK = 1 << 18


def _jit(**options):
    def decorate(func):
        try:
            return njit(cache=True, nogil=True, fastmath=_FLAGS, **options)(func)
        except RuntimeError:
            return njit(cache=False, nogil=True, fastmath=_FLAGS, **options)(func)

    return decorate


@_jit(inline="always")
def _chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
           R, a, S, start, stop, d):  # pragma: no cover
    k = means.shape[0]
    diff = np.empty((k, d))
    y = np.empty(d)
    lp = np.empty(k)
    total = 0.0
    for i in range(start, stop):
        top = -np.inf
        for j in range(k):
            maha = 0.0
            if kind == FULL:
                for t in range(d):
                    diff[j, t] = X[i, t] - means[j, t]
                    y[t] = 0.0
                # y = P^T (x - mu) with P = L^{-T} upper triangular: row s of P adds
                # diff_s P[s, t] to y_t for t >= s (contiguous, so it vectorises).
                for s in range(d):
                    ds = diff[j, s]
                    for t in range(s, d):
                        y[t] += ds * prec[j, s, t]
                for t in range(d):
                    maha += y[t] * y[t]
            elif kind == DIAG:
                for t in range(d):
                    u = X[i, t] - means[j, t]
                    diff[j, t] = u
                    maha += u * u * prec[j, 0, t]
            else:
                for t in range(d):
                    u = X[i, t] - means[j, t]
                    diff[j, t] = u
                    maha += u * u
                maha *= prec[j, 0, 0]
            v = const[j] - 0.5 * maha
            lp[j] = v
            if v > top:
                top = v
        norm = 0.0
        for j in range(k):
            e = math.exp(lp[j] - top)
            lp[j] = e
            norm += e
        total += top + math.log(norm)
        inv = 1.0 / norm
        for j in range(k):
            r = lp[j] * inv
            if store_resp:
                resp_out[i, j] = r
            if collect:
                R[j] += r
                for t in range(d):
                    rd = r * diff[j, t]
                    a[j, t] += rd
                    if full_stats:
                        for s in range(t, d):
                            S[j, t, s] += rd * diff[j, s]
                    else:
                        S[j, t, 0] += rd * diff[j, t]
    return total


@_jit(inline="always")
def _one_chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
               cR, ca, cS, c, rows):  # pragma: no cover
    n, d = X.shape
    start = c * rows
    stop = min(start + rows, n)
    # d = 1, 2, 3 with d a constant: the coordinate loops unroll.
    if d == 1:
        return _chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                      cR[c], ca[c], cS[c], start, stop, 1)
    if d == 2:
        return _chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                      cR[c], ca[c], cS[c], start, stop, 2)
    if d == 3:
        return _chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                      cR[c], ca[c], cS[c], start, stop, 3)
    return _chunk(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                  cR[c], ca[c], cS[c], start, stop, d)


@_jit(parallel=True)
def _e_pass_parallel(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                     cR, ca, cS, ctotal):  # pragma: no cover
    n_chunks = ctotal.shape[0]
    rows = (X.shape[0] + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        ctotal[c] = _one_chunk(X, means, prec, const, kind, full_stats, collect, store_resp,
                               resp_out, cR, ca, cS, c, rows)


@_jit()
def _e_pass_serial(X, means, prec, const, kind, full_stats, collect, store_resp, resp_out,
                   cR, ca, cS, ctotal):  # pragma: no cover
    n_chunks = ctotal.shape[0]
    rows = (X.shape[0] + n_chunks - 1) // n_chunks
    for c in range(n_chunks):
        ctotal[c] = _one_chunk(X, means, prec, const, kind, full_stats, collect, store_resp,
                               resp_out, cR, ca, cS, c, rows)


def e_pass(X, means, prec, const, kind, m_type, store_resp):
    """The E-step over all rows: ``(total log-likelihood, (R, a, S) or None, resp or None)``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    means : ndarray, shape (k, d)
    prec : ndarray
        (k, d, d) upper precision Cholesky factors (``kind="full"``), (k, d) precisions
        (``"diag"``) or (k,) precisions (``"spherical"``).
    const : ndarray, shape (k,)
        ``log pi_k + log det P_k - d/2 log(2 pi)``.
    kind : {"full", "diag", "spherical"}
        Form of ``prec``.
    m_type : {"full", "diag", "spherical"} or None
        Statistics to collect: S as (k, d, d) for "full", its diagonal (k, d) otherwise; none
        for None.
    store_resp : bool
        Also return the (n, k) responsibilities.
    """
    n, d = X.shape
    k = means.shape[0]
    kind_code = {"full": FULL, "diag": DIAG, "spherical": SPHERICAL}[kind]
    # Always 3-D, so that one compiled kernel serves every kind: (k, d, d), (k, 1, d) or (k, 1, 1).
    prec = np.ascontiguousarray(prec, dtype=np.float64).reshape(k, -1, d if kind_code != SPHERICAL else 1)
    m = max(1, min(_MAX_CHUNKS, -(-n // _MIN_CHUNK_ROWS)))
    collect = m_type is not None
    full_stats = m_type == "full"
    cR = np.zeros((m, k))
    ca = np.zeros((m, k, d))
    cS = np.zeros((m, k, d, d if full_stats else 1))
    ctotal = np.empty(m)
    resp_out = np.empty((n, k)) if store_resp else np.empty((1, 1))
    kernel = _e_pass_serial if n * k * d < _SERIAL_WORK else _e_pass_parallel
    kernel(np.ascontiguousarray(X), np.ascontiguousarray(means), prec,
           np.ascontiguousarray(const, dtype=np.float64), kind_code, full_stats, collect,
           bool(store_resp), resp_out, cR, ca, cS, ctotal)
    total = float(ctotal.sum())
    stats = None
    if collect:
        R = cR.sum(axis=0)
        a = ca.sum(axis=0)
        S = cS.sum(axis=0)
        if full_stats:
            # Only the upper triangle was accumulated.
            S = np.triu(S) + np.triu(S, 1).transpose(0, 2, 1)
        else:
            S = S[:, :, 0]
        stats = (R, a, S)
    return total, stats, (resp_out if store_resp else None)
