"""The multivariate normal distribution N(mean, cov).

Densities are computed in log space from the Cholesky factor of the covariance
(``cov = L L^T``): the Mahalanobis term is ``|L^{-1}(x - mean)|^2`` (a triangular solve) and
``log|cov| = 2 sum(log diag L)``, so no covariance matrix is ever inverted.

All functions accept array-likes.  ``X`` is (N, D); a 1-D ``X`` of length N means D = 1.
float32 input is computed in float64.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import linalg

from ._validation import (
    check_cov,
    check_int,
    check_mean,
    check_positive_float,
    check_rng,
    check_X,
)

__all__ = [
    "logpdf",
    "pdf",
    "log_likelihood",
    "fit_mle",
    "sample",
    "marginal",
    "conditional",
    "ellipse",
    "Ellipse",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _check_X_mean_cov(X, mean, cov):
    X = check_X(X)
    d = X.shape[1]
    mean = check_mean(mean, d=d)
    cov = check_cov(cov, d=d)
    return X, mean, cov


def _check_mean_cov(mean, cov):
    mean = check_mean(mean)
    cov = check_cov(cov, d=mean.shape[0])
    return mean, cov


def _inverse_cholesky(cov):
    """``(L^{-1}, log det cov)`` for ``cov = L L^T``; raises ``numpy.linalg.LinAlgError`` if not PD.

    ``L^{-1}`` is the (D, D) inverse of the triangular factor (LAPACK ``trtri``), the same
    "precision Cholesky" scikit-learn uses; the covariance itself is never inverted.  Applying it
    with a matrix product instead of a triangular solve per call matters here: SciPy's
    ``solve_triangular`` costs milliseconds per call even for 2 x 2 factors (threaded BLAS
    start-up), which the book's widgets would pay on every redraw.
    """
    chol = np.linalg.cholesky(cov)
    inv, info = linalg.lapack.dtrtri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("singular Cholesky factor")
    return np.tril(inv), 2.0 * np.sum(np.log(np.diag(chol)))


def _logpdf(X, mean, cov):
    """Log density of validated arrays (no checks)."""
    d = X.shape[1]
    inv_chol, log_det = _inverse_cholesky(cov)
    # rows of L^{-1} (x - mean) for all points at once: (n, d)
    y = (X - mean) @ inv_chol.T
    maha = np.einsum("ij,ij->i", y, y)
    return -0.5 * (d * _LOG_2PI + log_det + maha)


def logpdf(X, mean, cov):
    """Log density of N(mean, cov) at each row of X.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
        Points (a 1-D array is N points in D = 1).
    mean : array-like, shape (D,)
        Mean vector (a scalar when D = 1).
    cov : array-like, shape (D, D)
        Symmetric positive definite covariance (a scalar variance when D = 1).

    Returns
    -------
    ndarray, shape (N,)
        ``log N(x_i | mean, cov)``.
    """
    X, mean, cov = _check_X_mean_cov(X, mean, cov)
    return _logpdf(X, mean, cov)


def pdf(X, mean, cov):
    """Density of N(mean, cov) at each row of X; shapes as in :func:`logpdf`.

    Returns
    -------
    ndarray, shape (N,)
    """
    return np.exp(logpdf(X, mean, cov))


def log_likelihood(X, mean, cov):
    """Log-likelihood ``sum_i log N(x_i | mean, cov)`` of the data set X (a sum, not a mean).

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)

    Returns
    -------
    float
    """
    return float(np.sum(logpdf(X, mean, cov)))


def fit_mle(X):
    """Maximum-likelihood mean and covariance of X.

    The covariance is the 1/N (biased) sample covariance: that is the maximiser of the
    likelihood, not the unbiased 1/(N-1) estimate of ``numpy.cov``.

    Parameters
    ----------
    X : array-like, shape (N, D) or (N,)

    Returns
    -------
    mean : ndarray, shape (D,)
    cov : ndarray, shape (D, D)
        Symmetric; positive semi-definite (singular when n <= d or the points are collinear).
    """
    X = check_X(X, fit=True)
    n = X.shape[0]
    mean = X.mean(axis=0)
    diff = X - mean
    cov = diff.T @ diff / n
    # The product is symmetric in exact arithmetic; make it symmetric in floating point too.
    cov = 0.5 * (cov + cov.T)
    return mean, cov


def sample(mean, cov, n, rng=None):
    """Draw ``n`` points from N(mean, cov) as ``mean + z L^T`` with z standard normal.

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
    n : int
        N, the number of points (>= 0).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ndarray, shape (N, D)
    """
    mean, cov = _check_mean_cov(mean, cov)
    n = check_int(n, "n", minimum=0)
    rng = check_rng(rng)
    chol = linalg.cholesky(cov, lower=True)
    z = rng.standard_normal((n, mean.shape[0]))
    return mean + z @ chol.T


def _check_indices(indices, d, name, allow_all=True):
    arr = np.atleast_1d(np.asarray(indices))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty sequence of coordinate indices, got {indices!r}")
    if arr.dtype.kind == "b":
        if arr.shape[0] != d:
            raise ValueError(f"{name} as a boolean mask must have length d = {d}, got {arr.shape[0]}")
        arr = np.flatnonzero(arr)
        if arr.size == 0:
            raise ValueError(f"{name} selects no coordinate")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer coordinate indices, got dtype {arr.dtype}")
    arr = arr.astype(np.intp)
    if np.any(arr < -d) or np.any(arr >= d):
        raise ValueError(f"{name} has an index out of range for d = {d}: {indices!r}")
    arr = np.where(arr < 0, arr + d, arr)
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} has repeated indices: {indices!r}")
    if not allow_all and arr.size == d:
        raise ValueError(f"{name} must leave at least one coordinate free, got all d = {d}")
    return arr


def marginal(mean, cov, keep):
    """Marginal distribution of the coordinates ``keep``: N(mean[keep], cov[keep, keep]).

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
    keep : int, sequence of ints or boolean mask of length d
        Coordinates to keep, in the order given.

    Returns
    -------
    mean : ndarray, shape (m,)
    cov : ndarray, shape (m, m)
    """
    mean, cov = _check_mean_cov(mean, cov)
    keep = _check_indices(keep, mean.shape[0], "keep")
    return mean[keep].copy(), cov[np.ix_(keep, keep)].copy()


def conditional(mean, cov, given, values):
    """Conditional distribution of the other coordinates given ``x[given] = values``.

    With a = the remaining coordinates (in increasing order) and b = ``given``::

        mean_a|b = mean_a + S_ab S_bb^{-1} (values - mean_b)
        cov_a|b  = S_aa - S_ab S_bb^{-1} S_ba

    (``S_bb^{-1}`` applied through its Cholesky factor, never formed).

    Parameters
    ----------
    mean : array-like, shape (D,)
    cov : array-like, shape (D, D)
    given : int, sequence of ints or boolean mask of length d
        Observed coordinates; at least one coordinate must remain.
    values : array-like, shape (len(given),)
        Observed values, in the order of ``given``.

    Returns
    -------
    mean : ndarray, shape (d - len(given),)
    cov : ndarray, shape (d - len(given), d - len(given))
    """
    mean, cov = _check_mean_cov(mean, cov)
    d = mean.shape[0]
    b = _check_indices(given, d, "given", allow_all=False)
    values = check_mean(values, name="values")
    if values.shape[0] != b.shape[0]:
        raise ValueError(f"values has length {values.shape[0]} but given has {b.shape[0]} coordinate(s)")
    a = np.setdiff1d(np.arange(d), b)
    s_ab = cov[np.ix_(a, b)]
    factor = linalg.cho_factor(cov[np.ix_(b, b)], lower=True)
    cond_mean = mean[a] + s_ab @ linalg.cho_solve(factor, values - mean[b])
    cond_cov = cov[np.ix_(a, a)] - s_ab @ linalg.cho_solve(factor, s_ab.T)
    cond_cov = 0.5 * (cond_cov + cond_cov.T)
    return cond_mean, cond_cov


class Ellipse(NamedTuple):
    """A constant-density ellipse of a 2-D Gaussian (see :func:`ellipse`)."""

    center: np.ndarray
    """(2,) the mean."""
    eigenvalues: np.ndarray
    """(2,) eigenvalues of the covariance, largest first (lambda_max, lambda_min)."""
    eigenvectors: np.ndarray
    """(2, 2) unit eigenvectors as columns, ``eigenvectors[:, i]`` belongs to ``eigenvalues[i]``."""
    half_lengths: np.ndarray
    """(2,) semi-axis lengths ``n_std * sqrt(eigenvalues)``."""
    angle: float
    """Angle of the major axis from the x axis, in degrees (for ``matplotlib.patches.Ellipse``)."""
    points: np.ndarray
    """(m, 2) points on the ellipse, closed (the last point repeats the first)."""


def ellipse(mean, cov, n_std=2.0, n_points=100):
    """The ellipse ``(x - mean)^T cov^{-1} (x - mean) = n_std^2`` of a 2-D Gaussian.

    Its axes point along the unit eigenvectors of ``cov`` and its semi-axes are
    ``n_std * sqrt(eigenvalue)``.  Each eigenvector's sign is fixed so that its
    largest-magnitude component is positive (results are reproducible).

    Parameters
    ----------
    mean : array-like, shape (2,)
    cov : array-like, shape (2, 2)
    n_std : float
        Mahalanobis radius (> 0): 1, 2, 3 "standard deviations".
    n_points : int
        Number of points returned on the curve (>= 3).

    Returns
    -------
    Ellipse
        Named tuple with ``center``, ``eigenvalues``, ``eigenvectors``, ``half_lengths``,
        ``angle`` and ``points`` (n_points, 2).
    """
    mean, cov = _check_mean_cov(mean, cov)
    if mean.shape[0] != 2:
        raise ValueError(f"mean must have d = 2 for an ellipse, got d = {mean.shape[0]}")
    n_std = check_positive_float(n_std, "n_std")
    n_points = check_int(n_points, "n_points", minimum=3)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    biggest = np.argmax(np.abs(eigenvectors), axis=0)
    signs = np.sign(eigenvectors[biggest, np.arange(2)])
    eigenvectors = eigenvectors * signs
    half_lengths = n_std * np.sqrt(eigenvalues)
    t = np.linspace(0.0, 2.0 * np.pi, n_points)
    unit = np.stack([np.cos(t), np.sin(t)], axis=1)
    points = mean + (unit * half_lengths) @ eigenvectors.T
    points[-1] = points[0]
    angle = float(np.degrees(np.arctan2(eigenvectors[1, 0], eigenvectors[0, 0])))
    return Ellipse(mean, eigenvalues, eigenvectors, half_lengths, angle, points)
