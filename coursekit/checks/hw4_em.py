"""Checks of hw4_em: the Gaussian Bayes classifier (tasks 6a, 6b), then EM for a Gaussian mixture
(the E-step 7a, the M-step 7b, EM 7c).

While a task that uses earlier ones is judged (``predict_gaussian_bayes``, ``e_step`` and ``em_gmm``
call ``gaussian_logpdf``; ``em_gmm`` calls ``e_step`` and ``m_step``), reference versions stand in
for them, in the visible tests as in the hidden ones.

The log-likelihood is the sum over the points, ℓ = Σₙ log p(xₙ) (the course's convention); EM's
``tol`` is on the improvement per point, (ℓ_t - ℓ_{t-1}) / N, as scikit-learn's.  With the M-step
of task 7b (nothing added to the diagonal) ℓ never decreases from one iteration to the next, up to
rounding; with ``reg_covar`` > 0 an iteration can lower it, by at most ``mixture.reg_covar_gap``
(chapter 7).  The checks compare ``em_gmm``'s list with the reference EM's (whose M-step adds
nothing), tell a student whose ``m_step`` adds a regulariser that it loses the guarantee, and one
whose ``em_gmm`` runs steps of its own (a regularised M-step, say) that it never called ``m_step``:
no check asserts monotonicity of anything that runs with a regulariser.
"""

import numpy as _np
from scipy.special import logsumexp as _logsumexp

from .. import gaussian as _gaussian
from .. import mixture as _mixture
from ._guard import (array_equal, array_of_shape, call_student, check, close, fail, npall, plain, quiet,
                     reference_backed, scalar, tuple_of)
from ._guard import rng as _rng
from ._instances import about, fmt, mismatch, mixture_instance, random_cov, random_weights
from ._progress import Helper, Task, summary_function, visible

ASSIGNMENT = "hw4_em"
TITLE = "Homework 4"
TASKS = (
    Task("6a", "fitting the Gaussian Bayes classifier", "fit_gaussian_bayes", 4, visible=1),
    Task("6b", "classifying with Bayes' rule", "predict_gaussian_bayes", 5, visible=1),
    Task("7a", "the E-step", "e_step", 5, visible=1),
    Task("7b", "the M-step", "m_step", 4, visible=1),
    Task("7c", "EM", "em_gmm", 5, visible=1),
)
HELPERS = (Helper("gaussian_logpdf", "Tasks 6b, 7a and 7c use it",
                  (_np.zeros((1, 1)), _np.zeros(1), _np.ones((1, 1)))),)
_T6A, _T6B, _T7A, _T7B, _T7C = (t.name.split(":")[0] for t in TASKS)
_unique = _np.unique


def _density_subs():
    return {"gaussian_pdf": reference_backed(lambda X, mean, cov: _gaussian.pdf(X, mean, cov)),
            "gaussian_logpdf": reference_backed(lambda X, mean, cov: _gaussian.logpdf(X, mean, cov)),
            "gmm_pdf": reference_backed(lambda X, w, m, c: _np.exp(_mixture.logpdf(X, w, m, c)))}


# =============================================================================================
# Task 6a: fit_gaussian_bayes


def _classes_instance(seed, d=None):
    generator = _rng(seed)
    d = int(generator.integers(1, 4)) if d is None else d
    c = int(generator.integers(2, 5))
    classes = _np.sort(generator.choice(_np.arange(-3, 12), size=c, replace=False))
    priors = random_weights(generator, c, minimum=0.1)
    means = generator.normal(scale=2.5, size=(c, d))
    covs = _np.stack([random_cov(generator, d, scale=float(generator.uniform(0.5, 1.5))) for _ in range(c)])
    counts = _np.maximum(_np.round(priors * int(generator.integers(80, 160))).astype(int), d + 3)
    X = _np.concatenate([generator.multivariate_normal(means[j], covs[j], size=counts[j]) for j in range(c)])
    y = _np.repeat(classes, counts)
    order = generator.permutation(y.size)
    return X[order], y[order], generator


def _bayes_reference(X, y):
    classes = _unique(y)
    priors = _np.array([(y == c).mean() for c in classes])
    fits = [_gaussian.fit_mle(X[y == c]) for c in classes]
    return classes, priors, _np.stack([f[0] for f in fits]), _np.stack([f[1] for f in fits])


def _bayes_fit_output(out, c, d):
    out = tuple_of(out, "fit_gaussian_bayes", 4)
    classes = array_of_shape(out[0], "the classes returned by fit_gaussian_bayes", (c,))
    priors = array_of_shape(out[1], "the priors returned by fit_gaussian_bayes", (c,))
    means = array_of_shape(out[2], "the means returned by fit_gaussian_bayes", (c, d))
    covs = array_of_shape(out[3], "the covariances returned by fit_gaussian_bayes", (c, d, d))
    return classes, priors, means, covs


def _bayes_fit_diagnosis(X, y, got, ref):
    """(part, message) of the first wrong part, or None."""
    classes, priors, means, covs = ref
    if not array_equal(got[0], classes.astype(float)):
        return "classes", ("fit_gaussian_bayes: classes must be the sorted distinct labels of y (as np.unique "
                           "returns them), and the other outputs follow that order")
    if not close(got[1], priors, 1e-9, 1e-12):
        if close(got[1], _np.full_like(priors, 1 / priors.size), 1e-9, 1e-12):
            return "priors", "fit_gaussian_bayes: the priors are the class frequencies in y, not uniform"
        counts = _np.array([(y == c).sum() for c in classes], dtype=float)
        if close(got[1], counts, 1e-9, 1e-12):
            return "priors", "fit_gaussian_bayes: the priors are fractions of the points (they sum to 1), not counts"
        return "priors", "fit_gaussian_bayes: the prior of class c is the fraction of the points with label c"
    if not close(got[2], means, 1e-9, 1e-9):
        return "means", "fit_gaussian_bayes: the mean of class c is the mean of the points with label c"
    if not close(got[3], covs, 1e-8, 1e-10):
        counts = _np.array([(y == c).sum() for c in classes], dtype=float)
        if close(got[3], covs * (counts / (counts - 1))[:, None, None], 1e-8, 1e-10):
            return "covs", ("fit_gaussian_bayes: your covariances are the unbiased 1/(N_c - 1) estimates (np.cov's "
                            "default); the MLE divides by N_c, the number of points of the class")
        _, pooled = _gaussian.fit_mle(X)
        if close(got[3], _np.broadcast_to(pooled, got[3].shape), 1e-8, 1e-10):
            return "covs", "fit_gaussian_bayes: each class has its own covariance, estimated from its own points only"
        return "covs", ("fit_gaussian_bayes: the covariance of class c is the 1/N_c covariance of the points with "
                        "label c")
    return None


_FIT_CASES = (
    (_np.array([[0.0], [2.0], [10.0], [11.0], [12.0]]), _np.array([7, 7, 3, 3, 3])),
    (_np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 3.0], [9.0, 9.0], [11.0, 10.0], [10.0, 14.0], [12.0, 12.0]]),
     _np.array([1, 1, 1, 0, 0, 0, 0])),
)


@visible(TASKS[0])
def visible_fit_gaussian_bayes(fit_gaussian_bayes):
    """Two 1-D classes labelled 7 and 3; then two 2-D classes."""
    for X, y in _FIT_CASES:
        call = f"fit_gaussian_bayes(X, y) with X = {fmt(X)}, y = {fmt(y)}"
        ref = _bayes_reference(X, y)
        with about(call):
            got = _bayes_fit_output(call_student(fit_gaussian_bayes, "fit_gaussian_bayes", X, y, task=_T6A),
                                    *ref[2].shape)
        found = _bayes_fit_diagnosis(X, y, got, ref)
        if found:
            part = ("classes", "priors", "means", "covs").index(found[0])
            fail(mismatch(f"{call}: the {found[0]}", got[part], ref[part], found[1]))


@check
def check_bayes_fit_priors_means(fit_gaussian_bayes, seeds):
    for seed in seeds:
        X, y, _ = _classes_instance(seed)
        ref = _bayes_reference(X, y)
        got = _bayes_fit_output(call_student(fit_gaussian_bayes, "fit_gaussian_bayes", X, y, task=_T6A),
                                *ref[2].shape)
        found = _bayes_fit_diagnosis(X, y, got, ref)
        if found and found[0] != "covs":
            fail(found[1])


@check
def check_bayes_fit_covs(fit_gaussian_bayes, seeds):
    for seed in seeds:
        X, y, _ = _classes_instance(seed)
        ref = _bayes_reference(X, y)
        got = _bayes_fit_output(call_student(fit_gaussian_bayes, "fit_gaussian_bayes", X, y, task=_T6A),
                                *ref[2].shape)
        covs = got[3]
        if not array_equal(got[0], ref[0].astype(float)) and array_equal(_np.sort(got[0]), ref[0].astype(float)):
            # classes in another order (check_bayes_fit_priors_means says so): the covariances follow it
            covs = covs[_np.argsort(got[0], kind="stable")]
        if not close(covs, ref[3], 1e-8, 1e-10):
            found = _bayes_fit_diagnosis(X, y, (ref[0].astype(float), ref[1], ref[2], covs), ref)
            fail(found[1] if found else "fit_gaussian_bayes: the covariance of class c is the 1/N_c covariance of "
                                        "the points with label c")


# =============================================================================================
# Task 6b: predict_gaussian_bayes


def _predict_diagnosis(got, classes, priors, log_post, Xq, numbers):
    if array_equal(got, log_post.argmax(axis=1).astype(float)) and not array_equal(classes, _np.arange(classes.size)):
        return "predict_gaussian_bayes must return class labels (classes[j]), not the indices j"
    no_prior = classes[(log_post - _np.log(priors)).argmax(axis=1)]
    if array_equal(got, no_prior.astype(float)):
        return "predict_gaussian_bayes ignores the priors: the posterior is proportional to P(y=c) p(x | y=c)"
    # Far from every class all densities underflow to 0 and a linear-space argmax picks the first class.
    lik = _np.exp(log_post)
    linear = classes[lik.argmax(axis=1)]
    underflow = ~npall_rows(lik > 0)
    if underflow.any() and array_equal(got, linear.astype(float)):
        which = f" (x = {fmt(Xq[underflow][0])})" if numbers else ""
        return ("predict_gaussian_bayes is wrong for points far from every class" + which + ": their densities "
                "underflow to 0; compare log P(y=c) + log p(x | y=c) instead")
    return None


def npall_rows(mask):
    return _np.logical_and.reduce(mask, axis=1)


_PREDICT_CASE = (_np.array([[-1.0], [2.5], [5.0], [60.0]]), _np.array([3, 7]), _np.array([0.9, 0.1]),
                 _np.array([[0.0], [4.0]]), _np.ones((2, 1, 1)))


@visible(TASKS[1])
def visible_predict_gaussian_bayes(predict_gaussian_bayes):
    """Two 1-D classes labelled 3 and 7 with priors 0.9 and 0.1: at x = 2.5 the prior decides; x = 60 is far."""
    Xq, classes, priors, means, covs = _PREDICT_CASE
    call = (f"predict_gaussian_bayes(X, classes, priors, means, covs) with X = {fmt(Xq)}, classes = {fmt(classes)}, "
            f"priors = {fmt(priors)}, means = {fmt(means)}, covs = {fmt(covs)}")
    log_post = _log_posterior(Xq, priors, means, covs)
    expected = classes[log_post.argmax(axis=1)]
    with about(call):
        got = array_of_shape(call_student(predict_gaussian_bayes, "predict_gaussian_bayes", Xq, classes, priors,
                                          means, covs, substitutes=_density_subs(), task=_T6B),
                             "the labels it returned", (Xq.shape[0],))
    if not array_equal(got, expected.astype(float)):
        fail(mismatch(call, got, expected, _predict_diagnosis(got, classes, priors, log_post, Xq, numbers=True)))


def _log_posterior(Xq, priors, means, covs):
    return _np.stack([_np.log(priors[j]) + _gaussian.logpdf(Xq, means[j], covs[j]) for j in range(priors.size)],
                     axis=1)


def _bayes_predict_instance(seed, far=False, skewed=False):
    X, y, generator = _classes_instance(seed)
    classes, priors, means, covs = _bayes_reference(X, y)
    if skewed:
        priors = _np.full(classes.size, 0.02 / (classes.size - 1))
        priors[0] = 0.98
    Xq = generator.normal(scale=3.0, size=(60, means.shape[1]))
    if far:
        Xq = Xq * 15.0 + 40.0
    log_post = _log_posterior(Xq, priors, means, covs)
    top2 = _np.sort(log_post, axis=1)[:, -2:]
    keep = (top2[:, 1] - top2[:, 0]) > 1e-6  # no near-ties
    return Xq[keep], classes, priors, means, covs, log_post[keep]


def _bayes_predict(predict_gaussian_bayes, seed, far=False, skewed=False):
    Xq, classes, priors, means, covs, log_post = _bayes_predict_instance(seed, far, skewed)
    ref = classes[log_post.argmax(axis=1)]
    out = call_student(predict_gaussian_bayes, "predict_gaussian_bayes", Xq, classes, priors, means, covs,
                       substitutes=_density_subs(), task=_T6B)
    got = array_of_shape(out, "the labels returned by predict_gaussian_bayes", (Xq.shape[0],))
    return got, ref, Xq, classes, priors, log_post


@check
def check_bayes_predict_matches(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed)
        if not array_equal(got, ref.astype(float)):
            fail(_predict_diagnosis(got, classes, priors, log_post, Xq, numbers=False)
                 or "predict_gaussian_bayes does not pick the class with the largest posterior")


@check
def check_bayes_predict_priors(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed, skewed=True)
        if not array_equal(got, ref.astype(float)):
            fail(_predict_diagnosis(got, classes, priors, log_post, Xq, numbers=False)
                 or "predict_gaussian_bayes is wrong when the priors are very unequal")


@check
def check_bayes_predict_log_space(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed, far=True)
        if not array_equal(got, ref.astype(float)):
            fail(_predict_diagnosis(got, classes, priors, log_post, Xq, numbers=False)
                 or "predict_gaussian_bayes is wrong for points far from every class: their densities underflow to "
                    "0; compare log P(y=c) + log p(x | y=c) instead")


# =============================================================================================
# Task 7a: e_step


def _em_instance(seed, d=None, k=None, n=None):
    X, weights, means, covs, _ = mixture_instance(seed, d=d, k=k, n=n, spread=5.0)
    return X, weights, means, covs


def _e_step_diagnosis(X, weights, means, covs, got, numbers):
    if got.shape != (X.shape[0], weights.size):
        return None
    if not npall(_np.isfinite(got)):
        return ("e_step: the responsibilities are NaN for points far from every component (their densities "
                "underflow to 0, and 0/0 is NaN): compute log π_k + log N(x | μ_k, Σ_k) and normalise in log space "
                "(scipy.special.logsumexp)")
    log_lik = _np.stack([_gaussian.logpdf(X, means[j], covs[j]) for j in range(weights.size)], axis=1)
    log_joint = log_lik + _np.log(weights)
    if close(got, _np.exp(log_joint), 1e-7, 1e-300):
        return ("e_step: responsibilities do not sum to 1 over components: divide π_k N(x | μ_k, Σ_k) by p(x), its "
                "sum over k")
    if close(got, _np.exp(log_joint - _logsumexp(log_joint, axis=0)), 1e-7, 1e-300):
        return "e_step: normalise each row (over the components k), not each column (over the points)"
    if close(got, _np.exp(log_lik - _logsumexp(log_lik, axis=1, keepdims=True)), 1e-7, 1e-300):
        return "e_step: the responsibilities must include the mixing weights π_k"
    return None


_E_STEP_CASE = (_np.array([[0.0], [-1.0], [40.0]]), _np.array([0.25, 0.75]), _np.array([[-1.0], [1.0]]),
                _np.ones((2, 1, 1)))


@visible(TASKS[2])
def visible_e_step(e_step):
    """Two 1-D components at -1 and 1 with weights 0.25 and 0.75, at x = 0, -1 and 40 (far)."""
    X, weights, means, covs = _E_STEP_CASE
    call = (f"e_step(X, weights, means, covs) with X = {fmt(X)}, weights = {fmt(weights)}, means = {fmt(means)}, "
            f"covs = {fmt(covs)}")
    expected = _mixture.responsibilities(X, weights, means, covs)
    with about(call):
        got = array_of_shape(call_student(e_step, "e_step", X, weights, means, covs, substitutes=_density_subs(),
                                          task=_T7A), "the responsibilities it returned", expected.shape, finite=False)
    if not (npall(_np.isfinite(got)) and close(got, expected, 1e-7, 1e-10)):
        fail(mismatch(call, got, expected, _e_step_diagnosis(X, weights, means, covs, got, numbers=True)))


def _e_step_call(e_step, X, weights, means, covs):
    out = call_student(e_step, "e_step", X, weights, means, covs, substitutes=_density_subs(), task=_T7A)
    got = plain(out, "the responsibilities returned by e_step")
    if got.shape != (X.shape[0], weights.size):
        fail(f"e_step must return an array of shape (N, K) = {(X.shape[0], weights.size)} (got {got.shape})")
    return got


@check
def check_e_step_matches(e_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        ref = _mixture.responsibilities(X, weights, means, covs)
        got = _e_step_call(e_step, X, weights, means, covs)
        if npall(_np.isfinite(got)) and close(got, ref, 1e-7, 1e-10):
            continue
        fail(_e_step_diagnosis(X, weights, means, covs, got, numbers=False)
             or "e_step: the responsibilities are not π_k N(x | μ_k, Σ_k) / Σ_j π_j N(x | μ_j, Σ_j)")


@check
def check_e_step_normalised(e_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        got = _e_step_call(e_step, X, weights, means, covs)
        if not npall(_np.isfinite(got)):
            fail("e_step returned NaN or infinity")
        if not close(got.sum(axis=1), _np.ones(got.shape[0]), 1e-9, 1e-9):
            fail("e_step: responsibilities do not sum to 1 over components")
        if got.min() < -1e-12:
            fail("e_step: responsibilities are probabilities, never negative")


@check
def check_e_step_log_space(e_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed, d=2)
        X = X * 30.0 + 60.0  # far from every component: all densities underflow to 0
        ref = _mixture.responsibilities(X, weights, means, covs)
        got = _e_step_call(e_step, X, weights, means, covs)
        if npall(_np.isfinite(got)) and close(got, ref, 1e-6, 1e-8):
            continue
        found = _e_step_diagnosis(X, weights, means, covs, got, numbers=False)
        fail(found or "e_step is inaccurate for points far from every component: normalise in log space "
                      "(scipy.special.logsumexp)")


# =============================================================================================
# Task 7b: m_step


def _m_step_reference(X, resp):
    with quiet():
        return _mixture.m_step(X, resp, reg_covar=0.0)


def _m_step_output(out, k, d):
    out = tuple_of(out, "m_step", 3)
    w = array_of_shape(out[0], "the weights returned by m_step", (k,))
    m = array_of_shape(out[1], "the means returned by m_step", (k, d))
    c = array_of_shape(out[2], "the covariances returned by m_step", (k, d, d))
    return w, m, c


_REG_HINT = ("nothing is added to the diagonal: with a regulariser (reg_covar > 0) the M-step no longer maximises "
             "EM's lower bound, and an iteration can lower the log-likelihood (by at most "
             "coursekit.mixture.reg_covar_gap, chapter 7)")


def _m_step_diagnosis(X, resp, got, ref):
    """(part, message) of the first wrong part, or None."""
    w, m, c = got
    ref_w, ref_m, ref_c = ref
    n, d = X.shape
    Nk = resp.sum(axis=0)
    if not close(w, ref_w, 1e-9, 1e-12):
        if close(w, Nk, 1e-9, 1e-12):
            return "weights", "m_step: the weights are N_k / N (they sum to 1), not N_k"
        return "weights", "m_step: the weight of component k is N_k / N with N_k = Σₙ r_nk"
    if not close(m, ref_m, 1e-9, 1e-9):
        if close(m, (resp.T @ X) / n, 1e-9, 1e-9):
            return "means", "m_step: the mean of component k is Σₙ r_nk xₙ divided by N_k = Σₙ r_nk, not by N"
        return "means", "m_step: the mean of component k is the responsibility-weighted mean Σₙ r_nk xₙ / N_k"
    if not close(c, ref_c, 1e-8, 1e-10):
        if close(c, ref_c * (Nk / (Nk - 1))[:, None, None], 1e-8, 1e-10):
            return "covs", "m_step: your covariance matches the 1/(N_k - 1) estimator; the MLE divides by N_k"
        if close(c, ref_c * (Nk / n)[:, None, None], 1e-8, 1e-10):
            return "covs", "m_step: the covariance of component k is divided by N_k = Σₙ r_nk, not by N"
        unweighted = _np.stack([(X - ref_m[j]).T @ (X - ref_m[j]) / n for j in range(Nk.size)])
        if close(c, unweighted, 1e-8, 1e-10):
            return "covs", "m_step: each point's contribution to the covariance of component k is weighted by r_nk"
        extra = c - ref_c
        diag = _np.einsum("kii->ki", extra)
        off = extra - _np.einsum("ki,ij->kij", diag, _np.eye(d))
        if close(off, 0.0, 0, 1e-10) and diag.min() > 0 and close(diag, diag.flat[0], 1e-6, 1e-12):
            return "covs", f"m_step: {_REG_HINT}"
        return "covs", ("m_step: the covariance of component k is Σₙ r_nk (xₙ - μ_k)(xₙ - μ_k)ᵀ / N_k, around the "
                        "new mean μ_k")
    return None


_M_STEP_CASE = (_np.array([[0.0], [2.0], [10.0], [14.0]]),
                _np.array([[1.0, 0.0], [0.8, 0.2], [0.1, 0.9], [0.0, 1.0]]))


@visible(TASKS[3])
def visible_m_step(m_step):
    """Four 1-D points with soft responsibilities for two components."""
    X, resp = _M_STEP_CASE
    call = f"m_step(X, resp) with X = {fmt(X)}, resp = {fmt(resp)}"
    ref = _m_step_reference(X, resp)
    with about(call):
        got = _m_step_output(call_student(m_step, "m_step", X, resp, task=_T7B), 2, 1)
    found = _m_step_diagnosis(X, resp, got, ref)
    if found:
        part = ("weights", "means", "covs").index(found[0])
        fail(mismatch(f"{call}: the {found[0]}", got[part], ref[part], found[1]))


def _soft_resp(seed, X, weights, means, covs):
    generator = _rng(seed + 99)
    resp = _mixture.responsibilities(X, weights, means + generator.normal(scale=0.8, size=means.shape), covs)
    resp = 0.8 * resp + 0.2 * generator.dirichlet(_np.ones(weights.size), size=X.shape[0])
    return resp / resp.sum(axis=1, keepdims=True)


def _m_step_run(m_step, seed):
    X, weights, means, covs = _em_instance(seed)
    resp = _soft_resp(seed, X, weights, means, covs)
    ref = _m_step_reference(X, resp)
    got = _m_step_output(call_student(m_step, "m_step", X, resp, task=_T7B), *means.shape)
    return _m_step_diagnosis(X, resp, got, ref)


@check
def check_m_step_weights_means(m_step, seeds):
    for seed in seeds:
        found = _m_step_run(m_step, seed)
        if found and found[0] != "covs":
            fail(found[1])


@check
def check_m_step_covs(m_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        resp = _soft_resp(seed, X, weights, means, covs)
        ref = _m_step_reference(X, resp)
        w, m, c = _m_step_output(call_student(m_step, "m_step", X, resp, task=_T7B), *means.shape)
        if close(c, ref[2], 1e-8, 1e-10):
            continue
        # judged around the reference's means, whatever the student's weights and means
        found = _m_step_diagnosis(X, resp, (ref[0], ref[1], c), ref)
        fail(found[1])


# =============================================================================================
# Task 7c: em_gmm


def _em_reference(X, weights, means, covs, max_iter, tol, path=None):
    """The homework's EM: log-likelihoods are sums; stop when the per-point improvement is below tol.

    ``path``, a list, gets the parameters (weights, means, covs) before the first iteration and after each.
    """
    n = X.shape[0]
    with quiet():
        lls = [_mixture.log_likelihood(X, weights, means, covs)]
        if path is not None:
            path.append((weights, means, covs))
        for _ in range(max_iter):
            resp = _mixture.responsibilities(X, weights, means, covs)
            weights, means, covs = _mixture.m_step(X, resp, reg_covar=0.0)
            lls.append(_mixture.log_likelihood(X, weights, means, covs))
            if path is not None:
                path.append((weights, means, covs))
            if (lls[-1] - lls[-2]) / n < tol:
                break
    return weights, means, covs, lls


def _em_subs(called=None):
    """The stand-ins of em_gmm's earlier tasks; ``called`` (a dict) records the calls of e_step and m_step."""
    called = {} if called is None else called
    called.update(e_step=[], m_step=[])
    subs = _density_subs()
    subs["e_step"] = reference_backed(lambda X, w, m, c: _mixture.responsibilities(X, w, m, c), called["e_step"])
    subs["m_step"] = reference_backed(lambda X, r: _m_step_reference(X, r), called["m_step"])
    return subs


def _own_steps_hint(called):
    """When a wrong em_gmm never called e_step or m_step: its own steps differ from tasks 7a-7b (None otherwise)."""
    missing = [name for name in ("e_step", "m_step") if not called.get(name)]
    if not missing:
        return None
    return (f"em_gmm never called {' or '.join(missing)}: one iteration is e_step followed by m_step (tasks 7a and "
            "7b, called by those names). Steps of its own differ from them: an M-step that adds reg_covar to the "
            "diagonal, for one, gives other parameters, and an iteration can then lower the log-likelihood")


def _em_output(out, k, d):
    out = tuple_of(out, "em_gmm", 4)
    w = array_of_shape(out[0], "the weights returned by em_gmm", (k,))
    m = array_of_shape(out[1], "the means returned by em_gmm", (k, d))
    c = array_of_shape(out[2], "the covariances returned by em_gmm", (k, d, d))
    lls = out[3]
    if type(lls) not in (list, tuple, _np.ndarray):
        fail("em_gmm must return the log-likelihoods as a list of floats")
    lls = plain(lls, "the log-likelihoods returned by em_gmm").reshape(-1)
    return w, m, c, lls


def _em_ll_diagnosis(lls, X, init):
    """What is wrong with the list of log-likelihoods, for the number of iterations it shows (None if right)."""
    n = X.shape[0]
    if lls.size == 0:
        return "em_gmm returned no log-likelihood: the list starts with that of the initial parameters"
    if not npall(_np.isfinite(lls)):
        return "em_gmm: the log-likelihoods contain NaN or infinity"
    iterations = min(lls.size - 1, 5000)
    path = []
    rlls = _np.asarray(_em_reference(X, *init, iterations, -_np.inf, path)[3])
    if lls.shape == rlls.shape and close(lls, rlls, 1e-8, 1e-8):
        return None
    if lls.shape == rlls.shape:
        with quiet():
            unweighted = _np.array([_mixture.log_likelihood(X, _np.full(w.size, 1.0 / w.size), m, c) + n * _np.log(w.size)
                                    for w, m, c in path])
        if close(lls, unweighted, 1e-8, 1e-8):
            return ("em_gmm: the log-likelihood leaves out the mixing weights: ℓ = Σₙ log Σₖ πₖ N(xₙ | μₖ, Σₖ) "
                    "(in log space: logsumexp over k of log πₖ + log N(xₙ | μₖ, Σₖ))")
    if lls.shape == rlls.shape and close(lls, rlls / n, 1e-8, 1e-10):
        return ("em_gmm: the log-likelihoods must be sums over the points, ℓ = Σₙ log p(xₙ), not means (the "
                "course's convention; tol applies to the improvement divided by N)")
    longer = _np.asarray(_em_reference(X, *init, iterations + 1, -_np.inf)[3])
    if close(lls, longer[1:], 1e-8, 1e-8):
        return ("em_gmm: log_likelihoods[0] must be the log-likelihood of the initial parameters, before the first "
                "iteration")
    if not close(lls[:1], rlls[:1], 1e-8, 1e-8):
        return "em_gmm: log_likelihoods[0] must be ℓ = Σₙ log p(xₙ) of the initial parameters"
    return "em_gmm: log_likelihoods[t] must be ℓ = Σₙ log p(xₙ) of the parameters after iteration t"


def _em_stop_diagnosis(lls, X, init, max_iter, tol):
    """What is wrong with the number of iterations (None if right)."""
    n = X.shape[0]
    rlls = _em_reference(X, *init, max_iter, tol)[3]
    if lls.size == len(rlls):
        return None
    summed = _em_reference(X, *init, max_iter, tol / n)[3]
    rule = ("stop after the first iteration whose improvement per point, (ℓ_t - ℓ_(t-1)) / N, is below tol, or after "
            "max_iter iterations")
    if lls.size == len(summed):
        return (f"em_gmm compares the improvement of the sum ℓ with tol (max_iter = {max_iter}, tol = {tol:g}); {rule}")
    if lls.size > len(rlls):
        return f"em_gmm ran too many iterations (max_iter = {max_iter}, tol = {tol:g}): {rule}"
    return f"em_gmm stopped too early (max_iter = {max_iter}, tol = {tol:g}): {rule}"


_EM_CASE = (_np.array([[-2.3], [-1.6], [-1.1], [-0.7], [0.2], [1.1], [1.5], [2.4], [2.9], [3.6]]),
            _np.array([0.5, 0.5]), _np.array([[-0.5], [0.5]]), _np.ones((2, 1, 1)))


@visible(TASKS[4])
def visible_em_gmm(em_gmm):
    """Ten 1-D points, two components: 3 iterations with tol = 0, then until the gain per point is below 1e-3."""
    X, w0, m0, c0 = _EM_CASE
    init = (w0, m0, c0)
    for max_iter, tol in ((3, 0.0), (200, 1e-3)):
        called = {}
        subs = _em_subs(called)
        call = (f"em_gmm(X, init_weights, init_means, init_covs, max_iter, tol) with X = {fmt(X)}, init_weights = "
                f"{fmt(w0)}, init_means = {fmt(m0)}, init_covs = {fmt(c0)}, max_iter = {max_iter}, tol = {tol:g}")
        rw, rm, rc, rlls = _em_reference(X, w0, m0, c0, max_iter, tol)
        with about(call):
            w, m, c, lls = _em_output(call_student(em_gmm, "em_gmm", X, w0, m0, c0, max_iter, tol, substitutes=subs,
                                                   task=_T7C, unchanged=[(1, "init_weights"), (2, "init_means"),
                                                                         (3, "init_covs")]), 2, 1)
        params_right = close(w, rw, 1e-7, 1e-9) and close(m, rm, 1e-7, 1e-9) and close(c, rc, 1e-7, 1e-9)
        hint = _em_ll_diagnosis(lls, X, init) or (None if params_right else
                                                   _em_stop_diagnosis(lls, X, init, max_iter, tol))
        if (hint or not params_right) and _own_steps_hint(called):
            hint = _own_steps_hint(called)
        if hint:
            fail(mismatch(call + ": the log-likelihoods", lls, rlls, hint))
        if not params_right:
            fail(f"{call}\n  returned means {fmt(m)}, weights {fmt(w)}\n  expected means {fmt(rm)}, weights "
                 f"{fmt(rw)}\nem_gmm must return the parameters after the last iteration")


def _em_init(seed, X, weights, means, covs):
    generator = _rng(seed + 5)
    k, d = means.shape
    init_means = means + generator.normal(scale=1.0, size=(k, d))
    init_covs = _np.stack([_np.eye(d) * float(_np.var(X)) for _ in range(k)])
    return _np.full(k, 1.0 / k), init_means, init_covs


def _em_run(em_gmm, seed, max_iter, tol):
    X, weights, means, covs = _em_instance(seed, n=200)
    init = _em_init(seed, X, weights, means, covs)
    ref = _em_reference(X, *init, max_iter, tol)
    k, d = means.shape
    called = {}
    got = _em_output(call_student(em_gmm, "em_gmm", X, *init, max_iter, tol, substitutes=_em_subs(called),
                                  task=_T7C, unchanged=[(1, "init_weights"), (2, "init_means"), (3, "init_covs")]),
                     k, d)
    return got, ref, X, init, _own_steps_hint(called)


@check
def check_em_matches_reference(em_gmm, seeds):
    """Final parameters after EM to convergence."""
    for seed in seeds:
        # Run to tight convergence: this check is about the E and M steps, check_em_stopping about when to stop.
        (w, m, c, lls), (rw, rm, rc, _), X, init, own_steps = _em_run(em_gmm, seed, 300, 1e-13)
        if not (close(w, rw, 1e-5, 1e-7) and close(m, rm, 1e-5, 1e-6) and close(c, rc, 1e-5, 1e-6)):
            # A wrong log-likelihood stops EM at the wrong iteration: named as the cause.
            fail(own_steps or _em_ll_diagnosis(lls, X, init)
                 or "em_gmm: the fitted parameters differ from EM's: alternate e_step and m_step from the given "
                    "initial parameters until the improvement per point is below tol")


@check
def check_em_log_likelihoods(em_gmm, seeds):
    """The list holds the initial log-likelihood (a sum over the points), then one value per iteration it ran."""
    for seed in seeds:
        (_, _, _, lls), _, X, init, own_steps = _em_run(em_gmm, seed, 200, 1e-8)
        message = _em_ll_diagnosis(lls, X, init)
        if message:
            fail(own_steps or message)


@check
def check_em_stopping(em_gmm, seeds):
    """tol and max_iter stop EM where the docstring says."""
    for seed in seeds:
        for max_iter, tol in ((3, 0.0), (200, 1e-2)):
            (w, m, c, lls), (rw, rm, rc, rlls), X, init, own_steps = _em_run(em_gmm, seed, max_iter, tol)
            # Judged by the parameters it returns (the list's format is check_em_log_likelihoods' business).
            if close(w, rw, 1e-6, 1e-8) and close(m, rm, 1e-6, 1e-8) and close(c, rc, 1e-6, 1e-8):
                continue
            fail(own_steps or _em_ll_diagnosis(lls, X, init) or _em_stop_diagnosis(lls, X, init, max_iter, tol)
                 or "em_gmm: the parameters returned are not those after the last iteration")


# =============================================================================================

VISIBLE = {"fit_gaussian_bayes": visible_fit_gaussian_bayes, "predict_gaussian_bayes": visible_predict_gaussian_bayes,
           "e_step": visible_e_step, "m_step": visible_m_step, "em_gmm": visible_em_gmm}


summary = summary_function(TITLE, TASKS, VISIBLE, HELPERS)
