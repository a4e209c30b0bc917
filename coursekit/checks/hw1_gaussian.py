"""Checks of hw1_gaussian: the Gaussian density (task 1), the log-likelihood (task 2), the MLE (task 3a).

``visible_*``: the visible test of a task (small worked instances; the message shows the
student's value and the expected one).  ``check_*``: the hidden tests (random instances from fixed
seeds; the message names the misconception and never shows an expected value).
"""

import numpy as _np

from .. import gaussian as _gaussian
from ._guard import (array_of_shape, call_student, check, close, fail, reference_backed, scalar, tuple_of)
from ._instances import about, fmt, gaussian_instance, mismatch, random_cov
from ._progress import Task, summary_function, visible
from ._guard import rng as _rng

ASSIGNMENT = "hw1_gaussian"
TITLE = "Homework 1"
TASKS = (
    Task("1", "the Gaussian density", "gaussian_pdf", 4, visible=1),
    Task("2", "the log-likelihood of a data set", "log_likelihood", 4, visible=1),
    Task("3a", "maximum-likelihood estimates", "mle_gaussian", 5, visible=1),
    Task("3b", "derive the 1-D MLE", None, 4),
)
_T1, _T2, _T3A = TASKS[0].name.split(":")[0], TASKS[1].name.split(":")[0], TASKS[2].name.split(":")[0]


def _reference_pdf():
    return reference_backed(lambda X, mean, cov: _gaussian.pdf(X, mean, cov))


# =============================================================================================
# Task 1: gaussian_pdf

# A correlated 2-D Gaussian whose |Σ| = 1.64 (with Σ = I a missing |Σ| would go unnoticed), and a
# 1-D one whose variance 4 is not its standard deviation.
_PDF_CASES = (
    (_np.array([[0.0, 0.0], [2.0, 1.0]]), _np.array([0.5, 1.0]), _np.array([[2.0, 0.6], [0.6, 1.0]])),
    (_np.array([[0.0], [3.0]]), _np.array([1.0]), _np.array([[4.0]])),
)


def _pdf_diagnosis(X, mean, cov, got, ref, numbers):
    """The usual slips, each a known factor away from the reference."""
    d = X.shape[1]
    det = float(_np.linalg.det(cov))
    diff = X - mean
    maha = _np.einsum("ni,ij,nj->n", diff, _np.linalg.inv(cov), diff)
    maha_cov = _np.einsum("ni,ij,nj->n", diff, cov, diff)
    root = f" (√|Σ| = {_np.sqrt(det):.4g} here)" if numbers else ""
    if close(got, ref * _np.sqrt(det), 1e-6, 1e-300):
        return (f"your values are the expected ones times √|Σ|{root}: the factor |Σ|^(-1/2) of the normalising "
                "constant is missing")
    if close(got, ref / _np.sqrt(det), 1e-6, 1e-300):
        return (f"your values are the expected ones divided by √|Σ|{root}: the normalising constant has "
                "|Σ|^(-1/2), the square root of the determinant, not |Σ|^(-1)")
    if d > 1 and close(got, ref * (2 * _np.pi) ** (d / 2 - 0.5), 1e-6, 1e-300):
        return "the normalising constant is wrong: the power of 2π is -D/2, with D the dimension, not -1/2"
    if close(got, ref * (2 * _np.pi) ** (d / 2), 1e-6, 1e-300):
        return "the factor (2π)^(-D/2) of the normalising constant is missing"
    if close(got, ref * _np.exp(-0.5 * maha), 1e-6, 1e-300):
        return "the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ) (the ½ is missing)"
    if close(got, ref * _np.exp(maha), 1e-6, 1e-300):
        return "the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ), with a minus sign"
    if close(got, ref * _np.exp(0.5 * maha - 0.5 * maha_cov), 1e-6, 1e-300):
        return "the exponent uses Σ where it needs Σ⁻¹"
    if d == 1:
        var = cov[0, 0]
        alt = _np.exp(-0.5 * ((X[:, 0] - mean[0]) / var) ** 2) / (_np.sqrt(2 * _np.pi) * var)
        if close(got, alt, 1e-6, 1e-300):
            return "for D = 1, cov holds the variance σ², not the standard deviation σ"
    return None


@visible(TASKS[0])
def visible_gaussian_pdf(gaussian_pdf):
    """The density at two points of a correlated 2-D Gaussian, then of a 1-D one (D = 1)."""
    for X, mean, cov in _PDF_CASES:
        call = f"gaussian_pdf(X, mean, cov) with X = {fmt(X)}, mean = {fmt(mean)}, cov = {fmt(cov)}"
        expected = _gaussian.pdf(X, mean, cov)
        with about(call):
            got = array_of_shape(call_student(gaussian_pdf, "gaussian_pdf", X, mean, cov, task=_T1), "its result",
                                 (X.shape[0],))
        if not close(got, expected, 1e-6, 1e-300):
            fail(mismatch(call, got, expected, _pdf_diagnosis(X, mean, cov, got, expected, numbers=True)))


@check
def check_pdf_matches_reference(gaussian_pdf, seeds):
    """gaussian_pdf agrees with coursekit.gaussian.pdf for D = 2..5."""
    for seed in seeds:
        X, mean, cov = gaussian_instance(seed)
        ref = _gaussian.pdf(X, mean, cov)
        got = array_of_shape(call_student(gaussian_pdf, "gaussian_pdf", X, mean, cov, task=_T1),
                             "gaussian_pdf's result", (X.shape[0],))
        if close(got, ref, 1e-7, 1e-300):
            continue
        fail(_pdf_diagnosis(X, mean, cov, got, ref, numbers=False)
             or "gaussian_pdf does not match the multivariate normal density on random instances (D = 2..5)")


@check
def check_pdf_one_dimensional(gaussian_pdf, seeds):
    """D = 1: X (N, 1), mean (1,), cov (1, 1)."""
    for seed in seeds:
        X, mean, cov = gaussian_instance(seed, d=1)
        ref = _gaussian.pdf(X, mean, cov)
        got = array_of_shape(call_student(gaussian_pdf, "gaussian_pdf", X, mean, cov, task=_T1),
                             "gaussian_pdf's result for D = 1", (X.shape[0],))
        if not close(got, ref, 1e-7, 1e-300):
            fail(_pdf_diagnosis(X, mean, cov, got, ref, numbers=False)
                 or "gaussian_pdf is wrong for D = 1 (X of shape (N, 1), mean (1,), cov (1, 1))")


# =============================================================================================
# Task 2: log_likelihood

_LOGLIK_CASES = (
    # three points of the correlated 2-D Gaussian (|Σ| = 1.64: a missing log|Σ| shows)
    (_np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5]]), _np.array([0.5, 1.0]), _np.array([[2.0, 0.6], [0.6, 1.0]])),
    # a point 40 standard deviations out: its density, e^-800 / √(2π), is 0 in floating point
    (_np.array([[0.0], [40.0]]), _np.array([0.0]), _np.array([[1.0]])),
)


def _loglik_diagnosis(X, mean, cov, got, ref, numbers):
    n, d = X.shape
    logdet = float(_np.linalg.slogdet(cov)[1])
    tol = 1e-7 * max(1.0, abs(ref))
    if abs(got - ref / n) <= 1e-7 * max(1.0, abs(ref / n)):
        return "log_likelihood must be the sum over the points, not their mean"
    here = f" (log|Σ| = {logdet:.4g} here)" if numbers else ""
    if abs(logdet) > 1e-3 and abs(got - (ref + 0.5 * n * logdet)) <= tol:
        return f"the term -(N/2) log|Σ| is missing{here}: each log-density has -½ log|Σ|"
    if abs(logdet) > 1e-3 and abs(got - (ref - 0.5 * n * logdet)) <= tol:
        return f"the log-determinant term counts twice{here}: each log-density has -½ log|Σ|, not -log|Σ|"
    if abs(got - (ref + 0.5 * n * d * _np.log(2 * _np.pi))) <= tol:
        return "the term -(N D/2) log(2π) is missing: each log-density has -(D/2) log(2π)"
    if abs(got - (ref + 0.5 * (n - 1) * (d * _np.log(2 * _np.pi) + logdet))) <= tol:
        return "the constant -½ (D log 2π + log|Σ|) must be counted once per point (N times), not once"
    if ref < 700 and abs(got - _np.exp(ref)) <= 1e-7 * max(1.0, _np.exp(ref)):
        return "log_likelihood must return the log of the likelihood"
    return None


_UNDERFLOW_HINT = (
    "A density that small underflows to 0 in floating point, so log(pdf) gives -inf. Compute each "
    "log-density directly: log N(x | μ, Σ) = -½ (D log 2π + log|Σ| + (x-μ)ᵀ Σ⁻¹ (x-μ))."
)


@visible(TASKS[1])
def visible_log_likelihood(log_likelihood):
    """Three points of a correlated 2-D Gaussian; then a point 40 standard deviations from the mean."""
    for X, mean, cov in _LOGLIK_CASES:
        call = f"log_likelihood(X, mean, cov) with X = {fmt(X)}, mean = {fmt(mean)}, cov = {fmt(cov)}"
        expected = _gaussian.log_likelihood(X, mean, cov)
        with about(call):
            got = _loglik_value(call_student(log_likelihood, "log_likelihood", X, mean, cov, task=_T2,
                                             substitutes={"gaussian_pdf": _reference_pdf()}))
        if not _np.isfinite(got):
            fail(mismatch(call, got, expected, _UNDERFLOW_HINT))
        if abs(got - expected) > 1e-7 * max(1.0, abs(expected)):
            fail(mismatch(call, got, expected, _loglik_diagnosis(X, mean, cov, got, expected, numbers=True)))


def _loglik_value(result):
    return scalar(result, "log_likelihood's result", finite=False)


@check
def check_loglik_matches_reference(log_likelihood, seeds):
    """log_likelihood agrees with coursekit.gaussian.log_likelihood (D = 1 included)."""
    for i, seed in enumerate(seeds):
        X, mean, cov = gaussian_instance(seed, d=1 if i == 0 else None)
        ref = _gaussian.log_likelihood(X, mean, cov)
        got = scalar(call_student(log_likelihood, "log_likelihood", X, mean, cov, task=_T2,
                                  substitutes={"gaussian_pdf": _reference_pdf()}), "log_likelihood's result")
        if abs(got - ref) <= 1e-7 * max(1.0, abs(ref)):
            continue
        fail(_loglik_diagnosis(X, mean, cov, got, ref, numbers=False)
             or "log_likelihood does not match Σₙ log N(xₙ | μ, Σ) on random instances")


@check
def check_loglik_log_space(log_likelihood, seeds):
    """Points far from the mean: the densities underflow, their logs do not."""
    for seed in seeds:
        generator = _rng(seed)
        d = 3
        mean = generator.normal(size=d)
        cov = random_cov(generator, d, scale=0.05)
        X = mean + generator.normal(size=(20, d)) * 40.0
        ref = _gaussian.log_likelihood(X, mean, cov)
        got = _loglik_value(call_student(log_likelihood, "log_likelihood", X, mean, cov, task=_T2,
                                         substitutes={"gaussian_pdf": _reference_pdf()}))
        if not _np.isfinite(got):
            fail("log_likelihood is infinite or NaN for points far from the mean: their densities underflow to 0 "
                 "there; compute log N(x | μ, Σ) directly (in log space) instead of log(pdf)")
        if abs(got - ref) > 1e-7 * max(1.0, abs(ref)):
            # A wrong formula is named as such (its log-space computation may be fine).
            fail(_loglik_diagnosis(X, mean, cov, got, ref, numbers=False)
                 or "log_likelihood is inaccurate for points far from the mean: compute log N(x | μ, Σ) directly "
                    "(in log space) instead of log(pdf)")


# =============================================================================================
# Task 3a: mle_gaussian

_MLE_CASES = (
    _np.array([[0.0, 1.0], [2.0, 2.0], [1.0, 4.0], [1.0, 1.0]]),  # N = 4, D = 2, correlated, column means 1 and 2
    _np.array([[1.0], [2.0], [6.0]]),  # D = 1
)


def _cov_diagnosis(X, got, ref, numbers):
    n = X.shape[0]
    factor = f" = {n}/{n - 1}" if numbers else ""
    if close(got, ref * n / (n - 1), 1e-8, 1e-10):
        return (f"your covariance is N/(N-1){factor} times the MLE: that is the unbiased 1/(N-1) estimate (np.cov's "
                "default); the MLE divides by N")
    if close(got, _np.diag(_np.diag(ref)), 1e-8, 1e-10) and not close(ref, _np.diag(_np.diag(ref)), 1e-8, 1e-10):
        return "the covariance is missing its off-diagonal entries (the MLE is the full matrix)"
    if close(got, X.T @ X / n, 1e-8, 1e-10):
        return "the covariance must be computed from the centred data x - μ"
    root = _np.sqrt(_np.abs(ref))
    if close(got, root, 1e-8, 1e-10) or close(got, _np.sign(ref) * root, 1e-8, 1e-10):
        return "the covariance holds variances, not standard deviations (no square root)"
    return None


def _mle_shapes(out, d):
    """The (mean, covariance) pair as plain arrays of shapes (D,) and (D, D)."""
    mean, cov = tuple_of(out, "mle_gaussian", 2)
    return array_of_shape(mean, "the mean returned by mle_gaussian", (d,)), _cov_shaped(cov, d)


def _cov_shaped(cov, d):
    arr = cov if type(cov) is _np.ndarray else None
    if arr is not None and d == 1 and arr.shape == ():
        fail("the covariance has shape () but must have shape (1, 1) when D = 1: np.cov returns a 0-d array for "
             "one variable (use np.atleast_2d, or Xcᵀ Xc / N)")
    if arr is not None and arr.ndim == 2 and arr.shape[0] == arr.shape[1] and arr.shape[0] != d:
        fail(f"the covariance has shape {arr.shape} but must have shape ({d}, {d}): it is a D×D matrix (np.cov "
             "treats each row as a variable unless rowvar=False)")
    return array_of_shape(cov, "the covariance returned by mle_gaussian", (d, d))


@visible(TASKS[2])
def visible_mle_gaussian(mle_gaussian):
    """Four 2-D points, then three 1-D points (D = 1)."""
    for X in _MLE_CASES:
        call = f"mle_gaussian(X) with X = {fmt(X)}"
        ref_mean, ref_cov = _gaussian.fit_mle(X)
        with about(call):
            mean, cov = _mle_shapes(call_student(mle_gaussian, "mle_gaussian", X, task=_T3A), X.shape[1])
        if not close(mean, ref_mean, 1e-9, 1e-9):
            fail(mismatch(call + ": the mean", mean, ref_mean, _mean_diagnosis(X, mean)))
        if not close(cov, ref_cov, 1e-8, 1e-10):
            fail(mismatch(call + ": the covariance", cov, ref_cov, _cov_diagnosis(X, cov, ref_cov, numbers=True)))


def _mean_diagnosis(X, got):
    if close(got, _np.full(X.shape[1], X.mean()), 1e-9, 1e-9):
        return ("the mean has one entry per coordinate: average over the points (X.mean(axis=0)), not over every "
                "entry of X")
    return "the mean is the average of the N points, one entry per coordinate (X.mean(axis=0))"


@check
def check_mle_mean(mle_gaussian, seeds):
    for seed in seeds:
        X, _, _ = gaussian_instance(seed)
        ref_mean, _ = _gaussian.fit_mle(X)
        out = tuple_of(call_student(mle_gaussian, "mle_gaussian", X, task=_T3A), "mle_gaussian", 2)
        got = array_of_shape(out[0], "the mean returned by mle_gaussian", ref_mean.shape)
        if not close(got, ref_mean, 1e-9, 1e-9):
            fail(f"the mean returned by mle_gaussian is not the sample mean: {_mean_diagnosis(X, got)}")


@check
def check_mle_cov(mle_gaussian, seeds):
    for seed in seeds:
        X, _, _ = gaussian_instance(seed)
        d = X.shape[1]
        _, ref_cov = _gaussian.fit_mle(X)
        _, got = _mle_shapes(call_student(mle_gaussian, "mle_gaussian", X, task=_T3A), d)
        if close(got, ref_cov, 1e-8, 1e-10):
            continue
        fail(_cov_diagnosis(X, got, ref_cov, numbers=False)
             or "the covariance returned by mle_gaussian is not the maximum-likelihood (1/N) covariance")


@check
def check_mle_one_dimensional(mle_gaussian, seeds):
    for seed in seeds:
        X, _, _ = gaussian_instance(seed, d=1)
        ref_mean, ref_cov = _gaussian.fit_mle(X)
        mean, cov = _mle_shapes(call_student(mle_gaussian, "mle_gaussian", X, task=_T3A), 1)
        if not (close(mean, ref_mean, 1e-9, 1e-9) and close(cov, ref_cov, 1e-8, 1e-10)):
            fail(_cov_diagnosis(X, cov, ref_cov, numbers=False) or "mle_gaussian is wrong for D = 1 (X of shape (N, 1))")


# =============================================================================================

VISIBLE = {"gaussian_pdf": visible_gaussian_pdf, "log_likelihood": visible_log_likelihood,
           "mle_gaussian": visible_mle_gaussian}


summary = summary_function(TITLE, TASKS, VISIBLE)
