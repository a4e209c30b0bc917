"""coursekit.gaussian against scipy.stats, closed forms and moment tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from coursekit import gaussian


def random_spd(d, rng, scale=1.0):
    A = rng.standard_normal((d, d))
    return scale * (A @ A.T / d + 0.5 * np.eye(d))


# --------------------------------------------------------------------------- densities


@pytest.mark.parametrize("d", [1, 2, 5, 64])
def test_logpdf_pdf_match_scipy(d):
    rng = np.random.default_rng(d)
    mean = rng.normal(size=d)
    cov = random_spd(d, rng)
    X = rng.multivariate_normal(mean, cov, size=50) + 0.5 * rng.standard_normal((50, d))
    ref = stats.multivariate_normal(mean, cov)
    np.testing.assert_allclose(gaussian.logpdf(X, mean, cov), ref.logpdf(X), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gaussian.pdf(X, mean, cov), ref.pdf(X), rtol=1e-9, atol=0)
    assert gaussian.log_likelihood(X, mean, cov) == pytest.approx(ref.logpdf(X).sum(), rel=1e-11)
    assert gaussian.logpdf(X, mean, cov).shape == (50,)


def test_one_dimensional_inputs_match_scipy_norm():
    x = np.linspace(-3, 5, 17)
    out = gaussian.logpdf(x, 1.0, 4.0)  # scalar mean and variance, 1-D X means d = 1
    np.testing.assert_allclose(out, stats.norm(1.0, 2.0).logpdf(x), rtol=1e-12)
    assert isinstance(gaussian.log_likelihood(x, 1.0, 4.0), float)


def test_float32_input_is_accurate():
    rng = np.random.default_rng(0)
    mean, cov = rng.normal(size=3), random_spd(3, rng)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    out = gaussian.logpdf(X, mean.astype(np.float32), cov.astype(np.float32))
    assert out.dtype == np.float64
    ref = stats.multivariate_normal(mean.astype(np.float32), cov.astype(np.float32)).logpdf(X.astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(d=st.integers(1, 6), seed=st.integers(0, 2**31 - 1), scale=st.floats(1e-3, 1e3))
def test_logpdf_property_matches_scipy(d, seed, scale):
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=d) * scale
    cov = random_spd(d, rng, scale=scale**2)
    X = mean + scale * rng.standard_normal((7, d))
    np.testing.assert_allclose(
        gaussian.logpdf(X, mean, cov), stats.multivariate_normal(mean, cov).logpdf(X), rtol=1e-9, atol=1e-9
    )


def test_density_integrates_to_one_in_2d():
    mean, cov = np.array([0.5, -1.0]), np.array([[2.0, 0.6], [0.6, 1.0]])

    def f(y, x):
        return gaussian.pdf([[x, y]], mean, cov)[0]

    total, _ = integrate.dblquad(f, -12, 13, -12, 10, epsabs=1e-10)
    assert total == pytest.approx(1.0, abs=1e-7)


# --------------------------------------------------------------------------- MLE


def test_fit_mle_matches_numpy_biased_estimates():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4)) @ rng.normal(size=(4, 4)) + 3.0
    mean, cov = gaussian.fit_mle(X)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.cov(X, rowvar=False, bias=True), rtol=1e-10, atol=1e-12)
    assert np.array_equal(cov, cov.T)


def test_fit_mle_one_dimensional():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    mean, cov = gaussian.fit_mle(x)
    assert mean.shape == (1,) and cov.shape == (1, 1)
    assert mean[0] == pytest.approx(3.5)
    assert cov[0, 0] == pytest.approx(np.var(x))  # numpy's var is the 1/N estimate


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(1, 4))
def test_fit_mle_maximises_the_likelihood(seed, d):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, d)) @ random_spd(d, rng)
    mean, cov = gaussian.fit_mle(X)
    best = stats.multivariate_normal(mean, cov).logpdf(X).sum()
    for _ in range(5):
        m2 = mean + 0.05 * rng.standard_normal(d)
        c2 = cov @ (np.eye(d) + 0.05 * np.diag(rng.uniform(-1, 1, d)))
        c2 = 0.5 * (c2 + c2.T)
        assert stats.multivariate_normal(m2, c2).logpdf(X).sum() <= best + 1e-9


# --------------------------------------------------------------------------- sampling


def test_sample_moments_within_standard_errors():
    rng = np.random.default_rng(12345)
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 0.8, -0.3], [0.8, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    n = 40_000
    X = gaussian.sample(mean, cov, n, rng=rng)
    assert X.shape == (n, 3)
    # mean: standard error sqrt(S_jj / n); 4.5 sigma leaves room for the 3 + 6 simultaneous tests
    z_mean = (X.mean(axis=0) - mean) / np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(z_mean) < 4.5), z_mean
    # covariance entries: for a Gaussian, Var(S_ij) = (S_ii S_jj + S_ij^2) / n
    S = np.cov(X, rowvar=False, bias=True)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    z_cov = (S - cov) / se
    assert np.all(np.abs(z_cov) < 4.5), z_cov
    # whitened coordinates are standard normal (Kolmogorov-Smirnov, seeded)
    W = np.linalg.solve(np.linalg.cholesky(cov), (X - mean).T)
    for row in W:
        assert stats.kstest(row, "norm").pvalue > 1e-4


def test_sample_is_reproducible_and_accepts_generator():
    mean, cov = [0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]]
    a = gaussian.sample(mean, cov, 10, rng=7)
    b = gaussian.sample(mean, cov, 10, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert gaussian.sample(mean, cov, 0, rng=1).shape == (0, 2)


# --------------------------------------------------------------------------- marginal, conditional


def test_marginal_closed_form_and_numerical_integration():
    mean = np.array([1.0, -1.0, 2.0])
    cov = np.array([[2.0, 0.6, 0.3], [0.6, 1.5, -0.4], [0.3, -0.4, 1.0]])
    m, c = gaussian.marginal(mean, cov, [2, 0])
    np.testing.assert_array_equal(m, [2.0, 1.0])
    np.testing.assert_array_equal(c, [[1.0, 0.3], [0.3, 2.0]])
    # integrate the 2-D joint "down the columns": p(x0) = int p(x0, x1) dx1
    m2, c2 = mean[:2], cov[:2, :2]
    mm, cc = gaussian.marginal(m2, c2, 0)
    for x0 in (-1.0, 1.0, 2.5):
        val, _ = integrate.quad(lambda x1: stats.multivariate_normal(m2, c2).pdf([x0, x1]), -15, 15)
        assert gaussian.pdf([x0], mm, cc)[0] == pytest.approx(val, rel=1e-8)


def test_marginal_accepts_boolean_mask_and_negative_index():
    mean, cov = np.arange(3.0), np.diag([1.0, 2.0, 3.0])
    m, c = gaussian.marginal(mean, cov, [True, False, True])
    np.testing.assert_array_equal(m, [0.0, 2.0])
    m, c = gaussian.marginal(mean, cov, -1)
    np.testing.assert_array_equal(c, [[3.0]])


def test_conditional_bivariate_closed_form():
    mu1, mu2, s1, s2, rho = 1.0, -2.0, 1.5, 0.7, 0.6
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    m, c = gaussian.conditional([mu1, mu2], cov, given=[1], values=[-1.0])
    assert m[0] == pytest.approx(mu1 + rho * s1 / s2 * (-1.0 - mu2), rel=1e-12)
    assert c[0, 0] == pytest.approx(s1**2 * (1 - rho**2), rel=1e-12)


@pytest.mark.parametrize("value", [-2.0, 0.3, 1.7])
def test_conditional_matches_renormalised_slice_of_scipy_density(value):
    # slice the joint density along x1 = value and renormalise it numerically
    mean = np.array([0.5, -1.0, 2.0])
    cov = np.array([[2.0, 0.6, 0.3], [0.6, 1.5, -0.4], [0.3, -0.4, 1.0]])
    m, c = gaussian.conditional(mean, cov, given=[1, 2], values=[value, 1.5])
    joint = stats.multivariate_normal(mean, cov)
    grid = np.linspace(m[0] - 12 * np.sqrt(c[0, 0]), m[0] + 12 * np.sqrt(c[0, 0]), 4001)
    pts = np.column_stack([grid, np.full_like(grid, value), np.full_like(grid, 1.5)])
    dens = joint.pdf(pts)
    dens /= integrate.simpson(dens, x=grid)
    np.testing.assert_allclose(gaussian.pdf(grid[:, None], m, c), dens, rtol=1e-6, atol=1e-12)
    num_mean = integrate.simpson(grid * dens, x=grid)
    num_var = integrate.simpson((grid - num_mean) ** 2 * dens, x=grid)
    assert m[0] == pytest.approx(num_mean, abs=1e-8)
    assert c[0, 0] == pytest.approx(num_var, rel=1e-7)


def test_conditional_chain_rule_identity():
    # log p(x) = log p(x_b) + log p(x_a | x_b), checked with scipy densities in d = 5
    rng = np.random.default_rng(3)
    mean, cov = rng.normal(size=5), random_spd(5, rng)
    x = rng.normal(size=5)
    b, a = [3, 0], [1, 2, 4]
    mb, cb = gaussian.marginal(mean, cov, b)
    ma, ca = gaussian.conditional(mean, cov, b, x[b])
    lhs = stats.multivariate_normal(mean, cov).logpdf(x)
    rhs = stats.multivariate_normal(mb, cb).logpdf(x[b]) + stats.multivariate_normal(ma, ca).logpdf(x[a])
    assert lhs == pytest.approx(rhs, rel=1e-10)
    assert np.allclose(ca, ca.T) and np.all(np.linalg.eigvalsh(ca) > 0)


# --------------------------------------------------------------------------- ellipse


def test_ellipse_geometry():
    mean = np.array([1.0, 2.0])
    cov = np.array([[3.0, 1.2], [1.2, 1.0]])
    e = gaussian.ellipse(mean, cov, n_std=2.0, n_points=200)
    lam = np.linalg.eigvalsh(cov)[::-1]
    np.testing.assert_allclose(e.eigenvalues, lam, rtol=1e-12)
    np.testing.assert_allclose(e.eigenvectors.T @ e.eigenvectors, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(cov @ e.eigenvectors, e.eigenvectors * lam, atol=1e-12)
    np.testing.assert_allclose(e.half_lengths, 2.0 * np.sqrt(lam), rtol=1e-12)
    assert e.points.shape == (200, 2)
    np.testing.assert_array_equal(e.points[0], e.points[-1])
    diff = e.points - mean
    maha = np.einsum("ij,ij->i", diff, np.linalg.solve(cov, diff.T).T)
    np.testing.assert_allclose(maha, 4.0, rtol=1e-10)
    # polygon area (shoelace) tends to pi * a * b
    x, y = e.points[:, 0], e.points[:, 1]
    area = 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(y[:-1], x[1:]))
    assert area == pytest.approx(np.pi * np.prod(e.half_lengths), rel=1e-3)
    v = e.eigenvectors[:, 0]
    assert e.angle == pytest.approx(np.degrees(np.arctan2(v[1], v[0])))


def test_ellipse_isotropic_and_axis_aligned():
    e = gaussian.ellipse([0, 0], [[4.0, 0.0], [0.0, 1.0]], n_std=1.0)
    np.testing.assert_allclose(e.half_lengths, [2.0, 1.0])
    assert e.angle == pytest.approx(0.0)
    circle = gaussian.ellipse([0, 0], np.eye(2) * 9.0, n_std=1.0)
    np.testing.assert_allclose(np.linalg.norm(circle.points, axis=1), 3.0)


# --------------------------------------------------------------------------- bad input


GOOD_MEAN, GOOD_COV = np.zeros(2), np.eye(2)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: gaussian.logpdf([[np.nan, 0.0]], GOOD_MEAN, GOOD_COV), ValueError, "X"),
        (lambda: gaussian.logpdf([[np.inf, 0.0]], GOOD_MEAN, GOOD_COV), ValueError, "X"),
        (lambda: gaussian.logpdf(np.zeros((2, 2, 2)), GOOD_MEAN, GOOD_COV), ValueError, "X"),
        (lambda: gaussian.logpdf(np.zeros((3, 2)), np.zeros(3), GOOD_COV), ValueError, "mean"),
        (lambda: gaussian.logpdf(np.zeros((3, 2)), GOOD_MEAN, np.eye(3)), ValueError, "cov"),
        (lambda: gaussian.logpdf(np.zeros((3, 2)), GOOD_MEAN, np.ones((2, 3))), ValueError, "cov"),
        (lambda: gaussian.pdf(np.zeros((3, 2)), GOOD_MEAN, [[1.0, 2.0], [2.0, 1.0]]), ValueError, "cov"),
        (lambda: gaussian.pdf(np.zeros((3, 2)), GOOD_MEAN, [[1.0, 0.5], [0.0, 1.0]]), ValueError, "cov"),
        (lambda: gaussian.log_likelihood("abc", GOOD_MEAN, GOOD_COV), TypeError, "X"),
        (lambda: gaussian.fit_mle([[1.0, np.nan]]), ValueError, "X"),
        (lambda: gaussian.fit_mle(np.zeros((0, 2))), ValueError, "X"),
        (lambda: gaussian.sample(GOOD_MEAN, GOOD_COV, -1), ValueError, "n"),
        (lambda: gaussian.sample(GOOD_MEAN, GOOD_COV, 2.5), TypeError, "n"),
        (lambda: gaussian.sample(GOOD_MEAN, [[1.0, 0.0], [0.0, 0.0]], 3), ValueError, "cov"),
        (lambda: gaussian.sample(GOOD_MEAN, GOOD_COV, 3, rng="x"), TypeError, "rng"),
        (lambda: gaussian.marginal(GOOD_MEAN, GOOD_COV, [2]), ValueError, "keep"),
        (lambda: gaussian.marginal(GOOD_MEAN, GOOD_COV, [0, 0]), ValueError, "keep"),
        (lambda: gaussian.marginal(GOOD_MEAN, GOOD_COV, []), ValueError, "keep"),
        (lambda: gaussian.marginal(GOOD_MEAN, GOOD_COV, [0.5]), TypeError, "keep"),
        (lambda: gaussian.conditional(GOOD_MEAN, GOOD_COV, [0, 1], [0.0, 0.0]), ValueError, "given"),
        (lambda: gaussian.conditional(GOOD_MEAN, GOOD_COV, [0], [0.0, 1.0]), ValueError, "values"),
        (lambda: gaussian.conditional(GOOD_MEAN, GOOD_COV, [0], [np.nan]), ValueError, "values"),
        (lambda: gaussian.ellipse(np.zeros(3), np.eye(3)), ValueError, "mean"),
        (lambda: gaussian.ellipse(GOOD_MEAN, GOOD_COV, n_std=0.0), ValueError, "n_std"),
        (lambda: gaussian.ellipse(GOOD_MEAN, GOOD_COV, n_points=2), ValueError, "n_points"),
    ],
)
def test_bad_input_names_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()
