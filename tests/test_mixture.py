"""coursekit.mixture against scipy.stats, direct weighted formulas, scikit-learn and EM's properties."""

import importlib.util
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture

from coursekit import ConvergenceWarning, mixture

COV_TYPES = ["full", "diag", "spherical"]


def random_spd(d, rng, scale=1.0):
    A = rng.standard_normal((d, d))
    return scale * (A @ A.T / d + 0.5 * np.eye(d))


def three_clusters(n=600, d=2, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(3, d))
    sizes = [n // 2, n // 3, n - n // 2 - n // 3]
    X = np.vstack([c + rng.standard_normal((m, d)) @ random_spd(d, rng) for c, m in zip(centers, sizes)])
    return X + 10.0  # off the origin, as real data are


def scipy_weighted_log_probs(X, weights, means, covs):
    return np.column_stack(
        [np.log(w) + stats.multivariate_normal(m, c).logpdf(X).reshape(len(X)) for w, m, c in zip(weights, means, covs)]
    )


def structured(cov, covariance_type):
    d = cov.shape[-1]
    if covariance_type == "diag":
        return np.diag(np.diag(cov))
    if covariance_type == "spherical":
        return np.eye(d) * np.mean(np.diag(cov))
    return cov


def start_params(X, k, covariance_type, seed=1):
    """The same starting point in coursekit's form and in scikit-learn's (precisions_init)."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    weights = rng.dirichlet(np.full(k, 5.0))
    means = X[rng.choice(n, k, replace=False)]
    data_cov = np.cov(X, rowvar=False).reshape(d, d)
    covs = np.stack([structured(data_cov * rng.uniform(0.3, 1.0), covariance_type) for _ in range(k)])
    if covariance_type == "full":
        precisions = np.linalg.inv(covs)
    elif covariance_type == "diag":
        precisions = 1.0 / np.diagonal(covs, axis1=1, axis2=2)
    else:
        precisions = 1.0 / covs[:, 0, 0]
    return (weights, means, covs), precisions


def sklearn_full_covariances(gm):
    c = gm.covariances_
    d = gm.means_.shape[1]
    if gm.covariance_type == "diag":
        return np.stack([np.diag(v) for v in c])
    if gm.covariance_type == "spherical":
        return np.stack([np.eye(d) * v for v in c])
    return c


def run_sklearn(X, k, covariance_type, precisions, init, max_iter, tol=0.0, reg_covar=1e-6):
    gm = GaussianMixture(
        k,
        covariance_type=covariance_type,
        weights_init=init[0],
        means_init=init[1],
        precisions_init=precisions,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        gm.fit(X)
    return gm


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


# --------------------------------------------------------------------------- density, E-step


@pytest.mark.parametrize("d", [1, 2, 64])
def test_logpdf_and_responsibilities_match_scipy(d):
    rng = np.random.default_rng(d)
    k = 3
    weights = np.array([0.5, 0.3, 0.2])
    means = rng.normal(scale=3.0, size=(k, d))
    covs = np.stack([random_spd(d, rng) for _ in range(k)])
    X = rng.normal(scale=3.0, size=(40, d))
    wlp = scipy_weighted_log_probs(X, weights, means, covs)
    np.testing.assert_allclose(mixture.logpdf(X, weights, means, covs), logsumexp(wlp, axis=1), rtol=1e-10)
    ref_resp = np.exp(wlp - logsumexp(wlp, axis=1, keepdims=True))
    np.testing.assert_allclose(mixture.responsibilities(X, weights, means, covs), ref_resp, rtol=1e-9, atol=1e-14)
    total = mixture.log_likelihood(X, weights, means, covs)
    assert total == pytest.approx(logsumexp(wlp, axis=1).sum(), rel=1e-11)


def test_logpdf_one_dimensional_and_float32():
    x = np.linspace(-4, 6, 30).astype(np.float32)
    w, m, v = [0.3, 0.7], [0.0, 2.0], [1.0, 0.25]  # d = 1: means (k,), variances (k,)
    ref = np.log(0.3 * stats.norm(0, 1).pdf(x.astype(float)) + 0.7 * stats.norm(2, 0.5).pdf(x.astype(float)))
    out = mixture.logpdf(x, w, m, v)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-10)


def test_far_away_points_do_not_underflow():
    # A point 1e3 standard deviations from both components: the naive ratio is 0/0.
    X = np.array([[1e3, 0.0]])
    r = mixture.responsibilities(X, [0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]], np.stack([np.eye(2)] * 2))
    assert np.all(np.isfinite(r)) and r[0, 1] == pytest.approx(1.0)


def test_zero_weight_component_gets_no_responsibility():
    X = np.random.default_rng(0).normal(size=(20, 2))
    r = mixture.responsibilities(X, [1.0, 0.0], [[0.0, 0.0], [0.0, 0.0]], np.stack([np.eye(2)] * 2))
    np.testing.assert_array_equal(r[:, 1], 0.0)
    np.testing.assert_allclose(r.sum(axis=1), 1.0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 4), scale=st.floats(0.01, 100.0))
def test_responsibilities_rows_sum_to_one(seed, k, d, scale):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(scale=scale, size=(k, d))
    covs = np.stack([random_spd(d, rng, scale=scale**2) for _ in range(k)])
    X = rng.normal(scale=3 * scale, size=(25, d))
    r = mixture.responsibilities(X, weights, means, covs)
    assert r.shape == (25, k)
    assert np.all(r >= 0)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- M-step


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_m_step_matches_weighted_numpy_estimates(covariance_type):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3)) @ random_spd(3, rng) + 4.0
    resp = rng.dirichlet(np.ones(4), size=200)
    weights, means, covs = mixture.m_step(X, resp, covariance_type=covariance_type, reg_covar=1e-3)
    assert covs.shape == (4, 3, 3)
    np.testing.assert_allclose(weights, resp.mean(axis=0), rtol=1e-12)
    for j in range(4):
        np.testing.assert_allclose(means[j], np.average(X, axis=0, weights=resp[:, j]), rtol=1e-12)
        full = np.cov(X, rowvar=False, aweights=resp[:, j], bias=True)
        ref = structured(full, covariance_type) + 1e-3 * np.eye(3)
        np.testing.assert_allclose(covs[j], ref, rtol=1e-10, atol=1e-13)


def test_m_step_with_one_hot_resp_is_per_class_mle():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 2))
    labels = np.repeat([0, 1, 2], 30)
    weights, means, covs = mixture.m_step(X, np.eye(3)[labels], reg_covar=0.0)
    np.testing.assert_allclose(weights, [1 / 3] * 3)
    for j in range(3):
        np.testing.assert_allclose(covs[j], np.cov(X[labels == j], rowvar=False, bias=True), rtol=1e-10)


# --------------------------------------------------------------------------- EM against scikit-learn


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("d", [1, 3])
def test_em_iterates_equal_sklearn(covariance_type, d):
    X = three_clusters(d=d)
    k = 3
    init, precisions = start_params(X, k, covariance_type)
    for m in range(1, 7):
        gm = run_sklearn(X, k, covariance_type, precisions, init, max_iter=m)
        with pytest.warns(ConvergenceWarning):
            res = mixture.fit(X, k, covariance_type=covariance_type, init=init, max_iter=m, tol=0.0)
        assert res.n_iter == m == gm.n_iter_
        assert len(res.log_likelihood) == m + 1
        # coursekit's log-likelihood is the sum over the N points; scikit-learn's lower_bounds_
        # and score() are means per point.
        assert rel_err(res.log_likelihood[:-1], len(X) * np.array(gm.lower_bounds_)) < 1e-8
        assert rel_err(res.weights, gm.weights_) < 1e-8
        assert rel_err(res.means, gm.means_) < 1e-8
        assert rel_err(res.covariances, sklearn_full_covariances(gm)) < 1e-8
        assert res.log_likelihood[-1] == pytest.approx(len(X) * gm.score(X), rel=1e-8)
        np.testing.assert_allclose(res.resp, gm.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_convergence_stopping_rule_matches_sklearn(covariance_type):
    X = three_clusters(d=2, seed=4)
    init, precisions = start_params(X, 3, covariance_type, seed=3)
    gm = run_sklearn(X, 3, covariance_type, precisions, init, max_iter=200, tol=1e-4)
    res = mixture.fit(X, 3, covariance_type=covariance_type, init=init, max_iter=200, tol=1e-4)
    assert gm.converged_ and res.converged
    assert res.n_iter == gm.n_iter_  # tol is per point in both
    assert rel_err(res.log_likelihood[:-1], len(X) * np.array(gm.lower_bounds_)) < 1e-8
    assert rel_err(res.means, gm.means_) < 1e-8
    np.testing.assert_array_equal(res.labels, gm.predict(X))


def test_em_matches_sklearn_in_64_dimensions():
    rng = np.random.default_rng(64)
    X = np.vstack([rng.normal(size=(300, 64)), rng.normal(size=(300, 64)) * 0.5 + 2.0])
    init, precisions = start_params(X, 2, "full", seed=7)
    gm = run_sklearn(X, 2, "full", precisions, init, max_iter=4)
    with pytest.warns(ConvergenceWarning):
        res = mixture.fit(X, 2, init=init, max_iter=4, tol=0.0)
    assert rel_err(res.log_likelihood[:-1], len(X) * np.array(gm.lower_bounds_)) < 1e-8
    assert rel_err(res.covariances, gm.covariances_) < 1e-8


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_em_step_is_one_sklearn_iteration(covariance_type):
    X = three_clusters(d=2, seed=8)
    init, precisions = start_params(X, 3, covariance_type, seed=9)
    gm = run_sklearn(X, 3, covariance_type, precisions, init, max_iter=1)
    step = mixture.em_step(X, *init, covariance_type=covariance_type)
    assert step.log_likelihood == pytest.approx(len(X) * gm.lower_bounds_[0], rel=1e-10)
    assert rel_err(step.means, gm.means_) < 1e-9
    assert rel_err(step.covariances, sklearn_full_covariances(gm)) < 1e-9
    # the E-step's responsibilities are those of the parameters passed in
    wlp = scipy_weighted_log_probs(X, *init)
    np.testing.assert_allclose(step.resp, np.exp(wlp - logsumexp(wlp, axis=1, keepdims=True)), atol=1e-10)


def test_fit_history_equals_repeated_em_steps():
    X = three_clusters(d=2, seed=10)
    init, _ = start_params(X, 3, "full", seed=11)
    with pytest.warns(ConvergenceWarning):
        res = mixture.fit(X, 3, init=init, max_iter=5, tol=0.0)
    params, curve = init, []
    for _ in range(5):
        step = mixture.em_step(X, *params)
        curve.append(step.log_likelihood)
        params = step.weights, step.means, step.covariances
    np.testing.assert_allclose(res.log_likelihood[:-1], curve, rtol=1e-10)
    np.testing.assert_allclose(res.means, params[1], rtol=1e-9)


# --------------------------------------------------------------------------- EM properties


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    k=st.integers(1, 4),
    d=st.integers(1, 3),
    covariance_type=st.sampled_from(COV_TYPES),
)
def test_em_log_likelihood_never_decreases_and_covariances_spd(seed, k, d, covariance_type):
    # The guarantee holds without the regulariser (reg_covar = 0): each M-step maximises the
    # EM lower bound.  With reg_covar > 0 it does not (test_reg_covar_can_lower_the_log_likelihood).
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, d)) * rng.uniform(0.5, 3.0) + rng.integers(0, 3, size=(60, 1)) * 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            res = mixture.fit(X, k, covariance_type=covariance_type, init="random", max_iter=30, tol=1e-8,
                              reg_covar=0.0, rng=seed)
        except ValueError as err:  # a component collapsed (about 1 draw in 100): no regulariser to stop it
            assert "reg_covar" in str(err)
            assume(False)
    ll = np.array(res.log_likelihood)
    assert np.all(np.isfinite(ll))
    assert np.all(np.diff(ll) >= -1e-12 * np.abs(ll[1:])), np.diff(ll)
    # the final value is the returned parameters' log-likelihood (a sum), computed independently
    wlp = scipy_weighted_log_probs(X, res.weights, res.means, res.covariances)
    assert ll[-1] == pytest.approx(logsumexp(wlp, axis=1).sum(), rel=1e-9)
    for c in res.covariances:
        np.testing.assert_array_equal(c, c.T)
        assert np.all(np.linalg.eigvalsh(c) > 0)
    np.testing.assert_allclose(res.weights.sum(), 1.0)
    np.testing.assert_allclose(res.resp.sum(axis=1), 1.0)
    np.testing.assert_array_equal(res.labels, np.argmax(res.resp, axis=1))


# --------------------------------------------------------------------------- EM's guarantee and reg_covar


def standardised_old_faithful():
    from coursekit import datasets

    X = datasets.old_faithful().data
    return (X - X.mean(axis=0)) / X.std(axis=0)


def bound(X, resp, weights, means, covs):
    """The EM lower bound L(q, theta) = sum_nk q_nk log(pi_k N(x_n | mu_k, Sigma_k) / q_nk), via scipy."""
    wlp = scipy_weighted_log_probs(X, weights, means, covs)
    q = np.clip(resp, 1e-300, None)
    return float(np.sum(resp * (wlp - np.log(q))))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("reg_covar", [1e-3, 1e-1, 2.0])
def test_reg_covar_gap_is_the_bound_lost_by_the_regularised_m_step(covariance_type, reg_covar):
    X = three_clusters(n=300, d=3, seed=2)
    init, _ = start_params(X, 3, covariance_type, seed=5)
    resp = mixture.responsibilities(X, *init)
    exact = mixture.m_step(X, resp, covariance_type=covariance_type, reg_covar=0.0)
    regularised = mixture.m_step(X, resp, covariance_type=covariance_type, reg_covar=reg_covar)
    lost = bound(X, resp, *exact) - bound(X, resp, *regularised)
    gap = mixture.reg_covar_gap(X, resp, covariance_type, reg_covar)
    assert gap > 0
    assert gap == pytest.approx(lost, rel=1e-7)
    # the closed form's upper bound sum_k N_k / 2 sum_j (eps / s_kj)^2 / 2
    s = np.array([np.linalg.eigvalsh(c) for c in exact[2]])
    assert gap <= np.sum(resp.sum(axis=0)[:, None] / 2 * (reg_covar / s) ** 2 / 2) * (1 + 1e-12)
    # Jensen: the bound touches the log-likelihood at the parameters that gave the responsibilities
    assert bound(X, resp, *init) == pytest.approx(mixture.log_likelihood(X, *init), rel=1e-10)
    assert mixture.reg_covar_gap(X, resp, covariance_type, 0.0) == 0.0


def test_reg_covar_gap_is_infinite_for_a_singular_component():
    X = np.vstack([np.random.default_rng(0).normal(size=(50, 2)), [[9.0, 9.0]]])
    resp = np.zeros((51, 2))
    resp[:50, 0] = resp[50, 1] = 1.0
    assert mixture.reg_covar_gap(X, resp, "full", 1e-6) == np.inf


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    k=st.integers(1, 4),
    d=st.integers(1, 3),
    covariance_type=st.sampled_from(COV_TYPES),
    reg_covar=st.sampled_from([1e-3, 1e-2, 1e-1, 1.0]),
)
def test_regularised_em_drops_at_most_the_gap(seed, k, d, covariance_type, reg_covar):
    # With reg_covar > 0: l(theta_t) >= l(theta_{t-1}) - reg_covar_gap(resp of theta_{t-1}).
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, d)) * rng.uniform(0.5, 3.0) + rng.integers(0, 3, size=(60, 1)) * 3.0
    params = mixture.fit(X, k, covariance_type=covariance_type, init="random", max_iter=0,
                         reg_covar=reg_covar, rng=seed)
    params = params.weights, params.means, params.covariances
    previous = None
    for _ in range(20):
        step = mixture.em_step(X, *params, covariance_type=covariance_type, reg_covar=reg_covar)
        ll = logsumexp(scipy_weighted_log_probs(X, *params), axis=1).sum()
        assert step.log_likelihood == pytest.approx(ll, rel=1e-10)
        if previous is not None:
            assert ll >= previous[0] - previous[1] - 1e-9 * abs(ll)
        previous = ll, mixture.reg_covar_gap(X, step.resp, covariance_type, reg_covar)
        params = step.weights, step.means, step.covariances


@pytest.mark.parametrize("covariance_type, reg_covar", [
    ("full", 1e-2), ("full", 1e-1), ("diag", 1e-3), ("diag", 1e-1), ("spherical", 1e-3), ("spherical", 1e-1),
])
def test_reg_covar_can_lower_the_log_likelihood(covariance_type, reg_covar):
    # Standardised Old Faithful, K = 3: with the regulariser the log-likelihood falls at some
    # iteration (by far more than rounding), each fall within reg_covar_gap; from the same start
    # without it, it never falls.
    X = standardised_old_faithful()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = mixture.fit(X, 3, covariance_type=covariance_type, reg_covar=reg_covar, rng=0, max_iter=300, tol=0.0)
        plain = mixture.fit(X, 3, covariance_type=covariance_type, reg_covar=0.0, rng=0, max_iter=300, tol=0.0)
    assert np.diff(res.log_likelihood).min() < -1e-7
    assert np.diff(plain.log_likelihood).min() >= -1e-12 * abs(plain.log_likelihood[-1])
    init = mixture.fit(X, 3, covariance_type=covariance_type, reg_covar=reg_covar, rng=0, max_iter=0)
    params = init.weights, init.means, init.covariances
    lls, gaps = [], []
    for _ in range(60):
        step = mixture.em_step(X, *params, covariance_type=covariance_type, reg_covar=reg_covar)
        lls.append(step.log_likelihood)
        gaps.append(mixture.reg_covar_gap(X, step.resp, covariance_type, reg_covar))
        params = step.weights, step.means, step.covariances
    np.testing.assert_allclose(lls, res.log_likelihood[:60], rtol=1e-10)
    drops = -np.diff(lls)
    assert np.all(drops <= np.array(gaps[:-1]) + 1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), covariance_type=st.sampled_from(COV_TYPES))
def test_fit_is_invariant_to_permuting_rows(seed, covariance_type):
    X = three_clusters(n=150, d=2, seed=seed % 1000)
    init, _ = start_params(X, 3, covariance_type, seed=seed)
    perm = np.random.default_rng(seed).permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = mixture.fit(X, 3, covariance_type=covariance_type, init=init, max_iter=10, tol=0.0)
        b = mixture.fit(X[perm], 3, covariance_type=covariance_type, init=init, max_iter=10, tol=0.0)
    np.testing.assert_allclose(a.log_likelihood, b.log_likelihood, rtol=1e-10)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.resp[perm], b.resp, atol=1e-9)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_collapsed_component_stays_finite(covariance_type):
    # One component starts on an isolated point: it collapses and reg_covar keeps it regular.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(100, 2)), [[40.0, -40.0]]])
    init = ([0.5, 0.5], [[0.0, 0.0], [40.0, -40.0]], np.stack([np.eye(2), np.eye(2)]))
    res = mixture.fit(X, 2, covariance_type=covariance_type, init=init, max_iter=50, tol=1e-6)
    assert np.all(np.isfinite(res.covariances)) and np.all(np.isfinite(res.log_likelihood))
    np.testing.assert_allclose(res.covariances[1], 1e-6 * np.eye(2), rtol=1e-6, atol=1e-15)
    assert res.weights[1] == pytest.approx(1 / 101)
    # with no regulariser the same collapse is a clear error, not NaN
    with pytest.raises(ValueError, match="reg_covar"):
        mixture.fit(X, 2, covariance_type=covariance_type, init=init, max_iter=50, reg_covar=0.0)


def test_duplicated_points_do_not_produce_nan():
    X = np.vstack([np.tile([[1.0, 2.0]], (30, 1)), np.random.default_rng(1).normal(size=(30, 2)) + 8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = mixture.fit(X, 3, init="random", max_iter=100, rng=0)
    assert np.all(np.isfinite(res.covariances)) and np.all(np.isfinite(res.resp))


def test_float32_input_gives_the_float64_fit():
    X = three_clusters(d=2).astype(np.float32)
    init, _ = start_params(X.astype(np.float64), 3, "full")
    a = mixture.fit(X, 3, init=init, max_iter=100)
    b = mixture.fit(X.astype(np.float64), 3, init=init, max_iter=100)
    np.testing.assert_array_equal(a.means, b.means)
    assert a.means.dtype == np.float64


def test_random_init_is_seeded_and_finds_separated_clusters():
    rng = np.random.default_rng(0)
    true = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([c + rng.normal(size=(200, 2)) for c in true])
    a = mixture.fit(X, 3, init="random", rng=3, max_iter=500)
    b = mixture.fit(X, 3, init="random", rng=np.random.default_rng(3), max_iter=500)
    np.testing.assert_array_equal(a.means, b.means)
    assert a.converged
    # random starts can end in local optima: keep the best of a few restarts
    a = max((mixture.fit(X, 3, init="random", rng=s, max_iter=500, tol=1e-6) for s in range(5)),
            key=lambda r: r.log_likelihood[-1])
    found = a.means[np.argsort(a.means[:, 0] + 2 * a.means[:, 1])]
    np.testing.assert_allclose(found, true, atol=0.3)


@pytest.mark.skipif(importlib.util.find_spec("coursekit.kmeans") is None, reason="coursekit.kmeans not built yet")
def test_kmeans_init_recovers_separated_clusters():
    rng = np.random.default_rng(1)
    true = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    X = np.vstack([c + rng.normal(size=(150, 2)) for c in true])
    res = mixture.fit(X, 3, init="kmeans", rng=0, reg_covar=0.0)
    assert res.converged
    found = res.means[np.argsort(res.means[:, 0] + 2 * res.means[:, 1])]
    np.testing.assert_allclose(found, true, atol=0.3)
    assert np.all(np.diff(res.log_likelihood) >= -1e-12 * np.abs(res.log_likelihood[-1]))


def test_non_convergence_warns_and_reports():
    X = three_clusters(d=2)
    init, _ = start_params(X, 3, "full")
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = mixture.fit(X, 3, init=init, max_iter=2, tol=0.0)
    assert res.converged is False and res.n_iter == 2
    res0 = mixture.fit(X, 3, init=init, max_iter=0)  # no iterations: the initial parameters, no warning
    assert res0.n_iter == 0 and len(res0.log_likelihood) == 1
    np.testing.assert_allclose(res0.means, init[1])


# --------------------------------------------------------------------------- model selection


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("k, d", [(1, 1), (3, 2), (4, 5)])
def test_n_parameters_bic_aic_match_sklearn(covariance_type, k, d):
    X = three_clusters(n=300, d=d, seed=k)
    init, precisions = start_params(X, k, covariance_type, seed=k)
    gm = run_sklearn(X, k, covariance_type, precisions, init, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = mixture.fit(X, k, covariance_type=covariance_type, init=init, max_iter=20, tol=0.0)
    assert mixture.n_parameters(k, d, covariance_type) == gm._n_parameters()
    assert mixture.bic(X, res) == pytest.approx(gm.bic(X), rel=1e-9)
    assert mixture.aic(X, res) == pytest.approx(gm.aic(X), rel=1e-9)


def test_bic_prefers_the_true_number_of_components():
    rng = np.random.default_rng(0)
    X = np.vstack([c + rng.normal(size=(200, 2)) for c in ([0, 0], [6, 0], [0, 6])])
    scores = {}
    for k in range(1, 6):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits = [mixture.fit(X, k, init="random", rng=s, max_iter=500, tol=1e-6) for s in range(5)]
            scores[k] = mixture.bic(X, max(fits, key=lambda r: r.log_likelihood[-1]))
    assert min(scores, key=scores.get) == 3


# --------------------------------------------------------------------------- sampling


def test_sample_categorical_counts_and_moments():
    weights = np.array([0.2, 0.5, 0.3])
    means = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 3.0]])
    covs = np.stack([np.eye(2), [[2.0, 0.5], [0.5, 1.0]], [[0.5, 0.0], [0.0, 3.0]]])
    n = 30_000
    X, z = mixture.sample(weights, means, covs, n, rng=2024)
    assert X.shape == (n, 2) and z.shape == (n,)
    counts = np.bincount(z, minlength=3)
    assert stats.chisquare(counts, n * weights).pvalue > 1e-4
    for j in range(3):
        Xj = X[z == j]
        se = np.sqrt(np.diag(covs[j]) / len(Xj))
        assert np.all(np.abs((Xj.mean(axis=0) - means[j]) / se) < 4.5)
        S = np.cov(Xj, rowvar=False, bias=True)
        se_cov = np.sqrt((np.outer(np.diag(covs[j]), np.diag(covs[j])) + covs[j] ** 2) / len(Xj))
        assert np.all(np.abs((S - covs[j]) / se_cov) < 4.5)


def test_sample_categorical_is_uniform_against_cumulative_weights():
    weights = np.array([0.25, 0.25, 0.5])
    _, z = mixture.sample(weights, np.zeros((3, 1)), np.ones((3, 1, 1)), 500, rng=7)
    u = np.random.default_rng(7).random(500)  # the first draws of the same stream
    expected = np.array([next(j for j, c in enumerate(np.cumsum(weights)) if ui < c) for ui in u])
    np.testing.assert_array_equal(z, expected)


@pytest.mark.parametrize(
    "n, weights, counts",
    [
        (100, [0.2, 0.5, 0.3], [20, 50, 30]),
        (10, [1 / 3, 1 / 3, 1 / 3], [3, 3, 3]),  # 9 rows, not 10
        (5, [0.5, 0.5], [3, 3]),  # 6 rows: 2.5 rounds half up
        (7, [0.9, 0.1], [6, 1]),
        (3, [0.1, 0.9], [0, 3]),
    ],
)
def test_sample_proportional_draws_rounded_counts(n, weights, counts):
    k = len(weights)
    X, z = mixture.sample(weights, np.arange(k)[:, None] * 10.0, np.full((k, 1, 1), 0.01), n, rng=0,
                          method="proportional")
    assert X.shape == (sum(counts), 1)
    np.testing.assert_array_equal(np.bincount(z, minlength=k), counts)
    np.testing.assert_array_equal(z, np.sort(z))
    np.testing.assert_allclose(X[:, 0], z * 10.0, atol=0.6)


# --------------------------------------------------------------------------- bad input

X_OK = three_clusters(n=60, d=2)
P_OK = ([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: mixture.fit(X_OK, 0), ValueError, "k"),
        (lambda: mixture.fit(X_OK, 61), ValueError, "k"),
        (lambda: mixture.fit(X_OK, 2.0), TypeError, "k"),
        (lambda: mixture.fit(np.vstack([X_OK, [[np.nan, 0.0]]]), 2), ValueError, "X"),
        (lambda: mixture.fit(np.vstack([X_OK, [[np.inf, 0.0]]]), 2), ValueError, "X"),
        (lambda: mixture.fit(np.zeros((4, 2, 2)), 2), ValueError, "X"),
        (lambda: mixture.fit(X_OK, 2, covariance_type="tied"), ValueError, "covariance_type"),
        (lambda: mixture.fit(X_OK, 2, init="k-means++"), ValueError, "init"),
        (lambda: mixture.fit(X_OK, 2, init=(P_OK[0], P_OK[1])), ValueError, "init"),
        (lambda: mixture.fit(X_OK, 2, init=([0.6, 0.6], P_OK[1], P_OK[2])), ValueError, "init weights"),
        (lambda: mixture.fit(X_OK, 2, init=([1.2, -0.2], P_OK[1], P_OK[2])), ValueError, "init weights"),
        (lambda: mixture.fit(X_OK, 3, init=P_OK), ValueError, "init weights"),
        (lambda: mixture.fit(X_OK, 2, init=(P_OK[0], [[0.0, 0.0, 0.0]] * 2, P_OK[2])), ValueError, "init means"),
        (lambda: mixture.fit(X_OK, 2, init=(P_OK[0], P_OK[1], np.ones((2, 2, 2)))), ValueError, "init covariances"),
        (
            lambda: mixture.fit(X_OK, 2, covariance_type="diag", init=(P_OK[0], P_OK[1], [[[2, 0.5], [0.5, 1]]] * 2)),
            ValueError,
            "init covariances must be diagonal",
        ),
        (
            lambda: mixture.fit(
                X_OK, 2, covariance_type="spherical", init=(P_OK[0], P_OK[1], [np.diag([2.0, 1.0])] * 2)
            ),
            ValueError,
            "init covariances",
        ),
        (lambda: mixture.fit(X_OK, 2, max_iter=-1), ValueError, "max_iter"),
        (lambda: mixture.fit(X_OK, 2, tol=-1.0), ValueError, "tol"),
        (lambda: mixture.fit(X_OK, 2, reg_covar=-1e-6), ValueError, "reg_covar"),
        (lambda: mixture.fit(X_OK, 2, rng="seed"), TypeError, "rng"),
        (lambda: mixture.logpdf(X_OK, [0.5, 0.6], *P_OK[1:]), ValueError, "weights"),
        (lambda: mixture.logpdf(X_OK, [1.5, -0.5], *P_OK[1:]), ValueError, "weights"),
        (lambda: mixture.logpdf(X_OK, P_OK[0], [[0.0, 0.0]], P_OK[2]), ValueError, "means"),
        (lambda: mixture.logpdf(X_OK, P_OK[0], P_OK[1], np.stack([np.eye(2)] * 3)), ValueError, "covariances"),
        (lambda: mixture.logpdf(X_OK, P_OK[0], P_OK[1], [np.eye(2), [[1, 2], [2, 1]]]), ValueError, "covariances"),
        (lambda: mixture.logpdf(X_OK, P_OK[0], P_OK[1], [np.eye(2), [[1, 0.5], [0, 1]]]), ValueError, "covariances"),
        (lambda: mixture.responsibilities([[np.nan, 1.0]], *P_OK), ValueError, "X"),
        (lambda: mixture.responsibilities(np.zeros((3, 3)), *P_OK), ValueError, "means"),
        (lambda: mixture.m_step(X_OK, np.ones((60, 2))), ValueError, "resp"),
        (lambda: mixture.m_step(X_OK, np.full((59, 2), 0.5)), ValueError, "resp"),
        (lambda: mixture.m_step(X_OK, np.full((60, 2), 0.5), covariance_type="x"), ValueError, "covariance_type"),
        (lambda: mixture.m_step(X_OK, np.full((60, 2), 0.5), reg_covar=-1.0), ValueError, "reg_covar"),
        (lambda: mixture.em_step(X_OK, *P_OK, covariance_type="tied"), ValueError, "covariance_type"),
        (lambda: mixture.sample(*P_OK, n=-1), ValueError, "n"),
        (lambda: mixture.sample(*P_OK, n=5, method="stratified"), ValueError, "method"),
        (lambda: mixture.sample([0.5, 0.4], *P_OK[1:], n=5), ValueError, "weights"),
        (lambda: mixture.n_parameters(0, 2), ValueError, "k"),
        (lambda: mixture.n_parameters(2, 2, "tied"), ValueError, "covariance_type"),
        (lambda: mixture.bic(X_OK, P_OK), TypeError, "result"),
        (lambda: mixture.reg_covar_gap(X_OK, np.ones((60, 2))), ValueError, "resp"),
        (lambda: mixture.reg_covar_gap(X_OK, np.full((60, 2), 0.5), "tied"), ValueError, "covariance_type"),
        (lambda: mixture.reg_covar_gap(X_OK, np.full((60, 2), 0.5), reg_covar=-1.0), ValueError, "reg_covar"),
    ],
)
def test_bad_input_names_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()


# --------------------------------------------------------------------------- the compiled E-step
# (large "full" problems in d <= 3 run coursekit/_mixture_kernels.py; everything else NumPy)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_compiled_e_step_em_iterates_equal_sklearn(covariance_type, d):
    X = three_clusters(n=12_000, d=d, seed=7)  # n k d >= 36 000: above the kernel's threshold
    k = 3
    init, precisions = start_params(X, k, covariance_type)
    m = 4
    gm = run_sklearn(X, k, covariance_type, precisions, init, max_iter=m)
    old = mixture._NUMBA_MIN_WORK
    mixture._NUMBA_MIN_WORK = 1  # the kernel for every E-step of this fit
    try:
        with pytest.warns(ConvergenceWarning):
            res = mixture.fit(X, k, covariance_type=covariance_type, init=init, max_iter=m, tol=0.0)
        step = mixture.em_step(X, *init, covariance_type=covariance_type)
    finally:
        mixture._NUMBA_MIN_WORK = old
    assert rel_err(res.log_likelihood[:-1], len(X) * np.array(gm.lower_bounds_)) < 1e-8
    assert rel_err(res.means, gm.means_) < 1e-8
    assert rel_err(res.covariances, sklearn_full_covariances(gm)) < 1e-8
    np.testing.assert_allclose(res.resp, gm.predict_proba(X), atol=1e-8)
    # em_step's E-step (always the "full" form) through the kernel is one scikit-learn iteration.
    gm1 = run_sklearn(X, k, covariance_type, precisions, init, max_iter=1)
    assert rel_err(step.means, gm1.means_) < 1e-8
    assert rel_err(step.covariances, sklearn_full_covariances(gm1)) < 1e-8


@pytest.mark.parametrize("m_type", [None, *COV_TYPES])
@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_compiled_e_step_agrees_with_numpy_and_is_thread_independent(m_type, d):
    import numba

    from coursekit import _mixture_kernels as kern

    rng = np.random.default_rng(d)
    X = rng.normal(size=(5003, d)) * 3.0  # 5003: the last chunk is shorter
    weights = np.array([0.2, 0.0, 0.5, 0.3])  # a zero weight: log 0 = -inf must stay harmless
    means = rng.normal(size=(4, d))
    covs = np.stack([random_spd(d, rng) for _ in range(4)])
    model = mixture._model(weights, means, covs, "full")
    const = model.log_weights + model.log_det - 0.5 * d * np.log(2 * np.pi)
    total_np, stats_np, resp_np = mixture._e_pass_numpy(X, model, m_type=m_type, store_resp=True)
    results = []
    for threads, serial in ((1, True), (1, False), (2, False)):
        before = numba.get_num_threads()
        old = kern._SERIAL_WORK
        kern._SERIAL_WORK = 1 << 62 if serial else 0
        try:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            results.append(kern.e_pass(X, model.means, model.prec, const, "full", m_type, True))
        finally:
            numba.set_num_threads(before)
            kern._SERIAL_WORK = old
    for total, stats, resp in results:
        assert total == pytest.approx(total_np, rel=1e-12)
        np.testing.assert_allclose(resp, resp_np, rtol=1e-10, atol=1e-14)
        assert np.all(resp[:, 1] == 0.0)
        if m_type is None:
            assert stats is None
        else:
            for a, b in zip(mixture._m_from_stats((*stats, model.means), m_type, 1e-6),
                            mixture._m_from_stats(stats_np, m_type, 1e-6)):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # Fixed chunks, added in order: the same bits whatever the number of threads.
    assert results[1][0] == results[2][0]
    if m_type is not None:
        for a, b in zip(results[1][1], results[2][1]):
            np.testing.assert_array_equal(a, b)


def test_e_step_dispatch_keeps_small_problems_on_numpy(monkeypatch):
    import sys

    calls = []
    real = mixture._e_pass_numpy

    def spy(*args, **kwargs):
        calls.append("numpy")
        return real(*args, **kwargs)

    monkeypatch.setattr(mixture, "_e_pass_numpy", spy)
    mixture.fit(three_clusters(n=300, d=2), 3, rng=0)  # the homework's sizes
    assert calls and set(calls) == {"numpy"}
    calls.clear()
    X = three_clusters(n=20_000, d=2)
    model = mixture._model(np.full(3, 1 / 3), X[:3], np.stack([np.eye(2)] * 3), "full")
    mixture._e_pass(X, model, m_type="full")
    assert calls == [] and "coursekit._mixture_kernels" in sys.modules
    mixture._e_pass(X, mixture._model(np.full(3, 1 / 3), X[:3], np.stack([np.eye(2)] * 3), "diag"), m_type="diag")
    assert calls == ["numpy"]  # the GEMM form wins for "diag"/"spherical"
