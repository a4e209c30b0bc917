"""Gaussian mixture models: sampling, density, and EM (E-step, M-step, fit), BIC/AIC.

A mixture with K components in D dimensions is ``(weights, means, covariances)`` with shapes
(K,), (K, D) and (K, D, D).  Covariances are always stored and returned as full matrices;
``covariance_type`` ("full", "diag", "spherical") only restricts what the M-step may estimate.

EM follows scikit-learn's ``GaussianMixture`` exactly (same formulas, same order, same stopping
rule), so both started from the same parameters produce the same iterates:

* the M-step uses ``N_k = sum_i r_ik + 10 * eps`` and adds ``reg_covar`` to the diagonal of
  every covariance (for "spherical": to the variance);
* one iteration t = 1, 2, ... is: E-step with the current parameters theta_{t-1} (which gives
  their log-likelihood l_{t-1}), then M-step -> theta_t;
* it stops after iteration t >= 2 when ``|l_{t-1} - l_{t-2}| / N < tol`` (converged), or after
  ``max_iter`` iterations (not converged: a :class:`coursekit.ConvergenceWarning`).

The log-likelihood is always the sum over the N points, ``l(theta) = sum_n log p(x_n | theta)``
(the book's convention, also used by BIC and AIC).  Only the stopping tolerance ``tol`` is per
point: it is compared with the change of ``l / N``, as scikit-learn's ``tol`` is (whose
``lower_bound_`` and ``score`` are per-point means, i.e. ``l / N``).

What EM guarantees (chapter 7 of the book derives it):

* ``reg_covar = 0``: every M-step maximises the EM lower bound, so ``l`` never decreases, up to
  floating-point rounding (and the ``10 * eps`` added to N_k);
* ``reg_covar = eps > 0``: the M-step's covariances ``S_k + eps I`` no longer maximise the bound,
  and ``l`` *can* decrease (it does on standardised Old Faithful with ``reg_covar`` 1e-3 to 1e-1).
  One iteration lowers it by at most ``sum_k (N_k / 2) sum_j [log(1 + eps / s_kj) - eps / (s_kj +
  eps)]`` <= ``sum_k (N_k / 2) sum_j (eps / s_kj)**2 / 2``, with s_kj the eigenvalues of
  component k's unregularised weighted covariance S_k (its diagonal for "diag", its mean variance
  for "spherical"); see :func:`reg_covar_gap`.  Each covariance's eigenvalues are at least
  ``eps``, so l is bounded above by ``-(N D / 2) log(2 pi eps)``.

Implementation: the E-step is computed over blocks of rows, with the M-step's sufficient
statistics accumulated in the same pass, so memory stays O(block * K * D) beyond the data and
(N, K) is only materialised for the final responsibilities.  Densities use the Cholesky factor
of each covariance (through the "precision Cholesky" ``P = L^{-T}``, ``P P^T = cov^{-1}``, as in
scikit-learn) and log-sum-exp; no covariance matrix is inverted.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from ._exceptions import ConvergenceWarning
from .gaussian import _inverse_cholesky
from ._validation import (
    _to_float_array,
    check_covariance_type,
    check_covariances,
    check_int,
    check_k,
    check_means,
    check_positive_float,
    check_rng,
    check_weights,
    check_X,
)

__all__ = [
    "sample",
    "logpdf",
    "log_likelihood",
    "responsibilities",
    "m_step",
    "em_step",
    "fit",
    "bic",
    "aic",
    "n_parameters",
    "reg_covar_gap",
    "GMMResult",
    "EMStep",
]

_LOG_2PI = math.log(2.0 * math.pi)
# Elements in one (rows, k, d) working block of the E-step: big enough that the per-block
# Python overhead is negligible, small enough to stay in cache (see bench/bench_gmm.py).
_BLOCK_ELEMENTS = 2**17
_MIN_ROWS = 512
# From this many point-component-coordinate operations per E-step, the compiled kernel runs it
# (bench/bench_gmm.py); below, NumPy, so that small problems never pay numba's start-up.
_NUMBA_MIN_WORK = 50_000
_NUMBA_MAX_D = 3
_EPS10 = 10 * np.finfo(np.float64).eps
_INITS = ("kmeans", "random")


# --------------------------------------------------------------------------- validation


def _infer_d(means):
    arr = np.asarray(means)
    return 1 if arr.ndim <= 1 else arr.shape[-1]


def _check_params(weights, means, covariances, d=None, prefix=""):
    """Validate (weights, means, covariances); returns float64 (K,), (K, D), (K, D, D)."""
    weights = check_weights(weights, name=f"{prefix}weights")
    k = weights.shape[0]
    if d is None:
        d = _infer_d(means)
    means = check_means(means, k, d, name=f"{prefix}means")
    covariances = check_covariances(covariances, k, d, name=f"{prefix}covariances")
    return weights, means, covariances


def _check_resp(resp, n):
    resp = _to_float_array(resp, "resp")
    if resp.ndim == 1:
        resp = resp[:, None]
    if resp.ndim != 2 or resp.shape[0] != n or resp.shape[1] < 1:
        raise ValueError(f"resp must have shape (n, k) with n = {n} rows, got {resp.shape}")
    if not np.all(np.isfinite(resp)):
        raise ValueError("resp contains NaN or infinity")
    if np.any(resp < 0):
        raise ValueError("resp must be non-negative")
    if not np.allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError("resp rows must sum to 1 (they are probabilities over the k components)")
    return resp


# --------------------------------------------------------------------------- the E-step engine


class _Model(NamedTuple):
    """Parameters prepared for the E-step of one covariance type.

    ``prec`` is the precision Cholesky: (K, D, D) upper factors for "full", the precisions
    1/var as (K, D) for "diag" and (K,) for "spherical".  ``log_det`` is
    ``log det(P) = -log det(cov) / 2`` per component.
    """

    kind: str
    log_weights: np.ndarray
    means: np.ndarray
    prec: np.ndarray
    log_det: np.ndarray


_SINGULAR = (
    "a covariance matrix is not positive definite (a component collapsed onto too few points); "
    "increase reg_covar, reduce k, or rescale X"
)


def _model(weights, means, covariances, kind):
    """Prepare validated parameters (full (K, D, D) covariances) for the E-step of ``kind``."""
    k, d = means.shape
    with np.errstate(divide="ignore"):  # a zero weight is a component that never fires
        log_weights = np.log(weights)
    if kind == "full":
        prec = np.empty((k, d, d))
        log_det = np.empty(k)
        for j in range(k):
            try:
                inv_chol, log_det_cov = _inverse_cholesky(covariances[j])
            except np.linalg.LinAlgError:
                raise ValueError(_SINGULAR) from None
            prec[j] = inv_chol.T
            log_det[j] = -0.5 * log_det_cov
        return _Model(kind, log_weights, means, prec, log_det)
    var = np.diagonal(covariances, axis1=1, axis2=2)
    if kind == "spherical":
        var = var.mean(axis=1)
    if np.any(var <= 0):
        raise ValueError(_SINGULAR)
    prec = 1.0 / var
    log_det = 0.5 * np.log(prec)
    if kind == "diag":
        log_det = log_det.sum(axis=1)
    else:
        log_det = d * log_det
    return _Model(kind, log_weights, means, prec, log_det)


def _block_rows(k, d, kind="full"):
    # "full" works on (k, rows, d) blocks; "diag"/"spherical" only on (rows, d) and (k, rows).
    size = k * d if kind == "full" else max(k, d) * 2
    return max(_MIN_ROWS, _BLOCK_ELEMENTS // size)


def _log_normalize(wlp):
    """Log-sum-exp over components (axis 0 of a (k, b) block) and the normalised probabilities.

    Same max-shift as ``scipy.special.logsumexp``, written out so that the single ``exp`` is
    shared with the responsibilities (the E-step's costliest elementwise operation).  Works in
    place: ``wlp`` is overwritten by the probabilities (no new (k, b) array, whose page faults
    cost as much as the arithmetic).
    """
    top = wlp.max(axis=0)
    # A row of -inf only arises from zero weights everywhere, which check_weights forbids.
    prob = np.subtract(wlp, top, out=wlp)
    np.exp(prob, out=prob)
    norm = prob.sum(axis=0)
    prob /= norm
    return top + np.log(norm), prob


def _e_pass(X, model, m_type=None, store_resp=False):
    """One pass over the rows of X: E-step with ``model`` (see :func:`_e_pass_numpy`).

    "full" covariances in d <= 3 on large problems (``n * k * d >= _NUMBA_MIN_WORK``) run the
    compiled kernel (``coursekit/_mixture_kernels.py``: the same quantities point by point,
    statistics about the current means): there NumPy's batched (k, rows, d) products are
    mostly overhead.  Everything else stays on NumPy, whose GEMMs win from d = 4 on and for the
    "diag"/"spherical" forms (bench/bench_gmm.py); small problems (the book's figures, Old
    Faithful, the homework) never load numba.
    """
    n, d = X.shape
    k = model.means.shape[0]
    if model.kind != "full" or d > _NUMBA_MAX_D or n * k * d < _NUMBA_MIN_WORK:
        return _e_pass_numpy(X, model, m_type, store_resp)
    from ._mixture_kernels import e_pass

    const = model.log_weights + model.log_det - 0.5 * d * _LOG_2PI
    total, stats, resp = e_pass(X, model.means, model.prec, const, model.kind, m_type, store_resp)
    if stats is not None:
        stats = (*stats, model.means)
    return total, stats, resp


def _e_pass_numpy(X, model, m_type=None, store_resp=False):
    """One pass over the rows of X: E-step with ``model``.

    Returns ``(total_log_likelihood, stats, resp)``.  ``stats`` (when ``m_type`` is given) are
    the M-step's sufficient statistics for that covariance type, accumulated block by block:
    ``R = sum_i r_ik``, ``a = sum_i r_ik (x_i - c_k)``, ``S = sum_i r_ik (x_i - c_k)(x_i - c_k)^T``
    (only its diagonal when ``m_type`` is not "full") about a shift ``c``: the current means for
    the "full" E-step (small differences, no cancellation), zero for the others.
    ``resp`` is the (N, K) responsibilities when ``store_resp``.

    Blocks are laid out component-major, (k, rows): the reductions over components then run
    along contiguous rows instead of over a short last axis.
    """
    n, d = X.shape
    k = model.means.shape[0]
    rows = min(n, _block_rows(k, d, model.kind))
    const = (model.log_weights + model.log_det - 0.5 * d * _LOG_2PI)[:, None]
    collect = m_type is not None
    full_stats = m_type == "full"
    R = np.zeros(k)
    a = np.zeros((k, d))
    S = np.zeros((k, d, d)) if full_stats else np.zeros((k, d))
    resp_out = np.empty((n, k)) if store_resp else None
    total = 0.0
    if model.kind == "full":
        # Working blocks allocated once: a fresh (k, rows, d) array per block costs its page
        # faults every time (as much as the arithmetic at d = 16).
        D_buf = np.empty((k, rows, d))
        Y_buf = np.empty((k, rows, d))
    else:
        # |x - mu|^2 / var expanded into one GEMM with features Z = [x^2, x, 1] (diag) or
        # [|x|^2, x, 1] (spherical): maha = coef @ Z^T.
        if model.kind == "diag":
            coef = np.hstack([model.prec, -2.0 * model.means * model.prec,
                              np.sum(model.means**2 * model.prec, axis=1)[:, None]])
            n_sq = d
        else:
            p = model.prec[:, None]
            coef = np.hstack([p, -2.0 * model.means * p, np.sum(model.means**2, axis=1)[:, None] * p])
            n_sq = 1
        Z_buf = np.empty((rows, n_sq + d + 1))
        ones_d = np.ones(d)
        R_gemm = np.zeros(k)
        Z_buf[:, -1] = 1.0
        M_buf = np.empty((k, rows))
    for start in range(0, n, rows):
        Xb = X[start : start + rows]
        b = Xb.shape[0]
        if model.kind == "full":
            D = np.subtract(Xb[None, :, :], model.means[:, None, :], out=D_buf[:, :b])  # (k, b, d)
            Y = np.matmul(D, model.prec, out=Y_buf[:, :b])  # rows of L^{-1}(x - mu) per component
            maha = np.einsum("kbd,kbd->kb", Y, Y)
        else:
            Z = Z_buf[:b]
            X2 = np.multiply(Xb, Xb, out=Z[:, :d]) if model.kind == "diag" else Xb * Xb
            if model.kind == "spherical":
                # |x|^2 as a GEMV: a reduction over the short last axis is ~10x slower.
                Z[:, 0] = X2 @ ones_d
            Z[:, n_sq : n_sq + d] = Xb
            maha = np.matmul(coef, Z.T, out=M_buf[:, :b])
        maha *= -0.5
        maha += const
        lse, resp = _log_normalize(maha)
        total += lse.sum()
        if store_resp:
            resp_out[start : start + rows] = resp.T
        if collect:
            if model.kind == "full":
                R += resp.sum(axis=1)
                # Batched GEMVs/GEMMs (BLAS) rather than reductions over the short last axes.
                a += np.matmul(resp[:, None, :], D)[:, 0, :]
                W = np.multiply(D, resp[:, :, None], out=Y_buf[:, :b])
                if full_stats:
                    S += np.matmul(W.transpose(0, 2, 1), D)
                else:
                    S += np.einsum("kbd,kbd->kd", W, D)
            else:
                # One GEMM gives every statistic: resp @ [x^2 (or |x|^2), x, 1].
                stats_b = resp @ Z
                R_gemm += stats_b[:, -1]
                a += stats_b[:, n_sq : n_sq + d]
                S += stats_b[:, :d] if model.kind == "diag" else resp @ X2
    stats = None
    if collect:
        if model.kind != "full":
            R = R_gemm
        shift = model.means if model.kind == "full" else np.zeros_like(model.means)
        stats = (R, a, S, shift)
    return total, stats, resp_out


def _m_from_stats(stats, covariance_type, reg_covar):
    """M-step from the sufficient statistics of :func:`_e_pass`: (weights, means, covariances)."""
    R, a, S, shift = stats
    k, d = a.shape
    nk = R + _EPS10
    means = (a + R[:, None] * shift) / nk[:, None]
    delta = means - shift
    # Centre the scatter about the new means: C = S - a delta^T - delta a^T + R delta delta^T.
    if S.ndim == 3:
        C = (
            S
            - a[:, :, None] * delta[:, None, :]
            - delta[:, :, None] * a[:, None, :]
            + R[:, None, None] * delta[:, :, None] * delta[:, None, :]
        )
        cov = C / nk[:, None, None]
        cov = 0.5 * (cov + cov.transpose(0, 2, 1))
        cov[:, np.arange(d), np.arange(d)] += reg_covar
    else:
        var = (S - 2.0 * a * delta + R[:, None] * delta**2) / nk[:, None]
        # Rounding can leave a collapsed component a tiny negative variance; it is zero.
        var = np.maximum(var, 0.0) + reg_covar
        if covariance_type == "spherical":
            var = np.repeat(var.mean(axis=1, keepdims=True), d, axis=1)
        cov = np.zeros((k, d, d))
        cov[:, np.arange(d), np.arange(d)] = var
    weights = nk / nk.sum()
    return weights, means, cov


def _m_step_exact(X, resp, covariance_type, reg_covar):
    """M-step from explicit responsibilities (two passes, centred about the new means)."""
    n, d = X.shape
    k = resp.shape[1]
    R = resp.sum(axis=0)
    means = (resp.T @ X) / (R + _EPS10)[:, None]
    S = np.zeros((k, d, d)) if covariance_type == "full" else np.zeros((k, d))
    for j in range(k):
        diff = X - means[j]
        if covariance_type == "full":
            S[j] = (resp[:, j, None] * diff).T @ diff
        else:
            S[j] = resp[:, j] @ (diff * diff)
    # a = sum_i r_ij (x_i - mean_j) is zero up to rounding of the 10*eps in N_k; keep it exact.
    a = resp.T @ X - R[:, None] * means
    return _m_from_stats((R, a, S, means), covariance_type, reg_covar)


# --------------------------------------------------------------------------- public: density


def logpdf(X, weights, means, covariances):
    """Log density of the mixture, ``log sum_k pi_k N(x_i | mu_k, Sigma_k)``, at each row of X.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    weights : array-like, shape (K,)
        Non-negative, summing to 1.
    means : array-like, shape (K, D)
    covariances : array-like, shape (K, D, D)
        Symmetric positive definite (for D = 1 also (K,) variances).

    Returns
    -------
    ndarray, shape (N,)
    """
    X = check_X(X)
    model = _model(*_check_params(weights, means, covariances, d=X.shape[1]), "full")
    n, d = X.shape
    out = np.empty(n)
    rows = _block_rows(model.means.shape[0], d)
    const = (model.log_weights + model.log_det - 0.5 * d * _LOG_2PI)[:, None]
    for start in range(0, n, rows):
        Xb = X[start : start + rows]
        Y = (Xb[None, :, :] - model.means[:, None, :]) @ model.prec
        out[start : start + rows] = logsumexp(const - 0.5 * np.einsum("kbd,kbd->kb", Y, Y), axis=0)
    return out


def log_likelihood(X, weights, means, covariances):
    """Log-likelihood of the data set, ``sum_i log p(x_i)`` (a sum, not a mean); see :func:`logpdf`.

    Returns
    -------
    float
    """
    return float(np.sum(logpdf(X, weights, means, covariances)))


def responsibilities(X, weights, means, covariances):
    """The E-step: ``r_ik = pi_k N(x_i | mu_k, Sigma_k) / sum_j pi_j N(x_i | mu_j, Sigma_j)``.

    Computed in log space (log-sum-exp), so far-away points do not underflow to 0/0.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    weights : array-like, shape (K,)
    means : array-like, shape (K, D)
    covariances : array-like, shape (K, D, D)

    Returns
    -------
    ndarray, shape (N, K)
        Each row sums to 1.
    """
    X = check_X(X)
    model = _model(*_check_params(weights, means, covariances, d=X.shape[1]), "full")
    return _e_pass(X, model, store_resp=True)[2]


# --------------------------------------------------------------------------- public: EM pieces


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    """The M-step: weighted maximum-likelihood parameters given responsibilities.

    ``N_k = sum_i r_ik`` (+ 10 eps, as scikit-learn, so an empty component does not divide by
    zero), ``pi_k = N_k / sum_j N_j``, ``mu_k = sum_i r_ik x_i / N_k``, and
    ``Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar * I`` ("full"), its
    diagonal ("diag") or the mean of its diagonal times I ("spherical").

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    resp : array-like, shape (N, K)
        Responsibilities: non-negative, rows summing to 1 (one-hot rows give the
        "labelled data" fit of each class separately).
    covariance_type : {"full", "diag", "spherical"}
    reg_covar : float
        Non-negative, added to the diagonal of each covariance.

    Returns
    -------
    weights : ndarray, shape (K,)
    means : ndarray, shape (K, D)
    covariances : ndarray, shape (K, D, D)
        Full matrices whatever ``covariance_type``.
    """
    X = check_X(X)
    resp = _check_resp(resp, X.shape[0])
    covariance_type = check_covariance_type(covariance_type)
    reg_covar = check_positive_float(reg_covar, "reg_covar", allow_zero=True)
    return _m_step_exact(X, resp, covariance_type, reg_covar)


def reg_covar_gap(X, resp, covariance_type="full", reg_covar=1e-6):
    """How much a regularised M-step can lower the log-likelihood: the EM bound lost to ``reg_covar``.

    Given the E-step's responsibilities r (computed at the current parameters theta), the exact
    M-step maximises the EM lower bound ``L(r, .)``, whose value at theta equals l(theta); the
    regularised M-step (covariances ``S_k + eps I``, ``eps = reg_covar``) reaches
    ``L(r, theta*) - gap`` instead, with ``theta*`` the exact maximiser and::

        gap = sum_k (N_k / 2) sum_j [ log(1 + eps / s_kj) - eps / (s_kj + eps) ]
            <= sum_k (N_k / 2) sum_j (eps / s_kj)**2 / 2,

    where ``N_k = sum_n r_nk`` and s_kj are the eigenvalues of the unregularised weighted
    covariance S_k ("full"), its diagonal ("diag") or D copies of its mean variance
    ("spherical").  Hence one EM iteration gives ``l(theta_new) >= l(theta) - gap`` (when theta
    has the structure of ``covariance_type``): with ``reg_covar = 0`` the gap is 0 and the
    log-likelihood never decreases; with ``reg_covar > 0`` it can decrease, by at most ``gap``.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    resp : array-like, shape (N, K)
        Responsibilities of the current parameters (:func:`responsibilities`, ``EMStep.resp``).
    covariance_type : {"full", "diag", "spherical"}
    reg_covar : float
        Non-negative, as in :func:`m_step`.

    Returns
    -------
    float
        The gap, >= 0; ``inf`` when ``reg_covar > 0`` and some S_k is singular (a component on
        too few points: without the regulariser the bound is unbounded).
    """
    X = check_X(X)
    resp = _check_resp(resp, X.shape[0])
    covariance_type = check_covariance_type(covariance_type)
    eps = check_positive_float(reg_covar, "reg_covar", allow_zero=True)
    if eps == 0.0:
        return 0.0
    _, _, S = _m_step_exact(X, resp, covariance_type, 0.0)
    if covariance_type == "full":
        s = np.linalg.eigvalsh(S)
    else:
        s = np.diagonal(S, axis1=1, axis2=2)
    n_k = resp.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = eps / np.maximum(s, 0.0)
        # log1p(x) - x / (1 + x); x = inf (a singular S_k) gives inf rather than NaN.
        per_axis = np.where(np.isinf(ratio), np.inf, np.log1p(ratio) - ratio / (1.0 + ratio))
    per_axis = np.where(n_k[:, None] > 0, per_axis, 0.0)  # an empty component costs nothing
    return float(np.sum(0.5 * n_k * per_axis.sum(axis=1)))


class EMStep(NamedTuple):
    """One EM iteration (see :func:`em_step`)."""

    weights: np.ndarray
    """(K,) new mixing weights."""
    means: np.ndarray
    """(K, D) new means."""
    covariances: np.ndarray
    """(K, D, D) new covariances."""
    log_likelihood: float
    """Log-likelihood ``sum_n log p(x_n)`` (a sum over the N points) of the parameters passed *in*
    (computed by the E-step)."""
    resp: np.ndarray
    """(N, K) responsibilities of the parameters passed in (the E-step)."""


def em_step(X, weights, means, covariances, covariance_type="full", reg_covar=1e-6):
    """One EM iteration: E-step with the given parameters, then M-step.

    This is exactly one iteration of :func:`fit`, for stepping through EM by hand (the book's
    widget, the homework)::

        params = init
        for t in range(10):
            step = em_step(X, *params)
            curve.append(step.log_likelihood)   # l(params) before this step's M-step
            params = step.weights, step.means, step.covariances

    The next call reports the log-likelihood of the returned parameters.  With ``reg_covar=0``
    it is at least ``log_likelihood`` (up to rounding; for "diag"/"spherical" when the
    parameters passed in have that structure).  With ``reg_covar > 0`` it can be lower, by at
    most :func:`reg_covar_gap` ``(X, step.resp, covariance_type, reg_covar)``.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    weights, means, covariances : array-like, shapes (K,), (K, D), (K, D, D)
        Current parameters (any symmetric positive definite covariances).
    covariance_type : {"full", "diag", "spherical"}
        Constraint of the M-step.
    reg_covar : float
        Added to the diagonal of each new covariance.

    Returns
    -------
    EMStep
        Named tuple ``(weights, means, covariances, log_likelihood, resp)``.
    """
    X = check_X(X, fit=True)
    params = _check_params(weights, means, covariances, d=X.shape[1])
    covariance_type = check_covariance_type(covariance_type)
    reg_covar = check_positive_float(reg_covar, "reg_covar", allow_zero=True)
    total, stats, resp = _e_pass(X, _model(*params, "full"), m_type=covariance_type, store_resp=True)
    new = _m_from_stats(stats, covariance_type, reg_covar)
    return EMStep(*new, float(total), resp)


# --------------------------------------------------------------------------- public: fit


@dataclass
class GMMResult:
    """A fitted Gaussian mixture (see :func:`fit`)."""

    weights: np.ndarray
    """(K,) mixing weights."""
    means: np.ndarray
    """(K, D) component means."""
    covariances: np.ndarray
    """(K, D, D) covariances, full matrices for every covariance type."""
    log_likelihood: list = field(default_factory=list)
    """Log-likelihood ``sum_n log p(x_n)`` (a sum over the N points) after 0, 1, ..., n_iter
    iterations (n_iter + 1 values): ``log_likelihood[0]`` is the initial parameters',
    ``log_likelihood[-1]`` the returned parameters'.  Never decreases when ``reg_covar = 0`` (up
    to rounding); with ``reg_covar > 0`` it can (see the module docstring).  Divided by N,
    ``log_likelihood[:-1]`` is scikit-learn's ``lower_bounds_``."""
    n_iter: int = 0
    """Number of EM iterations (M-steps) performed."""
    converged: bool = False
    """Whether the change in log-likelihood per point, ``|l_t - l_{t-1}| / N``, fell below ``tol``
    within ``max_iter``."""
    labels: np.ndarray = None
    """(N,) most responsible component of each point."""
    resp: np.ndarray = None
    """(N, K) responsibilities under the returned parameters."""
    covariance_type: str = "full"
    reg_covar: float = 1e-6


def _check_init_structure(covariances, covariance_type):
    """Explicit initial covariances must already have the structure of ``covariance_type``."""
    if covariance_type == "full":
        return
    k, d, _ = covariances.shape
    diag = np.diagonal(covariances, axis1=1, axis2=2)
    off = covariances - np.einsum("kd,de->kde", diag, np.eye(d))
    scale = np.abs(diag).max(axis=1)
    if np.any(np.abs(off).max(axis=(1, 2)) > 1e-12 * scale):
        raise ValueError(f"init covariances must be diagonal for covariance_type={covariance_type!r}")
    if covariance_type == "spherical" and np.any(np.ptp(diag, axis=1) > 1e-10 * scale):
        raise ValueError("init covariances must be multiples of the identity for covariance_type='spherical'")


def _initial_params(X, k, init, covariance_type, reg_covar, rng):
    n, d = X.shape
    if isinstance(init, str):
        if init not in _INITS:
            raise ValueError(f"init must be one of {_INITS} or a (weights, means, covariances) tuple, got {init!r}")
        if init == "kmeans":
            from .kmeans import kmeans  # imported here: kmeans is a sibling module built separately

            with warnings.catch_warnings():
                # a k-means that stops at its max_iter is still a good starting point for EM
                warnings.simplefilter("ignore", ConvergenceWarning)
                labels = np.asarray(kmeans(X, k, rng=rng).labels)
            resp = np.zeros((n, k))
            resp[np.arange(n), labels] = 1.0
            return _m_step_exact(X, resp, covariance_type, reg_covar)
        # "random": k distinct data points as means, each component with the covariance of the
        # whole data set, equal weights (the textbook start).  Random *responsibilities* would
        # put every mean at the data mean, a stationary point EM cannot leave.
        means = X[rng.choice(n, size=k, replace=False)]
        _, _, cov = _m_step_exact(X, np.ones((n, 1)), covariance_type, reg_covar)
        return np.full(k, 1.0 / k), means, np.repeat(cov, k, axis=0)
    if not isinstance(init, (tuple, list)) or len(init) != 3:
        raise ValueError(
            f"init must be one of {_INITS} or a (weights, means, covariances) tuple, got {type(init).__name__}"
        )
    weights, means, covariances = _check_params(*init, d=d, prefix="init ")
    if weights.shape[0] != k:
        raise ValueError(f"init weights have k = {weights.shape[0]} components but k = {k}")
    _check_init_structure(covariances, covariance_type)
    return weights, means, covariances


def fit(X, k, covariance_type="full", init="kmeans", max_iter=100, tol=1e-3, reg_covar=1e-6, rng=None):
    """Fit a k-component Gaussian mixture to X by EM.

    Iterations match scikit-learn's ``GaussianMixture`` (see the module docstring): from the
    same initial parameters (``weights_init``, ``means_init``, ``precisions_init``) both give the
    same log-likelihoods and parameters at every iteration.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    k : int
        K, the number of components, 1 <= K <= N.
    covariance_type : {"full", "diag", "spherical"}
    init : "kmeans", "random" or (weights, means, covariances)
        "kmeans": responsibilities from the labels of :func:`coursekit.kmeans.kmeans`
        (k-means++ seeding) followed by an M-step (as scikit-learn's "kmeans"); "random":
        k distinct data points drawn at random as the means, equal weights, and the covariance
        of the whole data set (restricted to ``covariance_type``, plus ``reg_covar``) for every
        component; a tuple: these starting parameters (covariances (K, D, D) with the
        structure of ``covariance_type``).
    max_iter : int
        Maximum number of EM iterations (>= 0; 0 returns the initial parameters).
    tol : float
        Per-point tolerance: stop when the log-likelihood changes by less than ``tol * N``
        between iterations, i.e. its mean per point by less than ``tol`` (scikit-learn's rule).
    reg_covar : float
        Non-negative, added to the diagonal of every covariance in each M-step; keeps a
        component that collapses onto a single point from becoming singular.  With
        ``reg_covar > 0`` the log-likelihood is no longer guaranteed to increase at every
        iteration (see the module docstring).
    rng : numpy.random.Generator, int or None
        Randomness of the initialisation.

    Returns
    -------
    GMMResult
        ``weights (K,)``, ``means (K, D)``, ``covariances (K, D, D)``, ``log_likelihood``
        (list of n_iter + 1 sums over the points, see :class:`GMMResult`), ``n_iter``, ``converged``,
        ``labels (N,)``, ``resp (N, K)``, ``covariance_type``, ``reg_covar``.

    Warns
    -----
    coursekit.ConvergenceWarning
        When ``max_iter >= 1`` iterations did not meet ``tol``.
    """
    X = check_X(X)  # a private float64 copy: centred in place below
    n, d = X.shape
    k = check_k(k, n)
    covariance_type = check_covariance_type(covariance_type)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_positive_float(tol, "tol", allow_zero=True)
    reg_covar = check_positive_float(reg_covar, "reg_covar", allow_zero=True)
    rng = check_rng(rng)
    # Work on centred data: the diag/spherical E-step expands |x - mu|^2, which loses
    # precision far from the origin.  Every EM quantity is translation-equivariant.
    center = X.mean(axis=0)
    X -= center
    weights, means, covariances = _initial_params(X, k, init, covariance_type, reg_covar, rng)
    if not isinstance(init, str):  # explicit means are in the caller's coordinates
        means = means - center

    model = _model(weights, means, covariances, covariance_type)
    history = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        total, stats, _ = _e_pass(X, model, m_type=covariance_type)
        history.append(total)
        weights, means, covariances = _m_from_stats(stats, covariance_type, reg_covar)
        model = _model(weights, means, covariances, covariance_type)
        if n_iter >= 2 and abs(history[-1] - history[-2]) / n < tol:
            converged = True
            break
    total, _, resp = _e_pass(X, model, store_resp=True)
    history.append(total)
    if not converged and max_iter > 0:
        change = (history[-2] - history[-3]) / n if len(history) > 2 else float("nan")
        warnings.warn(
            f"EM did not converge in max_iter = {max_iter} iterations (last change in log-likelihood "
            f"per point {change:.3g} >= tol = {tol:g}); increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    return GMMResult(
        weights=weights,
        means=means + center,
        covariances=covariances,
        log_likelihood=[float(v) for v in history],
        n_iter=n_iter if max_iter > 0 else 0,
        converged=converged,
        labels=np.argmax(resp, axis=1),
        resp=resp,
        covariance_type=covariance_type,
        reg_covar=reg_covar,
    )


# --------------------------------------------------------------------------- model selection


def n_parameters(k, d, covariance_type="full"):
    """Number of free parameters of a K-component mixture in D dimensions.

    ``(K - 1)`` weights + ``K D`` means + covariances: ``K D (D + 1) / 2`` ("full"),
    ``K D`` ("diag"), ``K`` ("spherical").  Same count as scikit-learn.

    Parameters
    ----------
    k : int
        K, the number of components (>= 1).
    d : int
        D, the dimension (>= 1).
    covariance_type : {"full", "diag", "spherical"}

    Returns
    -------
    int
    """
    k = check_int(k, "k", minimum=1)
    d = check_int(d, "d", minimum=1)
    covariance_type = check_covariance_type(covariance_type)
    cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k}[covariance_type]
    return int(cov + k * d + k - 1)


def _result_score(X, result):
    if not isinstance(result, GMMResult):
        raise TypeError(f"result must be a GMMResult from coursekit.mixture.fit, got {type(result).__name__}")
    X = check_X(X)
    lp = logpdf(X, result.weights, result.means, result.covariances)
    k, d = np.shape(result.means)
    return float(lp.sum()), X.shape[0], n_parameters(k, d, result.covariance_type)


def bic(X, result):
    """Bayesian information criterion ``-2 l + p log N`` of a fitted mixture on X (lower is better).

    ``l = sum_n log p(x_n)`` is the log-likelihood (a sum over the N rows of X) and ``p`` is
    :func:`n_parameters`; the same value as scikit-learn's ``GaussianMixture.bic``.

    Parameters
    ----------
    X : array-like, shape (N, D)
    result : GMMResult

    Returns
    -------
    float
    """
    total, n, p = _result_score(X, result)
    return -2.0 * total + p * math.log(n)


def aic(X, result):
    """Akaike information criterion ``-2 l + 2 p`` of a fitted mixture on X (lower is better).

    ``l = sum_n log p(x_n)`` (a sum over the rows of X), ``p`` = :func:`n_parameters`.

    Returns
    -------
    float
    """
    total, n, p = _result_score(X, result)
    return -2.0 * total + 2.0 * p


# --------------------------------------------------------------------------- sampling


def sample(weights, means, covariances, n, rng=None, method="categorical"):
    """Draw points from a Gaussian mixture, with their component labels.

    Two generative procedures (the lecture's (a) and (b)):

    ``method="categorical"`` (a)
        For each of the N points draw a uniform number u and take the first component whose
        cumulative weight exceeds u, then draw from that Gaussian.  Returns exactly N points,
        in the order drawn: an independent sample from the mixture.
    ``method="proportional"`` (b)
        Draw ``n_k = round(N * pi_k)`` points from component k (rounded half up), components in
        order.  Taken literally as in the lecture: **the result has sum_k n_k rows, which can
        differ from N** (e.g. N = 10 and three weights 1/3 give 3 + 3 + 3 = 9 rows; N = 5 and
        weights (1/2, 1/2) give 3 + 3 = 6), and the counts are fixed rather than random (a
        stratified sample, not an independent one).  Use "categorical" when exactly N
        independent points are needed.

    Random stream (for reproducibility): "categorical" first draws the n uniforms
    (``rng.random(n)``), then both methods draw one (M, D) block of standard normals ``e`` and
    set ``x_i = mu_{z_i} + L_{z_i} e_i`` with ``L L^T`` the Cholesky factorisation of Sigma.

    Parameters
    ----------
    weights : array-like, shape (K,)
    means : array-like, shape (K, D)
    covariances : array-like, shape (K, D, D)
    n : int
        N, the number of points (>= 0).
    rng : numpy.random.Generator, int or None
    method : {"categorical", "proportional"}

    Returns
    -------
    X : ndarray, shape (M, D)
        M = N for "categorical", M = sum_k round(N * pi_k) for "proportional".
    z : ndarray of int, shape (M,)
        Component of each point.
    """
    weights, means, covariances = _check_params(weights, means, covariances)
    n = check_int(n, "n", minimum=0)
    rng = check_rng(rng)
    k, d = means.shape
    if method == "categorical":
        cumulative = np.cumsum(weights)
        u = rng.random(n)
        # side="right": u == cumulative[j] belongs to the next component; the clip guards a
        # cumulative sum that rounds to just below 1.
        z = np.minimum(np.searchsorted(cumulative, u, side="right"), k - 1)
    elif method == "proportional":
        counts = np.floor(n * weights + 0.5).astype(np.intp)
        z = np.repeat(np.arange(k), counts)
    else:
        raise ValueError(f"method must be 'categorical' or 'proportional', got {method!r}")
    z = z.astype(np.intp)
    noise = rng.standard_normal((z.shape[0], d))
    X = np.empty((z.shape[0], d))
    for j in range(k):
        mask = z == j
        chol = np.linalg.cholesky(covariances[j])
        X[mask] = means[j] + noise[mask] @ chol.T
    return X, z
