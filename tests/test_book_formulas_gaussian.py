"""Every formula and worked number stated in chapters 1-3 of the book, checked against coursekit.

References are independent of coursekit: scipy.stats, numpy linear algebra, closed forms written
out here, numerical integration, or (for statistical statements) seeded simulations with
tolerances of several standard errors.  Equation labels refer to book/01_gaussian.md and
book/02_mle.md.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from coursekit import gaussian, mixture, plotting


# -- chapter 1: the central limit theorem and the binomial ---------------------------------------
@pytest.mark.parametrize("n", [1, 2, 10])
def test_clt_mean_of_uniforms_has_mean_half_and_variance_one_over_12n(n):
    means = plotting.clt_means(n, n_repeats=40_000, rng=3)
    sd = math.sqrt(1 / (12 * n))
    # standard error of the sample mean is sd / sqrt(40000): allow 5 of them
    assert abs(means.mean() - 0.5) < 5 * sd / 200
    # the sample variance of 40000 draws has relative standard error about sqrt(2/40000) = 0.7%
    assert means.var() == pytest.approx(sd**2, rel=0.04)
    assert means.min() >= 0 and means.max() <= 1


def test_clt_n10_is_close_to_its_normal_limit():
    means = plotting.clt_means(10, n_repeats=40_000, rng=4)
    ks = stats.kstest(means, stats.norm(0.5, math.sqrt(1 / 120)).cdf)
    assert ks.statistic < 0.02  # visually indistinguishable, as the text says


def _irwin_hall_cdf(x, n):
    """P(u_1 + ... + u_n <= x) for iid Uniform(0, 1) (the Irwin-Hall distribution), closed form."""
    return sum((-1) ** j * math.comb(n, j) * (x - j) ** n for j in range(int(math.floor(x)) + 1)) / math.factorial(n)


@pytest.mark.parametrize("n", [1, 2, 10])
def test_clt_strip_panel_is_the_exact_distribution_with_the_stated_normal(n):
    """fig-clt-strip: each panel's histogram is the mean of N uniforms (its exact law: flat for N = 1,
    the triangle for N = 2, Irwin-Hall / N in general) and its curve is N(1/2, 1/(12N))."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    drawn = plotting.plot_clt(ax, n)
    x, y = drawn["normal"].get_data()
    np.testing.assert_allclose(y, stats.norm(0.5, math.sqrt(1 / (12 * n))).pdf(x), rtol=1e-12)
    plt.close(fig)
    exact_cdf = np.vectorize(lambda m: _irwin_hall_cdf(n * m, n))
    assert stats.kstest(drawn["means"], exact_cdf).pvalue > 1e-3
    if n == 2:  # the triangle of the alt text
        assert stats.kstest(drawn["means"], stats.triang(c=0.5).cdf).pvalue > 1e-3


def test_clt_exercise_shares_for_n10_against_the_exact_law():
    """ex-gauss-clt-variance: for N = 10 about 95% of the means lie within 0.5 +- 0.18 (two sd of
    sqrt(1/120) = 0.091) and about 3% outside [0.3, 0.7] (Irwin-Hall, not the normal approximation)."""
    assert math.sqrt(1 / 120) == pytest.approx(0.091, abs=5e-4)
    within = _irwin_hall_cdf(10 * 0.68, 10) - _irwin_hall_cdf(10 * 0.32, 10)
    outside = 2 * _irwin_hall_cdf(3.0, 10)
    assert within == pytest.approx(0.95, abs=0.01)
    assert outside == pytest.approx(0.03, abs=0.005)
    means = plotting.clt_means(10)  # the panel's 20 000 means, as printed in the solution
    assert np.mean(np.abs(means - 0.5) > 0.2) == pytest.approx(outside, abs=0.004)


def test_uniform_variance_is_one_twelfth():
    value, _ = integrate.quad(lambda u: (u - 0.5) ** 2, 0, 1)
    assert value == pytest.approx(1 / 12)


@pytest.mark.parametrize("n,p", [(10, 0.5), (40, 0.3), (200, 0.05)])
def test_binomial_mean_and_variance(n, p):
    mean, var = stats.binom.stats(n, p, moments="mv")
    assert mean == pytest.approx(n * p)
    assert var == pytest.approx(n * p * (1 - p))


def test_binomial_normal_overlay_is_the_stated_normal():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    out = plotting.plot_binomial_normal(ax, 40, 0.3)
    x, y = out["normal"].get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(x, 12, math.sqrt(8.4)), rtol=1e-12)


# -- chapter 1: densities ---------------------------------------------------------------------------
def _normal_1d(x, mu, var):
    return np.exp(-((x - mu) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


def test_1d_density_formula_and_worked_ratios():
    x = np.array([1.0, 3.0, 5.0])
    got = gaussian.pdf(x, [1.0], [[4.0]])
    np.testing.assert_allclose(got, _normal_1d(x, 1.0, 4.0), rtol=1e-12)
    np.testing.assert_allclose(got, stats.norm.pdf(x, 1.0, 2.0), rtol=1e-12)
    # the text: at 1 and 2 standard deviations, e^{-1/2} ~ 0.61 and e^{-2} ~ 0.14 of the peak
    np.testing.assert_allclose(got / got[0], [1.0, math.exp(-0.5), math.exp(-2)], rtol=1e-12)
    assert got.round(4).tolist() == [0.1995, 0.121, 0.027]


def _normal_dd(x, mean, cov):
    d = len(mean)
    diff = x - mean
    maha = diff @ np.linalg.inv(cov) @ diff
    return (2 * np.pi) ** (-d / 2) * np.linalg.det(cov) ** -0.5 * np.exp(-0.5 * maha)


def test_dd_density_worked_example():
    mean = np.array([1.0, 2.0])
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    x = np.array([2.0, 1.5])
    # the hand computation printed in the text
    assert np.linalg.det(cov) == pytest.approx(1.64)
    # Sigma^{-1} = [[1, -0.6], [-0.6, 2]] / 1.64, so Delta^2 = (1 + 0.6 + 0.5) / 1.64
    maha = (x - mean) @ np.linalg.solve(cov, x - mean)
    assert maha == pytest.approx(2.1 / 1.64)
    expected = math.exp(-maha / 2) / (2 * math.pi * math.sqrt(1.64))
    got = gaussian.pdf(x[None, :], mean, cov)[0]
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(stats.multivariate_normal(mean, cov).pdf(x), rel=1e-12)
    assert round(got, 5) == 0.06552


@pytest.mark.parametrize("d", [1, 3, 5])
def test_dd_density_formula_random(d):
    rng = np.random.default_rng(d)
    A = rng.normal(size=(d, d))
    cov = A @ A.T + d * np.eye(d)
    mean = rng.normal(size=d)
    X = rng.normal(size=(7, d)) * 2
    expected = [_normal_dd(x, mean, cov) for x in X]
    np.testing.assert_allclose(gaussian.pdf(X, mean, cov), expected, rtol=1e-10)


def test_diagonal_covariance_density_is_a_product():
    mu = np.array([0.5, -1.0, 2.0])
    sd = np.array([1.0, 0.5, 2.0])
    x = np.array([[1.0, -0.2, 0.0]])
    product = np.prod(stats.norm.pdf(x[0], mu, sd))
    assert gaussian.pdf(x, mu, np.diag(sd**2))[0] == pytest.approx(product, rel=1e-12)


# -- chapter 1: ellipses --------------------------------------------------------------------------
@pytest.mark.parametrize("n_std", [1.0, 2.0, 3.0])
def test_ellipse_axes_half_lengths_and_points(n_std):
    mean = np.array([1.0, 2.0])
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    e = gaussian.ellipse(mean, cov, n_std=n_std)
    values, vectors = np.linalg.eigh(cov)
    np.testing.assert_allclose(e.eigenvalues, values[::-1], rtol=1e-12)
    np.testing.assert_allclose(e.half_lengths, n_std * np.sqrt(values[::-1]), rtol=1e-12)
    for j, k in ((0, 1), (1, 0)):
        assert abs(e.eigenvectors[:, j] @ vectors[:, k]) == pytest.approx(1.0)
    diff = e.points - mean
    np.testing.assert_allclose(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff), n_std**2, rtol=1e-10)
    # the worked numbers printed in the text
    if n_std == 2.0:
        assert e.eigenvalues.round(3).tolist() == [2.281, 0.719]
        assert e.half_lengths.round(4).tolist() == [3.0206, 1.6958]


def test_ellipse_exercise_closed_form():
    e = gaussian.ellipse([0.0, 0.0], [[4.0, 2.0], [2.0, 3.0]], n_std=2.0)
    lam = np.array([(7 + math.sqrt(17)) / 2, (7 - math.sqrt(17)) / 2])
    np.testing.assert_allclose(e.eigenvalues, lam, rtol=1e-12)
    np.testing.assert_allclose(e.half_lengths, 2 * np.sqrt(lam), rtol=1e-12)
    assert e.half_lengths.round(3).tolist() == [4.717, 2.399]
    angle = math.degrees(math.atan2(lam[0] - 4, 2))
    assert e.angle % 180 == pytest.approx(angle, abs=1e-9)
    assert round(angle) == 38


def test_isotropic_ellipse_is_a_circle():
    e = gaussian.ellipse([0.0, 0.0], 2.0 * np.eye(2), n_std=1.5)
    np.testing.assert_allclose(np.linalg.norm(e.points, axis=1), 1.5 * math.sqrt(2.0), rtol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_parameter_counts_of_the_three_covariance_structures(d):
    # one component: no free weight, d mean parameters, then the covariance's parameters
    assert mixture.n_parameters(1, d, "spherical") - d == 1
    assert mixture.n_parameters(1, d, "diag") - d == d
    assert mixture.n_parameters(1, d, "full") - d == d * (d + 1) // 2


def test_covariance_2d_builds_sigma_from_sds_and_correlation():
    cov = plotting.covariance_2d(1.5, 1.0, 0.6)
    np.testing.assert_allclose(cov, [[2.25, 0.9], [0.9, 1.0]])
    sd = np.sqrt(np.diag(cov))
    assert cov[0, 1] / (sd[0] * sd[1]) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="rho"):
        plotting.covariance_2d(1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="sigma1"):
        plotting.covariance_2d(-1.0, 1.0, 0.0)


# -- chapter 1: marginals and conditionals ---------------------------------------------------------
def test_marginal_is_the_integral_of_the_joint():
    mean = np.array([0.5, -1.0])
    cov = plotting.covariance_2d(1.0, 1.2, 0.7)
    m, v = gaussian.marginal(mean, cov, [0])
    joint = stats.multivariate_normal(mean, cov)
    for x1 in (-1.0, 0.5, 2.0):
        integral, _ = integrate.quad(lambda x2: joint.pdf([x1, x2]), -np.inf, np.inf)
        assert gaussian.pdf([x1], m, v)[0] == pytest.approx(integral, rel=1e-8)


def test_marginal_reads_off_blocks_in_4d():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    cov = A @ A.T + np.eye(4)
    mean = rng.normal(size=4)
    m, v = gaussian.marginal(mean, cov, [0, 2])
    np.testing.assert_allclose(m, mean[[0, 2]])
    np.testing.assert_allclose(v, cov[np.ix_([0, 2], [0, 2])])


def test_conditional_general_formula_is_joint_over_marginal():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(4, 4))
    cov = A @ A.T + np.eye(4)
    mean = rng.normal(size=4)
    a, b = [0, 3], [1, 2]
    xb = np.array([0.3, -0.8])
    m, v = gaussian.conditional(mean, cov, b, xb)
    # eq-conditional with an explicit inverse (the library uses a Cholesky solve)
    Sab = cov[np.ix_(a, b)]
    Sbb_inv = np.linalg.inv(cov[np.ix_(b, b)])
    np.testing.assert_allclose(m, mean[a] + Sab @ Sbb_inv @ (xb - mean[b]), rtol=1e-10)
    np.testing.assert_allclose(v, cov[np.ix_(a, a)] - Sab @ Sbb_inv @ Sab.T, rtol=1e-10)
    # and it is the renormalised slice: p(xa | xb) = p(xa, xb) / p(xb)
    joint = stats.multivariate_normal(mean, cov)
    pb = stats.multivariate_normal(mean[b], cov[np.ix_(b, b)]).pdf(xb)
    for xa in rng.normal(size=(5, 2)):
        x = np.empty(4)
        x[a], x[b] = xa, xb
        assert gaussian.pdf(xa[None, :], m, v)[0] == pytest.approx(joint.pdf(x) / pb, rel=1e-9)


@pytest.mark.parametrize("s1,s2,rho,x1", [(1.0, 1.2, 0.7, 1.0), (2.0, 0.5, -0.3, -1.5), (7.0, 7.0, 0.5, 189.0 - 175.0)])
def test_conditional_2d_formula(s1, s2, rho, x1):
    m, v = gaussian.conditional([0.0, 0.0], plotting.covariance_2d(s1, s2, rho), [0], [x1])
    assert m[0] == pytest.approx(rho * s2 / s1 * x1)
    assert v[0, 0] == pytest.approx(s2**2 * (1 - rho**2))


def test_conditional_worked_numbers():
    m, v = gaussian.marginal(np.zeros(2), plotting.covariance_2d(1.0, 1.2, 0.7), [0])
    assert (round(m[0], 4), round(v[0, 0], 4)) == (0.0, 1.0)
    m, v = gaussian.conditional(np.zeros(2), plotting.covariance_2d(1.0, 1.2, 0.7), [0], [1.0])
    assert (round(m[0], 4), round(v[0, 0], 4)) == (0.84, 0.7344)
    # the father-and-son exercise: 182 cm, sd 6.06 cm
    m, v = gaussian.conditional([175.0, 175.0], plotting.covariance_2d(7.0, 7.0, 0.5), [0], [189.0])
    assert m[0] == pytest.approx(182.0)
    assert math.sqrt(v[0, 0]) == pytest.approx(7 * math.sqrt(0.75))


def test_marginal_conditional_figure_numeric_shapes_match_formulas():
    from matplotlib.figure import Figure

    cov = plotting.covariance_2d(1.0, 1.2, 0.7)
    out = plotting.plot_marginal_conditional(Figure(), [0.0, 0.0], cov, 1.0, lim=6.0, n_grid=200)
    assert out["conditional_mean"] == pytest.approx(0.84)
    assert out["conditional_var"] == pytest.approx(0.7344)
    # the shaded conditional (numerical renormalised slice) coincides with the formula line
    x2 = np.asarray(out["conditional_formula"].get_ydata())
    path = out["conditional_numeric"].get_paths()[0].vertices
    inside = (path[:, 0] > 1e-6)
    numeric = np.interp(x2, path[inside, 1], path[inside, 0])
    np.testing.assert_allclose(numeric, out["conditional_formula"].get_xdata(), atol=2e-3)


# -- chapter 1: posterior and affine maps ------------------------------------------------------------
def _posterior_closed_form(mu0, tau2, s2, x):
    x = np.asarray(x, dtype=float)
    tau_n2 = 1 / (1 / tau2 + x.size / s2)
    return tau_n2 * (mu0 / tau2 + x.sum() / s2), tau_n2


@pytest.mark.parametrize(
    "mu0,tau2,s2,x",
    [(0.0, 1.0, 1.0, [1.2, 0.8, 1.5]), (3.0, 0.5, 2.0, [1.0]), (-1.0, 10.0, 0.3, np.linspace(0, 2, 25))],
)
def test_posterior_formula(mu0, tau2, s2, x):
    mean, var = plotting.normal_posterior(mu0, tau2, s2, x)
    exp_mean, exp_var = _posterior_closed_form(mu0, tau2, s2, x)
    assert mean == pytest.approx(exp_mean, rel=1e-10, abs=1e-12)
    assert var == pytest.approx(exp_var, rel=1e-10)
    # and numerically: prior x likelihood on a grid, normalised (scipy densities)
    theta = np.linspace(exp_mean - 12 * math.sqrt(exp_var), exp_mean + 12 * math.sqrt(exp_var), 20001)
    unnorm = stats.norm.pdf(theta, mu0, math.sqrt(tau2)) * np.prod(
        stats.norm.pdf(np.asarray(x)[:, None], theta[None, :], math.sqrt(s2)), axis=0
    )
    post = unnorm / np.trapezoid(unnorm, theta)
    assert np.trapezoid(theta * post, theta) == pytest.approx(exp_mean, abs=1e-6)
    assert np.trapezoid((theta - exp_mean) ** 2 * post, theta) == pytest.approx(exp_var, rel=1e-5)


def test_posterior_worked_numbers():
    assert plotting.normal_posterior(0.0, 1.0, 1.0, [1.2, 0.8, 1.5]) == pytest.approx((0.875, 0.25))


def test_affine_map_of_a_gaussian():
    A = np.array([[1.5, 0.0], [0.9, 0.6]])
    b = np.array([1.0, -1.0])
    from matplotlib.figure import Figure

    out = plotting.plot_affine_map(Figure().subplots(1, 2), A, b, n_samples=20_000, rng=5)
    np.testing.assert_allclose(out["mean"], b)
    np.testing.assert_allclose(out["cov"], A @ A.T)
    np.testing.assert_allclose(out["Y"], out["Z"] @ A.T + b)
    # the transformed samples have the predicted moments (20000 draws: loose, sound tolerances)
    np.testing.assert_allclose(out["Y"].mean(axis=0), b, atol=0.05)
    np.testing.assert_allclose(np.cov(out["Y"].T), A @ A.T, atol=0.08)
    # and are Gaussian along any direction
    w = np.array([0.6, -0.8])
    proj = out["Y"] @ w
    assert stats.kstest(proj, stats.norm(w @ b, math.sqrt(w @ A @ A.T @ w)).cdf).pvalue > 1e-3


def test_sum_of_independent_gaussians():
    rng = np.random.default_rng(6)
    mx, Sx = np.array([1.0, 0.0]), plotting.covariance_2d(1.0, 0.5, 0.3)
    my, Sy = np.array([-2.0, 3.0]), plotting.covariance_2d(0.4, 1.5, -0.6)
    S = gaussian.sample(mx, Sx, 40_000, rng=rng) + gaussian.sample(my, Sy, 40_000, rng=rng)
    np.testing.assert_allclose(S.mean(axis=0), mx + my, atol=0.04)
    np.testing.assert_allclose(np.cov(S.T), Sx + Sy, atol=0.06)


# -- chapter 2: likelihood and the MLE ------------------------------------------------------------
def _book_data():
    return gaussian.sample([2.0], [[1.5**2]], 30, rng=1)[:, 0]


def test_loglik_1d_formula():
    x = _book_data()
    for mu, var in [(2.0, 2.25), (0.0, 1.0), (1.9, 1.5)]:
        n = x.size
        closed = -n / 2 * math.log(2 * math.pi) - n / 2 * math.log(var) - ((x - mu) ** 2).sum() / (2 * var)
        assert gaussian.log_likelihood(x, [mu], [[var]]) == pytest.approx(closed, rel=1e-12)
        assert closed == pytest.approx(stats.norm.logpdf(x, mu, math.sqrt(var)).sum(), rel=1e-12)


def test_product_of_densities_underflows_but_log_likelihood_does_not():
    big = gaussian.sample([2.0], [[1.5**2]], 1000, rng=2)
    assert np.prod(gaussian.pdf(big, [2.0], [[2.25]])) == 0.0
    ll = gaussian.log_likelihood(big, [2.0], [[2.25]])
    assert np.isfinite(ll)
    assert ll == pytest.approx(stats.norm.logpdf(big[:, 0], 2.0, 1.5).sum(), rel=1e-12)


def test_mle_1d_is_sample_mean_and_1_over_n_variance():
    x = _book_data()
    mean, cov = gaussian.fit_mle(x)
    assert mean[0] == pytest.approx(x.sum() / x.size, rel=1e-12)
    assert cov[0, 0] == pytest.approx(((x - x.mean()) ** 2).sum() / x.size, rel=1e-12)
    # scipy's normal MLE (norm.fit) is the same estimator
    loc, scale = stats.norm.fit(x)
    assert mean[0] == pytest.approx(loc) and math.sqrt(cov[0, 0]) == pytest.approx(scale)


def test_mle_maximises_the_1d_log_likelihood():
    x = _book_data()
    mean, cov = gaussian.fit_mle(x)
    best = stats.norm.logpdf(x, mean[0], math.sqrt(cov[0, 0])).sum()
    for dm, scale in [(0.01, 1.0), (-0.01, 1.0), (0.0, 1.01), (0.0, 0.99)]:
        assert stats.norm.logpdf(x, mean[0] + dm, math.sqrt(cov[0, 0] * scale)).sum() < best
    # eq-max-loglik
    n = x.size
    assert best == pytest.approx(-n / 2 * (math.log(2 * math.pi * cov[0, 0]) + 1), rel=1e-12)


def test_mle_dd_formula_and_max_loglik():
    X = gaussian.sample([1.0, -1.0], plotting.covariance_2d(1.0, 2.0, 0.5), 500, rng=3)
    mean, cov = gaussian.fit_mle(X)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.cov(X.T, bias=True), rtol=1e-12)
    n, d = X.shape
    best = stats.multivariate_normal(mean, cov).logpdf(X).sum()
    assert best == pytest.approx(-n / 2 * (d * math.log(2 * math.pi) + math.log(np.linalg.det(cov)) + d), rel=1e-12)
    for m2, c2 in [(mean + [0.05, 0.0], cov), (mean, 1.05 * cov), (mean, 0.95 * cov)]:
        assert stats.multivariate_normal(m2, c2).logpdf(X).sum() < best


def test_mle_variance_bias_is_n_minus_1_over_n():
    rng = np.random.default_rng(0)
    est = np.array([gaussian.fit_mle(gaussian.sample([0.0], [[1.0]], 5, rng=rng))[1][0, 0] for _ in range(6000)])
    # Var(sigma_hat^2) = 2 (N-1) / N^2 = 0.32 for N = 5; standard error of the mean 0.32**0.5/sqrt(6000)
    assert abs(est.mean() - 4 / 5) < 5 * math.sqrt(0.32 / 6000)


def test_log_likelihood_grid_matches_scipy():
    x = _book_data()
    mus, sigmas = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5])
    grid = plotting.log_likelihood_grid(x, mus, sigmas)
    expected = [[stats.norm.logpdf(x, m, s).sum() for m in mus] for s in sigmas]
    np.testing.assert_allclose(grid, expected, rtol=1e-12)


# -- chapter 3: one Gaussian is not enough ----------------------------------------------------------
def _faithful():
    from coursekit import datasets

    return datasets.old_faithful().data


def test_one_gaussian_on_old_faithful_puts_mass_where_data_are_rare():
    X = _faithful()
    x = X[:, 0]
    mean, cov = gaussian.fit_mle(x)
    mu, sd = mean[0], np.sqrt(cov[0, 0])
    assert round(mu, 2) == 3.49 and round(sd, 2) == 1.14
    observed = np.mean(np.abs(x - mu) < 0.25)
    predicted = stats.norm.cdf(mu + 0.25, mu, sd) - stats.norm.cdf(mu - 0.25, mu, sd)
    assert f"{observed:.1%}" == "6.2%" and f"{predicted:.1%}" == "17.4%"
    assert 2.5 < predicted / observed < 3.5  # "roughly three times"
    # 2-D: fraction within Mahalanobis 0.5 of the mean, against the chi-squared(2) law
    mean2, cov2 = gaussian.fit_mle(X)
    diff = X - mean2
    maha_sq = np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov2), diff)
    assert 1 - np.exp(-0.25 / 2) == pytest.approx(stats.chi2(2).cdf(0.25))
    assert f"{np.mean(maha_sq <= 0.25):.1%}" == "4.0%" and f"{stats.chi2(2).cdf(0.25):.1%}" == "11.8%"


def test_within_and_between_group_decomposition_on_old_faithful():
    x = _faithful()[:, 0]
    short = x < 3.0
    groups = [x[short], x[~short]]
    w = np.array([g.size for g in groups]) / x.size
    (m1, v1), (m2, v2) = [(g.mean(), g.var()) for g in groups]
    mean, cov = gaussian.fit_mle(x)
    assert mean[0] == pytest.approx(w[0] * m1 + w[1] * m2, rel=1e-12)
    within, between = w[0] * v1 + w[1] * v2, w[0] * w[1] * (m1 - m2) ** 2
    assert cov[0, 0] == pytest.approx(within + between, rel=1e-12)
    assert 8 < between / within < 9  # "almost nine times"
    assert [round(np.sqrt(v), 2) for v in (v1, v2)] == [0.27, 0.41]
    assert 2.5 < np.sqrt(cov[0, 0] / v2) and np.sqrt(cov[0, 0] / v1) < 4.5  # "three to four times"
    # two Gaussians weighted by group size: log-likelihood from scipy, against coursekit.mixture
    ll_two = np.log(w[0] * stats.norm.pdf(x, m1, np.sqrt(v1)) + w[1] * stats.norm.pdf(x, m2, np.sqrt(v2))).sum()
    got = mixture.log_likelihood(x, w, [[m1], [m2]], [[[v1]], [[v2]]])
    assert got == pytest.approx(ll_two, rel=1e-10)
    assert round(got, 1) == -277.3
    assert round(stats.norm.logpdf(x, x.mean(), x.std()).sum(), 1) == -421.4


@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_bic_formula_and_1d_parameter_count(k):
    assay, _ = mixture.sample([0.4, 0.35, 0.25], [[0.0], [1.8], [5.0]], [[[0.64]], [[0.49]], [[0.81]]], 150, rng=7)
    assert mixture.n_parameters(k, 1) == 3 * k - 1
    result = mixture.fit(assay, k, rng=0, max_iter=500)
    ll = stats.norm.logpdf(assay, result.means[:, 0], np.sqrt(result.covariances[:, 0, 0]))
    ll = np.log(np.exp(ll) @ result.weights).sum()
    assert result.log_likelihood[-1] == pytest.approx(ll, rel=1e-6)  # a sum over the points
    assert mixture.bic(assay, result) == pytest.approx(-2 * ll + (3 * k - 1) * np.log(150), rel=1e-6)


def test_how_many_bumps_table_statements():
    assay, _ = mixture.sample([0.4, 0.35, 0.25], [[0.0], [1.8], [5.0]], [[[0.64]], [[0.49]], [[0.81]]], 150, rng=7)
    ll = {}
    for k in range(1, 7):
        runs = [mixture.fit(assay, k, rng=seed, max_iter=500) for seed in range(5)]
        ll[k] = max(r.log_likelihood[-1] for r in runs)
    # "climbs steeply from one component to two, a little more to three, and after that creeps along"
    assert ll[2] - ll[1] > 10
    assert 0 < ll[3] - ll[2] < ll[2] - ll[1]
    for k in (4, 5, 6):
        assert ll[k] - ll[k - 1] < ll[3] - ll[2]
    assert all(ll[k] >= ll[1] for k in ll)


def test_likelihood_of_a_poor_guess_is_tiny_but_representable():
    # chapter 2: "for our thirty points and a poor guess the likelihood is already around e^{-150}"
    x = _book_data()
    mu_hat, sd_hat = x.mean(), x.std()
    ll = stats.norm.logpdf(x, mu_hat - 1.5 * sd_hat, 0.6 * sd_hat).sum()  # the widget's first guess
    assert -170 < ll < -130
    assert np.prod(stats.norm.pdf(x, mu_hat - 1.5 * sd_hat, 0.6 * sd_hat)) > 0


# -- issue 10: the formulas chapters 1-3 added ----------------------------------------------------
def test_ellipse_area_is_pi_c2_sqrt_det_sigma():
    """eq-ellipsoid-volume in 2-D: area pi * a * b = pi c^2 sqrt|Sigma| (not |Sigma|), checked by
    counting grid cells inside the ellipse (independent of coursekit's eigen-decomposition)."""
    mean, cov = np.array([1.0, 2.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    c = 2.0
    e = gaussian.ellipse(mean, cov, n_std=c)
    assert math.pi * e.half_lengths.prod() == pytest.approx(math.pi * c**2 * math.sqrt(np.linalg.det(cov)))
    h = 0.01
    g = np.arange(-6, 6, h) + h / 2
    xx, yy = np.meshgrid(g, g)
    d = np.column_stack([xx.ravel(), yy.ravel()])
    inside = np.einsum("ij,ij->i", d, np.linalg.solve(cov, d.T).T) <= c**2
    assert inside.sum() * h * h == pytest.approx(math.pi * c**2 * math.sqrt(np.linalg.det(cov)), rel=2e-3)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_ellipsoid_volume_in_d_dimensions(d):
    """V_D c^D sqrt|Sigma|, by Monte Carlo in a bounding box."""
    rng = np.random.default_rng(d)
    A = rng.normal(size=(d, d))
    cov = A @ A.T + d * np.eye(d)
    c = 1.5
    unit_ball = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
    formula = unit_ball * c**d * math.sqrt(np.linalg.det(cov))
    half = c * np.sqrt(np.diag(cov))  # the ellipsoid's extent along each axis
    pts = rng.uniform(-half, half, size=(400_000, d))
    inside = np.einsum("ij,ij->i", pts, np.linalg.solve(cov, pts.T).T) <= c**2
    box = np.prod(2 * half)
    p = inside.mean()
    assert p * box == pytest.approx(formula, rel=1e-9, abs=5 * box * math.sqrt(p * (1 - p) / len(pts)))


@pytest.mark.parametrize("c, share", [(1.0, 0.393), (2.0, 0.865)])
def test_probability_inside_the_c_std_ellipse_in_2d(c, share):
    assert 1 - math.exp(-c**2 / 2) == pytest.approx(stats.chi2.cdf(c**2, df=2))
    assert round(1 - math.exp(-c**2 / 2), 3) == share
    cov = plotting.covariance_2d(1.5, 1.0, 0.6)
    X = stats.multivariate_normal([0, 0], cov).rvs(200_000, random_state=1)
    inside = np.mean(np.einsum("ij,ij->i", X, np.linalg.solve(cov, X.T).T) <= c**2)
    assert inside == pytest.approx(share, abs=0.005)


def test_one_sd_ellipse_holds_less_in_more_dimensions():
    shares = [stats.chi2.cdf(1.0, df=d) for d in (1, 2, 3, 10)]
    assert shares[0] == pytest.approx(0.6827, abs=1e-4)
    assert all(a > b for a, b in zip(shares, shares[1:]))


def test_block_inverse_with_the_schur_complement():
    """eq-block-inverse, against numpy's inverse, for random blocks."""
    rng = np.random.default_rng(7)
    A = rng.normal(size=(5, 5))
    S = A @ A.T + np.eye(5)
    a, b = slice(0, 2), slice(2, 5)
    Saa, Sab, Sba, Sbb = S[a, a], S[a, b], S[b, a], S[b, b]
    Sbb_inv = np.linalg.inv(Sbb)
    M = np.linalg.inv(Saa - Sab @ Sbb_inv @ Sba)
    blocks = np.block([[M, -M @ Sab @ Sbb_inv], [-Sbb_inv @ Sba @ M, Sbb_inv + Sbb_inv @ Sba @ M @ Sab @ Sbb_inv]])
    np.testing.assert_allclose(blocks, np.linalg.inv(S), rtol=1e-10, atol=1e-12)


def test_conditional_by_completing_the_square_equals_gaussian_conditional():
    """eq-conditional-precision (precision blocks) = eq-conditional (gaussian.conditional), and both
    equal the conditional of the joint density computed by renormalising a slice (1-D a)."""
    mu3 = np.array([1.0, -1.0, 0.5])
    cov3 = np.array([[2.0, 0.8, -0.4], [0.8, 1.5, 0.3], [-0.4, 0.3, 1.0]])
    xb = np.array([0.0, 1.0])
    prec = np.linalg.inv(cov3)
    mean_prec = mu3[0] - prec[0, 1:] @ (xb - mu3[1:]) / prec[0, 0]
    var_prec = 1 / prec[0, 0]
    m, v = gaussian.conditional(mu3, cov3, given=[1, 2], values=xb)
    assert m[0] == pytest.approx(mean_prec, rel=1e-12)
    assert v[0, 0] == pytest.approx(var_prec, rel=1e-12)
    t = np.linspace(-10, 12, 20001)
    joint = stats.multivariate_normal(mu3, cov3).pdf(np.column_stack([t, np.tile(xb, (t.size, 1))]))
    slice_density = joint / np.trapezoid(joint, t)
    assert np.trapezoid(t * slice_density, t) == pytest.approx(mean_prec, rel=1e-6)
    assert np.trapezoid((t - mean_prec) ** 2 * slice_density, t) == pytest.approx(var_prec, rel=1e-6)


def test_gradient_of_the_log_likelihood_with_respect_to_the_precision():
    """eq-dl-dprecision: d l / d Lambda = N/2 Sigma - S/2, against finite differences of scipy's
    log-density sum (symmetric steps), at the MLE (zero) and away from it."""
    X = stats.multivariate_normal([1.0, -1.0, 0.0], [[1.0, 0.6, 0.2], [0.6, 2.0, -0.3], [0.2, -0.3, 0.8]]).rvs(
        200, random_state=4)
    n, d = X.shape
    mu = X.mean(axis=0)
    scatter = (X - mu).T @ (X - mu)

    def loglik(prec):
        return stats.multivariate_normal(mu, np.linalg.inv(prec)).logpdf(X).sum()

    for cov in (scatter / n, 1.3 * scatter / n + 0.1 * np.eye(d)):
        prec = np.linalg.inv(cov)
        numeric = np.zeros((d, d))
        h = 1e-6
        for j in range(d):
            for k in range(d):
                step = np.zeros((d, d))
                step[j, k] = step[k, j] = h
                numeric[j, k] = (loglik(prec + step) - loglik(prec - step)) / (2 * h) / (1 if j == k else 2)
        np.testing.assert_allclose(numeric, n / 2 * cov - scatter / 2, atol=1e-3 * n)
    assert np.allclose(n / 2 * (scatter / n) - scatter / 2, 0)


def test_max_log_likelihood_in_d_dimensions():
    """eq-max-loglik-dd, against scipy at the MLE."""
    X = stats.multivariate_normal([0.0, 1.0, 2.0], np.diag([1.0, 2.0, 0.5])).rvs(60, random_state=2)
    n, d = X.shape
    mean, cov = gaussian.fit_mle(X)
    scipy_value = stats.multivariate_normal(mean, cov).logpdf(X).sum()
    formula = -n / 2 * (d * math.log(2 * math.pi) + math.log(np.linalg.det(cov)) + d)
    assert formula == pytest.approx(scipy_value, rel=1e-10)


def test_np_cov_default_is_one_over_n_minus_one_and_fit_mle_is_one_over_n():
    X = stats.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]]).rvs(10, random_state=5)
    n = len(X)
    manual_mle = (X - X.mean(0)).T @ (X - X.mean(0)) / n
    np.testing.assert_allclose(gaussian.fit_mle(X)[1], manual_mle, rtol=1e-12)
    np.testing.assert_allclose(np.cov(X, rowvar=False, bias=True), manual_mle, rtol=1e-12)
    np.testing.assert_allclose(np.cov(X, rowvar=False), manual_mle * n / (n - 1), rtol=1e-12)
    assert np.var(X[:, 0]) == pytest.approx(manual_mle[0, 0])  # np.var: ddof=0


def test_mixture_likelihood_is_unbounded_for_two_components():
    """ch.3: a component collapsing on a point sends l to infinity; the bound of the solution holds and
    grows by log 10 per decade of s (scipy as the reference for the mixture log-likelihood)."""
    assay, _ = mixture.sample([0.4, 0.35, 0.25], [[0.0], [1.8], [5.0]], [[[0.64]], [[0.49]], [[0.81]]], 150, rng=7)
    x = assay[:, 0]
    n = len(x)
    mu_hat, sd_hat = x.mean(), x.std()
    values = []
    for s in (1e-2, 1e-6, 1e-12, 1e-24, 1e-48):
        ours = mixture.log_likelihood(assay, [1 / n, 1 - 1 / n], [[x[0]], [mu_hat]], [[[s**2]], [[sd_hat**2]]])
        reference = np.logaddexp(np.log(1 / n) + stats.norm.logpdf(x, x[0], s),
                                 np.log(1 - 1 / n) + stats.norm.logpdf(x, mu_hat, sd_hat)).sum()
        bound = -math.log(n * math.sqrt(2 * math.pi) * s) + np.sum(np.log((1 - 1 / n) * stats.norm.pdf(x[1:], mu_hat, sd_hat)))
        assert ours == pytest.approx(reference, rel=1e-9)
        assert ours >= bound - 1e-9
        values.append(ours)
    assert all(b > a for a, b in zip(values, values[1:]))
    assert values[-1] - values[-2] == pytest.approx(24 * math.log(10), rel=1e-3)
    # past a small enough s it beats the best six-component fit EM finds (the table's last row)
    best_six = max(mixture.fit(assay, 6, rng=seed, max_iter=500).log_likelihood[-1] for seed in range(5))
    assert values[-1] > best_six
