"""Checks of hw2_sampling: sampling a Gaussian mixture two ways (tasks 4a, 4b) and its density (task 4c).

Samples are judged statistically (label frequencies, each component's mean and covariance, exact
counts for 4b, reproducibility from ``rng``), never draw by draw: the order in which a student
draws random numbers is theirs.  A correct sampler fails a statistical check with probability
about 1e-6 per check and seed (Bonferroni-corrected); the seeds are fixed, so a given
implementation always gets the same mark.
"""

import numpy as _np
import scipy.special as _special

from .. import gaussian as _gaussian
from .. import mixture as _mixture
from ._guard import (Fail, NotWritten, array_equal, array_of_shape, call_student, check, close, fail, npall, plain,
                     quiet, reference_backed, tuple_of)
from ._guard import rng as _rng
from ._instances import about, fmt, mismatch, mixture_instance
from ._progress import Helper, Task, summary_function, visible

ASSIGNMENT = "hw2_sampling"
TITLE = "Homework 2"
TASKS = (
    Task("4a", "sampling with a categorical choice of component", "sample_gmm", 6, visible=1),
    Task("4b", "sampling with fixed counts", "sample_gmm_fixed_counts", 5, visible=1),
    Task("4c", "the mixture density", "gmm_pdf", 4, visible=1),
)
HELPERS = (Helper("gaussian_pdf", "Task 4c uses it", (_np.zeros((1, 1)), _np.zeros(1), _np.ones((1, 1)))),)
_T4A, _T4B, _T4C = (t.name.split(":")[0] for t in TASKS)

_P_FAIL = 1e-6
_chdtri = _special.chdtri
_bincount = _np.bincount


def _labels(value, what, n, k):
    arr = plain(value, what)
    if arr.shape != (n,):
        fail(f"{what} has shape {arr.shape} but must have shape ({n},)")
    if not npall(_np.isfinite(arr)) or not npall(arr == _np.round(arr)):
        fail(f"{what} must hold integer component indices")
    labels = arr.astype(_np.int64)
    if labels.size and labels.min() == 1 and labels.max() == k:
        fail(f"{what} must be component indices 0 … K-1 (yours run from 1 to {k}: they look like 1 … K)")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        fail(f"{what} must be component indices in 0 … K-1 (yours run from {labels.min()} to {labels.max()}, K = {k})")
    return labels


def _len_or_fail(value, name):
    if type(value) is _np.ndarray and value.ndim == 1:
        return value.shape[0]
    if type(value) in (list, tuple):
        return len(value)
    fail(f"the labels returned by {name} must be a 1-D array")


def _sample_output(out, name, n, k, d):
    """(X, z) as plain arrays; ``n`` None: any number of points (fixed counts)."""
    out = tuple_of(out, name, 2)
    z = _labels(out[1], f"the labels z returned by {name}", n if n is not None else _len_or_fail(out[1], name), k)
    X = array_of_shape(out[0], f"the points X returned by {name}", (z.shape[0], d))
    return X, z


def _moments_diagnosis(X, z, means, covs, name, zcrit, numbers):
    """None if every component's points have its mean and covariance, else what is wrong."""
    k, d = means.shape
    for j in range(k):
        pts = X[z == j]
        nj = pts.shape[0]
        if nj < 30:
            continue
        m = pts.mean(axis=0)
        se = _np.sqrt(_np.diag(covs[j]) / nj)
        if _np.max(_np.abs(m - means[j]) / se) > zcrit:
            values = f" have mean {fmt(m)}; expected about {fmt(means[j])}" if numbers else ""
            if _np.max(_np.abs(m) / se) <= zcrit:
                return (f"{name}: the points labelled {j}{values}: they are centred on 0, the component's mean μ_k "
                        "is missing (a draw is μ_k + L ε)")
            for other in range(k):
                if other != j and _np.max(_np.abs(m - means[other]) / _np.sqrt(_np.diag(covs[other]) / nj)) <= zcrit:
                    return (f"{name}: the points labelled {j}{values}: they come from another component; each "
                            "label z[i] must be the component that X[i] was drawn from")
            return f"{name}: the points labelled {j}{values}: a component's points must have that component's mean"
        c = (pts - means[j]).T @ (pts - means[j]) / nj
        var = _np.diag(covs[j])
        se_c = _np.sqrt((_np.outer(var, var) + covs[j] ** 2) / nj)
        if _np.max(_np.abs(c - covs[j]) / se_c) > zcrit:
            values = f" have covariance {fmt(c)}; expected about {fmt(covs[j])}" if numbers else ""
            chol = _np.linalg.cholesky(covs[j])
            alternatives = [covs[j] @ covs[j], _np.sqrt(_np.abs(covs[j])) * _np.sign(covs[j])]
            if d > 1:
                alternatives.append(chol.T @ chol)
            for a in alternatives:
                se_a = _np.sqrt((_np.outer(_np.diag(a), _np.diag(a)) + a ** 2) / nj)
                if _np.max(_np.abs(c - a) / se_a) <= zcrit:
                    return (f"{name}: the points labelled {j}{values}: the spread is wrong. A draw from N(μ, Σ) is "
                            "μ + L ε with L the Cholesky factor of Σ (L Lᵀ = Σ; with ε as a row vector, ε @ L.T) "
                            "and ε standard normal: a standard deviation is the square root of the variance")
            return f"{name}: the points labelled {j}{values}: their covariance must be that component's Σ"
    return None


def _zcrit(k, d, p_fail):
    tests = k * (d + d * (d + 1) // 2)
    return float(_np.sqrt(_chdtri(1, p_fail / tests)))


def _reproducible_diagnosis(func, name, args, n, k, d, seed, task, fixed, numbers=False):
    runs = []
    for rng_seed, global_seed in ((seed, 1), (seed, 2), (seed + 1, 1)):
        _np.random.seed(global_seed)  # a sampler that uses np.random.* instead of rng changes with this
        runs.append(_sample_output(call_student(func, name, *args, n, _rng(rng_seed), task=task), name,
                                   None if fixed else n, k, d))
    (X1, z1), (X2, z2), (X3, _) = runs
    if not (array_equal(X1, X2) and array_equal(z1, z2)):
        return (f"{name}: the same rng seed must give the same sample: draw all randomness from rng (not from "
                "np.random.* or a new Generator)")
    if array_equal(X1, X3):
        shown = (f" (yours gave X[0] = {fmt(X1[0])} with np.random.default_rng({seed}) and with "
                 f"np.random.default_rng({seed + 1}))" if numbers and X1.shape[0] else "")
        return (f"{name}: different rng seeds gave the same sample{shown}: draw all randomness from the rng passed "
                "in (a Generator with a seed of your own ignores it)")
    return None


# =============================================================================================
# Task 4a: sample_gmm

_SAMPLE_CASE = (_np.array([0.2, 0.8]), _np.array([[0.0, 0.0], [10.0, 10.0]]),
                _np.array([[[4.0, 0.0], [0.0, 0.25]], [[1.0, 0.5], [0.5, 1.0]]]))


@visible(TASKS[0])
def visible_sample_gmm(sample_gmm):
    """5000 points of a 2-component mixture: shapes, reproducibility, label frequencies, spread; then n = 0."""
    weights, means, covs = _SAMPLE_CASE
    n = 5000
    call = (f"sample_gmm(weights, means, covs, n, rng) with weights = {fmt(weights)}, means = {fmt(means)}, "
            f"covs = {fmt(covs)}, n = {n}, rng = np.random.default_rng(0)")
    with about(call):
        X, z = _sample_output(call_student(sample_gmm, "sample_gmm", weights, means, covs, n, _rng(0), task=_T4A),
                              "sample_gmm", n, 2, 2)
        message = _reproducible_diagnosis(sample_gmm, "sample_gmm", (weights, means, covs), n, 2, 2, 0, _T4A, False,
                                          numbers=True)
        if message:
            fail(message)
    freq = _bincount(z, minlength=2) / n
    if _np.max(_np.abs(freq - weights)) > 0.03:  # 5 standard errors
        fail(f"{call}\n  gave label frequencies {fmt(freq)}; expected about {fmt(weights)} (± 0.03): draw each "
             "label z[i] with P(z[i] = k) = π_k (a uniform number against the cumulative weights)")
    message = _moments_diagnosis(X, z, means, covs, "sample_gmm", _zcrit(2, 2, 1e-9), numbers=True)
    if message:
        fail(f"{call}\n  {message}")
    with about(call.replace(f"n = {n}", "n = 0")):
        _no_points(sample_gmm, "sample_gmm", weights, means, covs, _T4A, False)


def _no_points(func, name, weights, means, covs, task, fixed):
    """N = 0 (the docstring allows it): empty X of shape (0, D) and z of shape (0,)."""
    k, d = means.shape
    try:
        _sample_output(call_student(func, name, weights, means, covs, 0, _rng(0), task=task), name,
                       None if fixed else 0, k, d)
    except NotWritten:
        raise
    except Fail as exc:
        fail(f"{name} with n = 0: {exc.args[0]} (with no point to draw, X has shape (0, D) and z shape (0,))")


@check
def check_sample_frequencies(sample_gmm, seeds, n=6000):
    """Label frequencies match the weights (chi-square test); n = 0 gives empty arrays."""
    _no_points(sample_gmm, "sample_gmm", *_sampling_instance(seeds[0]), _T4A, False)
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed)
        k, d = means.shape
        X, z = _sample_output(call_student(sample_gmm, "sample_gmm", weights, means, covs, n, _rng(seed + 7),
                                           task=_T4A), "sample_gmm", n, k, d)
        counts = _bincount(z, minlength=k).astype(float)
        expected = n * weights
        stat = float(((counts - expected) ** 2 / expected).sum())
        if stat > float(_chdtri(k - 1, _P_FAIL)):
            fail("sample_gmm: the label frequencies do not match the weights: draw each label from the "
                 "categorical distribution π (a uniform number against the cumulative weights)")


@check
def check_sample_moments(sample_gmm, seeds, n=6000):
    """Per component: the points labelled k have mean μ_k and covariance Σ_k."""
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed)
        k, d = means.shape
        X, z = _sample_output(call_student(sample_gmm, "sample_gmm", weights, means, covs, n, _rng(seed + 7),
                                           task=_T4A), "sample_gmm", n, k, d)
        message = _moments_diagnosis(X, z, means, covs, "sample_gmm", _zcrit(k, d, _P_FAIL), numbers=False)
        if message:
            fail(message)


@check
def check_sample_reproducible(sample_gmm, seeds, n=200):
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed)
        k, d = means.shape
        message = _reproducible_diagnosis(sample_gmm, "sample_gmm", (weights, means, covs), n, k, d, seed, _T4A,
                                          False)
        if message:
            fail(message)


def _sampling_instance(seed):
    _, weights, means, covs, _ = mixture_instance(seed, spread=3.0)
    return weights, means, covs


# =============================================================================================
# Task 4b: sample_gmm_fixed_counts


def _proportional_counts(n, weights):
    with quiet():
        _, z = _mixture.sample(weights, _np.zeros((weights.size, 1)), _np.ones((weights.size, 1, 1)), n, rng=0,
                               method="proportional")
    return _bincount(z, minlength=weights.size)


def _counts_diagnosis(counts, expected, n, weights, numbers):
    name = "sample_gmm_fixed_counts"
    if array_equal(counts, _np.floor(n * weights).astype(int)):
        return f"{name}: you truncated n·π_k (int() or floor) instead of rounding it to the nearest integer"
    halves = _np.isclose(n * weights - _np.floor(n * weights), 0.5)
    if halves.any() and array_equal(counts, _np.round(n * weights).astype(int)):
        example = (f" (n·π_k = {fmt((n * weights)[halves][0])} gives {int(_np.floor(n * weights[halves][0] + 0.5))})"
                   if numbers else "")
        return (f"{name}: a half must round up{example}: np.round and round() send halves to the even "
                "integer; use floor(n·π_k + 0.5)")
    if array_equal(counts, _np.ceil(n * weights).astype(int)):
        return f"{name}: you rounded every n·π_k up (np.ceil) instead of to the nearest integer"
    if counts.sum() == n and expected.sum() != n:
        return (f"{name}: n_k must be floor(n·π_k + 0.5) for every component, even when the total then differs "
                "from n")
    if _np.max(_np.abs(counts - expected)) == 1:
        return f"{name}: the number of points from a component is off by one: it must be floor(n·π_k + 0.5)"
    return f"{name}: the number of points from component k must be floor(n·π_k + 0.5)"


_FIXED_CASES = (
    (_np.array([0.14, 0.36, 0.5]), _np.array([[0.0], [5.0], [10.0]]), _np.ones((3, 1, 1)), 10),  # 1.4, 3.6, 5
    (_np.array([0.25, 0.75]), _np.array([[0.0], [5.0]]), _np.ones((2, 1, 1)), 10),  # 2.5 and 7.5: halves
)


@visible(TASKS[1])
def visible_sample_gmm_fixed_counts(sample_gmm_fixed_counts):
    """The counts for n = 10 (no half, then two halves), reproducibility; then n = 0."""
    name = "sample_gmm_fixed_counts"
    for weights, means, covs, n in _FIXED_CASES:
        k, d = means.shape
        call = (f"{name}(weights, means, covs, n, rng) with weights = {fmt(weights)}, means = {fmt(means)}, "
                f"n = {n}")
        with about(call):
            X, z = _sample_output(call_student(sample_gmm_fixed_counts, name, weights, means, covs, n, _rng(0),
                                               task=_T4B), name, None, k, d)
        counts = _bincount(z, minlength=k)
        expected = _proportional_counts(n, weights)
        if not array_equal(counts, expected):
            fail(f"{call}\n  drew {fmt(counts)} points from components {fmt(_np.arange(k))}; expected "
                 f"{fmt(expected)} (n·π = {fmt(n * weights)})\n"
                 + _counts_diagnosis(counts, expected, n, weights, numbers=True))
        with about(call):
            message = _reproducible_diagnosis(sample_gmm_fixed_counts, name, (weights, means, covs), n, k, d, 0, _T4B,
                                              True, numbers=True)
            if message:
                fail(message)
    with about(call.replace(f"n = {n}", "n = 0")):
        _no_points(sample_gmm_fixed_counts, name, weights, means, covs, _T4B, True)


def _fixed_instance(seed, n):
    """Weights with n·π_k away from .5, at least one rounding up."""
    generator = _rng(seed)
    for _ in range(1000):
        weights, means, covs = _sampling_instance(int(generator.integers(1 << 30)))
        frac = n * weights - _np.floor(n * weights)
        if _np.all(_np.abs(frac - 0.5) > 0.02) and _np.any(frac > 0.55) and _np.all(frac > 0.02):
            return weights, means, covs
    raise RuntimeError("no instance")  # pragma: no cover


@check
def check_fixed_counts(sample_gmm_fixed_counts, seeds):
    """Exactly n_k = floor(n·π_k + 0.5) points from component k (halves included)."""
    name = "sample_gmm_fixed_counts"
    cases = [_fixed_instance(seed, n) + (n,) for seed, n in zip(seeds, (101, 257, 1000, 53))]
    # Three equal weights: the total is not n (3·round(10/3) = 9).
    cases.append((_np.full(3, 1 / 3), _np.array([[0.0], [5.0], [10.0]]), _np.ones((3, 1, 1)), 10))
    # Exact halves (dyadic weights): 1.5, 4.5 and 6 round to 2, 5 and 6.
    cases.append((_np.array([0.125, 0.375, 0.5]), _np.array([[0.0], [5.0], [10.0]]), _np.ones((3, 1, 1)), 12))
    _no_points(sample_gmm_fixed_counts, name, *cases[0][:3], _T4B, True)
    for weights, means, covs, n in cases:
        k, d = means.shape
        expected = _proportional_counts(n, weights)
        out = tuple_of(call_student(sample_gmm_fixed_counts, name, weights, means, covs, n, _rng(n), task=_T4B),
                       name, 2)
        z = _labels(out[1], f"the labels z returned by {name}", _len_or_fail(out[1], name), k)
        array_of_shape(out[0], f"the points X returned by {name}", (z.shape[0], d))
        counts = _bincount(z, minlength=k)
        if not array_equal(counts, expected):
            fail(_counts_diagnosis(counts, expected, n, weights, numbers=False))


@check
def check_fixed_moments(sample_gmm_fixed_counts, seeds, n=6000):
    name = "sample_gmm_fixed_counts"
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed)
        k, d = means.shape
        X, z = _sample_output(call_student(sample_gmm_fixed_counts, name, weights, means, covs, n, _rng(seed + 7),
                                           task=_T4B), name, None, k, d)
        message = _moments_diagnosis(X, z, means, covs, name, _zcrit(k, d, _P_FAIL), numbers=False)
        if message:
            fail(message)


@check
def check_fixed_reproducible(sample_gmm_fixed_counts, seeds, n=200):
    name = "sample_gmm_fixed_counts"
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed)
        k, d = means.shape
        message = _reproducible_diagnosis(sample_gmm_fixed_counts, name, (weights, means, covs), n, k, d, seed, _T4B,
                                          True)
        if message:
            fail(message)


# =============================================================================================
# Task 4c: gmm_pdf


def _reference_subs():
    return {"gaussian_pdf": reference_backed(lambda X, mean, cov: _gaussian.pdf(X, mean, cov)),
            "gaussian_logpdf": reference_backed(lambda X, mean, cov: _gaussian.logpdf(X, mean, cov))}


def _gmm_pdf_diagnosis(X, weights, means, covs, got, numbers):
    comps = _np.stack([_gaussian.pdf(X, means[j], covs[j]) for j in range(weights.size)])
    if close(got, comps.sum(axis=0), 1e-7, 1e-300) or close(got, comps.mean(axis=0), 1e-7, 1e-300):
        return "gmm_pdf: each component's density must be multiplied by its weight π_k"
    if close(got, (weights[::-1, None] * comps).sum(axis=0), 1e-7, 1e-300):
        return "gmm_pdf: weights[k] multiplies the density of component k (yours are paired the other way round)"
    if close(got, (weights[:, None] * comps).max(axis=0), 1e-7, 1e-300) or close(got, comps.max(axis=0), 1e-7,
                                                                                 1e-300):
        return "gmm_pdf: the mixture density is the weighted sum over all the components, not the largest term"
    return None


_GMM_PDF_CASE = (_np.array([[0.0], [1.0], [3.0]]), _np.array([0.25, 0.75]), _np.array([[0.0], [2.0]]),
                 _np.array([[[1.0]], [[4.0]]]))


@visible(TASKS[2])
def visible_gmm_pdf(gmm_pdf):
    """A 1-D mixture of two components with unequal weights and variances, at three points."""
    X, weights, means, covs = _GMM_PDF_CASE
    call = (f"gmm_pdf(X, weights, means, covs) with X = {fmt(X)}, weights = {fmt(weights)}, means = {fmt(means)}, "
            f"covs = {fmt(covs)}")
    expected = _np.exp(_mixture.logpdf(X, weights, means, covs))
    with about(call):
        got = array_of_shape(call_student(gmm_pdf, "gmm_pdf", X, weights, means, covs, task=_T4C,
                                          substitutes=_reference_subs()), "its result", (X.shape[0],))
    if not close(got, expected, 1e-7, 1e-300):
        fail(mismatch(call, got, expected, _gmm_pdf_diagnosis(X, weights, means, covs, got, numbers=True)))


@check
def check_gmm_pdf_matches_reference(gmm_pdf, seeds):
    """gmm_pdf agrees with exp(coursekit.mixture.logpdf), D = 1..3."""
    _gmm_pdf_reference(gmm_pdf, seeds, None)


@check
def check_gmm_pdf_one_dimensional(gmm_pdf, seeds):
    _gmm_pdf_reference(gmm_pdf, seeds, 1)


def _gmm_pdf_reference(gmm_pdf, seeds, d):
    for seed in seeds:
        X, weights, means, covs, _ = mixture_instance(seed, d=d)
        ref = _np.exp(_mixture.logpdf(X, weights, means, covs))
        got = array_of_shape(call_student(gmm_pdf, "gmm_pdf", X, weights, means, covs, task=_T4C,
                                          substitutes=_reference_subs()), "gmm_pdf's result", (X.shape[0],))
        if close(got, ref, 1e-7, 1e-300):
            continue
        message = _gmm_pdf_diagnosis(X, weights, means, covs, got, numbers=False)
        if message:
            fail(message)
        if d == 1:
            fail("gmm_pdf is wrong for D = 1 (means of shape (K, 1), covs (K, 1, 1))")
        fail("gmm_pdf does not match Σ_k π_k N(x | μ_k, Σ_k) on random instances")


# =============================================================================================

VISIBLE = {"sample_gmm": visible_sample_gmm, "sample_gmm_fixed_counts": visible_sample_gmm_fixed_counts,
           "gmm_pdf": visible_gmm_pdf}


summary = summary_function(TITLE, TASKS, VISIBLE, HELPERS)
