"""Every formula stated in chapters 4-7 of the book, checked against coursekit.

Each test names the equation (label in the book) or the exercise it checks, and compares the
library with an independent reference: scipy.stats densities, numerical integration, direct
NumPy sums, scikit-learn's parameter count, or closed forms.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.spatial.distance import cdist

from coursekit import gaussian, kmeans, mixture
from coursekit.classifier import GaussianBayesClassifier

W1 = np.array([0.3, 0.5, 0.2])
M1 = np.array([[-2.0], [1.0], [4.0]])
C1 = np.array([[[0.5]], [[1.0]], [[0.3]]])

W2 = np.array([0.45, 0.35, 0.20])
M2 = np.array([[0.0, 0.0], [3.0, 3.0], [-2.5, 3.5]])
C2 = np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.8, -0.3], [-0.3, 0.5]], [[0.4, 0.0], [0.0, 1.2]]])


def _scipy_mixture_pdf(X, weights, means, covs):
    return sum(w * stats.multivariate_normal(m, c).pdf(X) for w, m, c in zip(weights, means, covs))


# ----------------------------------------------------------------------------- chapter 4
def test_eq_mixture_density_matches_sum_of_scipy_densities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)) * 3
    np.testing.assert_allclose(np.exp(mixture.logpdf(X, W2, M2, C2)), _scipy_mixture_pdf(X, W2, M2, C2),
                               rtol=1e-10, atol=1e-300)
    x = np.linspace(-6, 8, 40)
    ref = sum(w * stats.norm(m[0], math.sqrt(c[0, 0])).pdf(x) for w, m, c in zip(W1, M1, C1))
    np.testing.assert_allclose(np.exp(mixture.logpdf(x, W1, M1, C1)), ref, rtol=1e-10)


def test_mixture_density_integrates_to_one():
    total, _ = integrate.quad(lambda t: float(np.exp(mixture.logpdf([t], W1, M1, C1))[0]), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-8)


def test_exercise_mixture_mean_and_variance():
    # Exercise ch4-ex-moments: E[x] = sum pi mu = 0.7, Var[x] = sum pi (s^2 + mu^2) - E[x]^2 = 5.12.
    density = lambda t: float(np.exp(mixture.logpdf([t], W1, M1, C1))[0])  # noqa: E731
    mean, _ = integrate.quad(lambda t: t * density(t), -np.inf, np.inf)
    second, _ = integrate.quad(lambda t: t * t * density(t), -np.inf, np.inf)
    assert mean == pytest.approx(0.7, abs=1e-8)
    assert second - mean**2 == pytest.approx(5.12, abs=1e-7)


def test_eq_categorical_label_frequencies_are_binomial():
    # eq-categorical: P(z = k) = c_k - c_{k-1} = pi_k; counts are Binomial(N, pi_k).
    n = 20000
    _, z = mixture.sample(W1, M1, C1, n, rng=1, method="categorical")
    assert len(z) == n
    counts = np.bincount(z, minlength=3)
    sd = np.sqrt(n * W1 * (1 - W1))
    assert np.all(np.abs(counts - n * W1) < 4.5 * sd)
    # The goodness of fit of all three counts together.
    assert stats.chisquare(counts, n * W1).pvalue > 1e-4


def test_eq_proportional_counts_are_rounded_n_pi():
    for n in (10, 99, 1000, 1001):
        _, z = mixture.sample(W1, M1, C1, n, rng=2, method="proportional")
        expected = np.floor(n * W1 + 0.5).astype(int)  # round half up
        np.testing.assert_array_equal(np.bincount(z, minlength=3), expected)


def test_exercise_proportional_counts_can_miss_n():
    # Exercise ch4-ex-counts: N = 10, weights 1/3 each -> 3 + 3 + 3 = 9 points.
    X, z = mixture.sample(np.full(3, 1 / 3), M1, C1, 10, rng=0, method="proportional")
    assert X.shape == (9, 1) and np.array_equal(np.bincount(z), [3, 3, 3])


def test_eq_mixture_loglik_is_sum_of_log_of_sums():
    X, _ = mixture.sample(W2, M2, C2, 300, rng=3)
    ref = np.sum(np.log(_scipy_mixture_pdf(X, W2, M2, C2)))
    assert mixture.logpdf(X, W2, M2, C2).sum() == pytest.approx(ref, rel=1e-10)


def test_peak_heights_of_weighted_components():
    # "The peak of pi_k N(x | mu_k, sigma_k^2) is pi_k / sqrt(2 pi sigma_k^2)"; the right one is the lowest.
    peaks = W1 / np.sqrt(2 * np.pi * C1[:, 0, 0])
    for w, m, c, peak in zip(W1, M1, C1, peaks):
        assert w * stats.norm(m[0], np.sqrt(c[0, 0])).pdf(m[0]) == pytest.approx(peak, rel=1e-12)
    assert np.argmin(peaks) == 2 and np.argmax(peaks) == 1


def test_exercise_negative_weights_integrate_to_one_but_go_negative():
    # Exercise ch4-ex-normalised: 1.5 N(0, 1) - 0.5 N(0, 4) integrates to 1 and is negative where N(0, 4) > 3 N(0, 1).
    f = lambda t: 1.5 * stats.norm(0, 1).pdf(t) - 0.5 * stats.norm(0, 2).pdf(t)  # noqa: E731
    assert integrate.quad(f, -np.inf, np.inf)[0] == pytest.approx(1.0, abs=1e-9)
    assert f(3.0) < 0 < f(0.0)


# ----------------------------------------------------------------------------- chapter 5
@pytest.fixture(scope="module")
def blob_data():
    return mixture.sample([0.2] * 5, [[0, 0], [5, 0], [0, 5], [5, 5], [2.5, 9]], [np.eye(2) * 0.6] * 5,
                          300, rng=4)[0]


def test_step3_assignment_is_nearest_centre(blob_data):
    centers = blob_data[[0, 10, 20, 30, 40]]
    np.testing.assert_array_equal(kmeans.assign(blob_data, centers),
                                  np.argmin(cdist(blob_data, centers, "sqeuclidean"), axis=1))


def test_step4_update_is_centroid(blob_data):
    labels = np.arange(len(blob_data)) % 5
    ref = np.array([blob_data[labels == j].mean(axis=0) for j in range(5)])
    np.testing.assert_allclose(kmeans.update(blob_data, labels, 5), ref, rtol=1e-12)


def test_eq_wcss_is_sum_of_squared_distances(blob_data):
    centers = blob_data[:5]
    labels = kmeans.assign(blob_data, centers)
    ref = np.sum((blob_data - centers[labels]) ** 2)
    assert kmeans.inertia(blob_data, centers, labels) == pytest.approx(ref, rel=1e-12)


def test_exercise_centroid_identity_gives_the_drop_in_wcss(blob_data):
    # Exercise ch5-ex-centroid: moving centre j to its centroid lowers J by N_j ||c_j - xbar_j||^2.
    centers = blob_data[[1, 2, 3, 4, 5]]
    labels = kmeans.assign(blob_data, centers)
    new = kmeans.update(blob_data, labels, 5)
    drop = kmeans.inertia(blob_data, centers, labels) - kmeans.inertia(blob_data, new, labels)
    counts = np.bincount(labels, minlength=5)
    assert drop == pytest.approx(np.sum(counts * np.sum((centers - new) ** 2, axis=1)), rel=1e-10)


def test_wcss_never_increases_and_run_terminates(blob_data):
    result = kmeans.kmeans(blob_data, 5, init="random", rng=11)
    wcss = [np.sum(np.min(cdist(blob_data, c, "sqeuclidean"), axis=1)) for c in result.history]
    assert np.all(np.diff(wcss) <= 1e-9)
    assert result.converged


def test_step3_ties_go_to_the_lower_index():
    # "When two centres are exactly as near, coursekit gives the point to the one with the lower index."
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 3.0]])
    centres = np.array([[1.0, 0.0], [0.0, 0.0]])          # (0.5, 3) is equidistant from both
    assert kmeans.assign(X, centres)[2] == 0
    assert kmeans.assign(X, centres[::-1])[2] == 0


def test_every_iteration_that_changes_a_label_lowers_wcss_strictly(blob_data):
    # The termination argument: J falls strictly over each iteration in which some label changes.
    for seed in range(10):
        r = kmeans.kmeans(blob_data, 5, init="random", rng=seed, tol=0.0, keep_label_history=True)
        # After iteration t the centres history[t] are the centroids of its assignment label_history[t - 1].
        J = [np.sum((blob_data - r.history[t][r.label_history[t - 1]]) ** 2) for t in range(1, r.n_iter + 1)]
        for t in range(2, r.n_iter + 1):
            changed = not np.array_equal(r.label_history[t - 1], r.label_history[t - 2])
            if changed:
                assert J[t - 1] < J[t - 2]
            else:
                assert J[t - 1] == pytest.approx(J[t - 2], rel=1e-12)
        assert r.converged and np.array_equal(r.label_history[-1], r.label_history[-2])


def test_plain_kmeanspp_seeding_within_its_bound_on_average(blob_data):
    # Arthur-Vassilvitskii: E[J(seeding)] <= 8 (ln K + 2) J_opt for the plain rule (J_opt <= best found).
    best = kmeans.kmeans(blob_data, 5, n_init=20, rng=0).inertia
    rng = np.random.default_rng(1)
    seeds = [kmeans.kmeans_plus_plus(blob_data, 5, rng=rng, n_local_trials=1) for _ in range(300)]
    mean_seed_cost = np.mean([np.sum(np.min(cdist(blob_data, c, "sqeuclidean"), axis=1)) for c in seeds])
    assert mean_seed_cost <= 8 * (np.log(5) + 2) * best


def test_exercise_empty_cluster_relocation():
    # Exercise ch5-ex-empty: points 0, 1, 10, 11 with centres 0.5, 10.5, 100.
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    start = np.array([[0.5], [10.5], [100.0]])
    owners = kmeans.assign(points, start)
    np.testing.assert_array_equal(np.bincount(owners, minlength=3), [2, 2, 0])
    np.testing.assert_allclose(kmeans.update(points, owners, 3, start).ravel(), [1.0, 10.5, 0.0])


def test_eq_kmeanspp_second_centre_probability_is_d_squared():
    # eq-kmeanspp with the plain rule (n_local_trials=1): P(first=a, second=b) = 1/n * D(b)^2 / sum D^2.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [0.0, 2.0]])
    n, runs = len(X), 4000
    index = {tuple(x): i for i, x in enumerate(X)}
    joint = np.zeros((n, n))
    rng = np.random.default_rng(5)
    for _ in range(runs):
        c = kmeans.kmeans_plus_plus(X, 2, rng=rng, n_local_trials=1)
        joint[index[tuple(c[0])], index[tuple(c[1])]] += 1
    d2 = cdist(X, X, "sqeuclidean")
    expected = d2 / d2.sum(axis=1, keepdims=True) / n
    mask = expected > 0
    assert np.all(joint[~mask] == 0)
    assert stats.chisquare(joint[mask], runs * expected[mask]).pvalue > 1e-4


def test_exercise_voronoi_boundary_is_bisector_hyperplane():
    c = np.array([[0.0, 0.0], [4.0, 2.0]])
    normal = c[1] - c[0]
    offset = 0.5 * (c[1] @ c[1] - c[0] @ c[0])
    pts = np.random.default_rng(6).uniform(-5, 8, size=(500, 2))
    side = pts @ normal > offset
    np.testing.assert_array_equal(kmeans.assign(pts, c), side.astype(int))


def test_eq_filter_linear_difference_of_squared_distances_is_linear():
    rng = np.random.default_rng(11)
    x, z, z_star = rng.normal(size=(3, 200, 4))
    lhs = ((x - z) ** 2).sum(1) - ((x - z_star) ** 2).sum(1)
    rhs = 2 * (x * (z_star - z)).sum(1) + (z**2).sum(1) - (z_star**2).sum(1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)


def test_exercise_pruning_rule_answers_against_a_grid():
    from coursekit.kmeans_filter import prunes

    lo, hi, z_star = np.zeros(2), np.ones(2), np.array([0.5, 0.5])
    g = np.linspace(0, 1, 401)
    grid = np.array([(a, b) for a in g for b in g])
    d_star = ((grid - z_star) ** 2).sum(1)
    # The solution's answers: z1 pruned (corner (1, 0)), z2 kept, z3 pruned at the corner (1, 1).
    for z, pruned in (([2.0, 0.5], True), ([1.2, 0.5], False), ([1.4, 1.6], True)):
        z = np.array(z)
        owns_some = np.any(((grid - z) ** 2).sum(1) <= d_star)
        assert prunes(lo, hi, z_star, z) == pruned == (not owns_some)
    # The weaker "farther from the middle" test would prune z2, which owns the strip x1 > 0.85.
    z2 = np.array([1.2, 0.5])
    assert ((z2 - 0.5 * (lo + hi)) ** 2).sum() > 0
    assert np.all((((grid - z2) ** 2).sum(1) < d_star) == (grid[:, 0] > 0.85 + 1e-12))



def test_filter_section_tree_depth_quoted_in_the_text():
    # "the tree over the 20,000 points of D = 16 below is 11 levels deep": the page's uniform data.
    import pathlib
    import re

    from coursekit.kmeans_filter import build_tree

    page = (pathlib.Path(__file__).parents[1] / "book" / "05_kmeans.md").read_text()
    quoted = re.search(r"the tree over the ([\d,]+) points of \$D = (\d+)\$ below is (\d+) levels deep", page)
    assert quoted, "sentence not found"
    n, d, depth = (int(g.replace(",", "")) for g in quoted.groups())
    assert f"uniform(size=({n:_}, D))" in page and f"for D in (2, 4, 8, {d})" in page
    X = np.random.default_rng(1).uniform(size=(n, d))
    tree = build_tree(X)
    assert tree.depth == depth
    # a leaf is at most `depth` cuts from the root: fewer than one per coordinate
    assert depth < d

# ----------------------------------------------------------------------------- chapter 6
def _classifier():
    return GaussianBayesClassifier


def _three_class_data():
    X0, _ = mixture.sample([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.5, 1.0]]], 120, rng=7)
    X1, _ = mixture.sample([1.0], [[3.0, 1.0]], [[[0.6, 0.0], [0.0, 2.0]]], 60, rng=8)
    X2, _ = mixture.sample([1.0], [[1.0, 4.0]], [[[1.5, -0.4], [-0.4, 0.8]]], 90, rng=9)
    X = np.vstack([X0, X1, X2])
    y = np.array(["a"] * 120 + ["b"] * 60 + ["c"] * 90)
    return X, y


def test_training_is_per_class_mle():

    X, y = _three_class_data()
    clf = GaussianBayesClassifier("full").fit(X, y)
    for i, label in enumerate(["a", "b", "c"]):
        Xi = X[y == label]
        assert clf.priors_[i] == pytest.approx(len(Xi) / len(X))
        np.testing.assert_allclose(clf.means_[i], Xi.mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(clf.covariances_[i], np.cov(Xi.T, bias=True), rtol=1e-8, atol=1e-8)


def test_restricted_structures_are_restrictions_of_the_full_mle():

    X, y = _three_class_data()
    full = GaussianBayesClassifier("full").fit(X, y).covariances_
    diag = GaussianBayesClassifier("diag").fit(X, y).covariances_
    sph = GaussianBayesClassifier("spherical").fit(X, y).covariances_
    for i in range(3):
        np.testing.assert_allclose(diag[i], np.diag(np.diag(full[i])), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(sph[i], np.trace(full[i]) / 2 * np.eye(2), rtol=1e-6, atol=1e-8)


def test_eq_bayes_rule_posterior_matches_scipy():

    X, y = _three_class_data()
    clf = GaussianBayesClassifier("full").fit(X, y)
    grid = np.random.default_rng(10).uniform(-3, 6, size=(200, 2))
    joint = np.column_stack([
        p * stats.multivariate_normal(m, c).pdf(grid)
        for p, m, c in zip(clf.priors_, clf.means_, clf.covariances_)
    ])
    posterior = joint / joint.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(grid), posterior, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(grid), clf.classes_[np.argmax(posterior, axis=1)])


@pytest.mark.parametrize("cov_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("K, m", [(1, 1), (3, 2), (3, 10), (5, 64)])
def test_eq_parameter_counts(cov_type, K, m):
    formula = {
        "full": (K - 1) + K * m + K * m * (m + 1) // 2,
        "diag": (K - 1) + 2 * K * m,
        "spherical": (K - 1) + K * m + K,
    }[cov_type]
    assert mixture.n_parameters(K, m, cov_type) == formula
    if K < 2:
        return  # a classifier needs two classes
    # The classifier with K classes has the same count (priors, means, covariances).
    X = np.random.default_rng(K * 100 + m).normal(size=(K * (m + 2), m))
    y = np.repeat(np.arange(K), m + 2)
    assert _classifier()(cov_type).fit(X, y).n_parameters() == formula
    sklearn_mixture = pytest.importorskip("sklearn.mixture")
    gm = sklearn_mixture.GaussianMixture(K, covariance_type=cov_type)
    gm.means_ = np.zeros((K, m))  # _n_parameters reads only the shapes
    assert gm._n_parameters() == formula


@pytest.mark.parametrize("cov_type, invariant", [("full", True), ("diag", True), ("spherical", False)])
def test_standardising_changes_only_the_spherical_model(cov_type, invariant):
    # "Standardising changes nothing for the full and diagonal models ...; it changes the spherical one."
    X, y = _three_class_data()
    X = X * [1.0, 30.0] + [70.0, 0.0]                  # features in very different units
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    grid = np.random.default_rng(3).uniform(X.min(axis=0), X.max(axis=0), size=(500, 2))
    raw = GaussianBayesClassifier(cov_type).fit(X, y)
    std = GaussianBayesClassifier(cov_type).fit(Z, y)
    same = np.allclose(raw.predict_proba(grid), std.predict_proba((grid - X.mean(axis=0)) / X.std(axis=0)),
                       rtol=1e-8, atol=1e-10)
    assert same == invariant


def test_exercise_shared_covariance_log_ratio_is_linear():
    # Exercise ch6-ex-linear: with a shared covariance the log posterior ratio is affine in x.
    S = np.array([[2.0, 0.7], [0.7, 1.0]])
    m1, m2 = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    pts = np.random.default_rng(4).normal(size=(100, 2)) * 3
    ratio = stats.multivariate_normal(m1, S).logpdf(pts) - stats.multivariate_normal(m2, S).logpdf(pts)
    w = np.linalg.solve(S, m1 - m2)
    np.testing.assert_allclose(ratio, pts @ w - 0.5 * (m1 @ np.linalg.solve(S, m1) - m2 @ np.linalg.solve(S, m2)),
                               rtol=1e-10, atol=1e-10)


def test_exercise_parameter_counts_k3_m10():
    assert [mixture.n_parameters(3, 10, t) for t in ("full", "diag", "spherical")] == [197, 62, 35]


# ----------------------------------------------------------------------------- chapter 7
def test_eq_e_step_is_bayes_rule_with_current_parameters():
    X, _ = mixture.sample(W2, M2, C2, 200, rng=11)
    joint = np.column_stack([w * stats.multivariate_normal(m, c).pdf(X) for w, m, c in zip(W2, M2, C2)])
    resp = mixture.responsibilities(X, W2, M2, C2)
    np.testing.assert_allclose(resp, joint / joint.sum(axis=1, keepdims=True), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)  # exercise ch7-ex-resp


@pytest.mark.parametrize("reg", [0.0, 1e-3])
def test_eq_m_step_weighted_mle_plus_reg_covar(reg):
    X, _ = mixture.sample(W2, M2, C2, 200, rng=12)
    resp = np.random.default_rng(13).dirichlet(np.ones(3), size=len(X))
    weights, means, covs = mixture.m_step(X, resp, covariance_type="full", reg_covar=reg)
    Nk = resp.sum(axis=0)
    np.testing.assert_allclose(weights, Nk / len(X), rtol=1e-12)
    for k in range(3):
        mu = (resp[:, k:k + 1] * X).sum(axis=0) / Nk[k]
        diff = X - mu
        cov = (resp[:, k, None, None] * np.einsum("ni,nj->nij", diff, diff)).sum(axis=0) / Nk[k]
        np.testing.assert_allclose(means[k], mu, rtol=1e-10)
        np.testing.assert_allclose(covs[k], cov + reg * np.eye(2), rtol=1e-9, atol=1e-12)


def test_log_likelihood_increases_every_iteration_without_regulariser():
    X, _ = mixture.sample(W2, M2, C2, 300, rng=14)
    params = (np.full(3, 1 / 3), X[:3], np.array([np.eye(2)] * 3))
    previous = -np.inf
    for _ in range(25):
        ll = np.sum(np.log(_scipy_mixture_pdf(X, *params)))
        assert ll >= previous - 1e-12 * abs(ll)
        previous = ll
        params = mixture.m_step(X, mixture.responsibilities(X, *params), reg_covar=0.0)


def test_exercise_em_with_one_component_is_the_mle():
    X, _ = mixture.sample(W2, M2, C2, 150, rng=15)
    result = mixture.fit(X, 1, reg_covar=0.0, rng=0)
    np.testing.assert_allclose(result.means[0], X.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(result.covariances[0], np.cov(X.T, bias=True), rtol=1e-8)


def test_collapsing_component_density_is_unbounded():
    # A component on a data point with covariance s^2 I: its density there is (2 pi s^2)^(-d/2).
    x = np.array([[1.0, 2.0]])
    for s in (1e-1, 1e-3, 1e-6):
        lp = mixture.logpdf(x, [1.0], x, [s**2 * np.eye(2)])[0]
        assert lp == pytest.approx(-np.log(2 * np.pi * s**2), rel=1e-10)


def test_eq_reg_covar_floors_a_one_point_component():
    X, _ = mixture.sample(W2, M2, C2, 100, rng=16)
    resp = np.zeros((len(X), 2))
    resp[:, 0] = 1.0
    resp[0] = [0.0, 1.0]
    _, means, covs = mixture.m_step(X, resp, reg_covar=1e-3)
    np.testing.assert_allclose(means[1], X[0])
    np.testing.assert_allclose(covs[1], 1e-3 * np.eye(2), atol=1e-15)


def test_eq_bic_and_aic():
    X, _ = mixture.sample(W2, M2, C2, 272, rng=17)
    result = mixture.fit(X, 2, rng=0)
    loglik = np.sum(np.log(_scipy_mixture_pdf(X, result.weights, result.means, result.covariances)))
    p = 2 - 1 + 2 * 2 + 2 * 3
    assert mixture.bic(X, result) == pytest.approx(-2 * loglik + p * np.log(272), rel=1e-10)
    assert mixture.aic(X, result) == pytest.approx(-2 * loglik + 2 * p, rel=1e-10)


def test_exercise_bic_penalty_old_faithful():
    # Exercise ch7-ex-bic: p = 6K - 1 for full covariances in 2-D.
    assert [mixture.n_parameters(k, 2, "full") for k in (2, 3)] == [11, 17]
    assert 17 * np.log(272) - 11 * np.log(272) == pytest.approx(6 * np.log(272))


def test_fitted_log_likelihood_is_the_sum_over_points():
    X, _ = mixture.sample(W2, M2, C2, 200, rng=18)
    result = mixture.fit(X, 3, rng=0, reg_covar=0.0)
    ref = np.sum(np.log(_scipy_mixture_pdf(X, result.weights, result.means, result.covariances)))
    # The last entry is the log-likelihood of the parameters the fit returns.
    assert result.log_likelihood[-1] == pytest.approx(ref, rel=1e-10)
    assert np.all(np.diff(result.log_likelihood) >= -1e-12 * abs(ref))


def test_labelled_fit_is_per_colour_mle():
    # Chapter 4, "fitting with labels": weights are fractions, then per-colour MLE.
    X, z = mixture.sample(W2, M2, C2, 2000, rng=19)
    for k in range(3):
        mean, cov = gaussian.fit_mle(X[z == k])
        np.testing.assert_allclose(mean, X[z == k].mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(cov, np.cov(X[z == k].T, bias=True), rtol=1e-10)
    assert np.all(np.abs(np.bincount(z) / 2000 - W2) < 4.5 * np.sqrt(W2 * (1 - W2) / 2000))


def test_exercise_priors_move_the_boundary():
    # Exercise ch6-ex-prior: classes N(0, 1) and N(2, 1) with priors 0.9 / 0.1 tie at
    # x = 1 + log(0.9 / 0.1) / 2.  Data built so that the MLE is exactly those parameters.
    X = np.array([-1.0, 1.0] * 9 + [1.0, 3.0])[:, None]
    y = np.array([1] * 18 + [2] * 2)
    clf = GaussianBayesClassifier("full").fit(X, y)
    np.testing.assert_allclose(clf.priors_, [0.9, 0.1])
    boundary = 1 + 0.5 * np.log(9.0)
    np.testing.assert_allclose(clf.predict_proba([[boundary]]), [[0.5, 0.5]], rtol=1e-10)
    assert list(clf.predict([[boundary - 0.01], [boundary + 0.01]])) == [1, 2]


# ----------------------------------------------------------------------------- chapter 7: why EM works
def _faithful_like(n=272, seed=20):
    return mixture.sample([0.35, 0.65], [[2.0, 54.0], [4.3, 80.0]],
                          [[[0.07, 0.4], [0.4, 34.0]], [[0.17, 0.9], [0.9, 36.0]]], n, rng=seed)


def _log_joint(X, weights, means, covs):
    """log pi_k + log N(x_i | mu_k, Sigma_k) from scipy, shape (N, K)."""
    return np.column_stack([np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
                            for w, m, c in zip(weights, means, covs)])


def _poor_start(X):
    _, cov = gaussian.fit_mle(X)
    return np.array([0.5, 0.5]), np.array([[3.0, 60.0], [3.6, 75.0]]), np.array([cov, cov])


def test_eq_complete_loglik_with_known_labels_is_the_labelled_fit():
    # eq-complete-loglik: with one-hot labels it is sum_i log pi_{z_i} + log N(x_i | mu_{z_i}, Sigma_{z_i}),
    # and the M-step with one-hot responsibilities maximises it (chapter 6's labelled fit).
    X, z = _faithful_like()
    params = mixture.m_step(X, np.eye(2)[z], reg_covar=0.0)
    lc = np.sum(_log_joint(X, *params)[np.arange(len(X)), z])
    ref = sum(np.sum(np.log(np.mean(z == k)) + stats.multivariate_normal(X[z == k].mean(axis=0),
                                                                         np.cov(X[z == k].T, bias=True)).logpdf(X[z == k]))
              for k in range(2))
    assert lc == pytest.approx(ref, rel=1e-10)


def test_eq_elbo_decomposition_for_any_q():
    # eq-elbo-decomposition: l(theta) = L(q, theta) + KL(q || posterior) for every q; KL >= 0.
    X, _ = _faithful_like()
    theta = _poor_start(X)
    lj = _log_joint(X, *theta)
    ell = np.sum(np.log(np.exp(lj).sum(axis=1)))
    posterior = np.exp(lj) / np.exp(lj).sum(axis=1, keepdims=True)
    for q in (np.random.default_rng(0).dirichlet([1.0, 1.0], size=len(X)), posterior):
        bound = np.sum(q * (lj - np.log(q)))
        kl = np.sum(q * (np.log(q) - np.log(posterior)))
        assert bound + kl == pytest.approx(ell, rel=1e-12)
        assert kl >= -1e-12
    assert np.sum(posterior * (lj - np.log(posterior))) == pytest.approx(ell, rel=1e-12)  # E-step: KL = 0
    assert ell == pytest.approx(mixture.log_likelihood(X, *theta), rel=1e-12)


def test_eq_q_function_is_maximised_by_the_m_step():
    # eq-q-function / eq-m-step: Q(theta, theta_old) is largest at the M-step's theta; random moves lower it.
    X, _ = _faithful_like()
    r = mixture.responsibilities(X, *_poor_start(X))
    best = mixture.m_step(X, r, reg_covar=0.0)
    q_best = np.sum(r * _log_joint(X, *best))
    rng = np.random.default_rng(1)
    for _ in range(30):
        w = np.clip(best[0] + rng.normal(scale=0.03, size=2), 0.01, None)
        w /= w.sum()
        m = best[1] + rng.normal(scale=0.2, size=best[1].shape)
        B = np.eye(2) + rng.normal(scale=0.05, size=(2, 2, 2))
        c = np.array([L @ b @ b.T @ L.T for L, b in zip(np.linalg.cholesky(best[2]), B)])   # SPD, moved
        assert np.sum(r * _log_joint(X, w, m, c)) <= q_best + 1e-9


def test_eq_em_monotone_chain_on_the_books_start():
    # eq-em-monotone: l(new) >= L(r, new) >= L(r, old) = l(old), with scipy for every term (reg_covar = 0).
    X, _ = _faithful_like()
    old = _poor_start(X)
    for _ in range(15):
        r = mixture.responsibilities(X, *old)
        new = mixture.m_step(X, r, reg_covar=0.0)
        lj_old, lj_new = _log_joint(X, *old), _log_joint(X, *new)
        ent = -np.sum(r[r > 0] * np.log(r[r > 0]))
        l_old = np.sum(np.log(np.exp(lj_old).sum(axis=1)))
        l_new = np.sum(np.log(np.exp(lj_new).sum(axis=1)))
        L_old, L_new = np.sum(r * lj_old) + ent, np.sum(r * lj_new) + ent
        assert L_old == pytest.approx(l_old, rel=1e-12)
        assert l_new >= L_new - 1e-9 and L_new >= L_old - 1e-9
        old = new


@pytest.mark.parametrize("eps", [1e-2, 1e-1])
def test_eq_reg_gap_is_the_bound_lost_to_reg_covar(eps):
    # eq-reg-gap: L(r, exact M-step) - L(r, M-step with + eps I) equals the closed form.
    X, _ = _faithful_like()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    r = mixture.responsibilities(X, [0.5, 0.5], [[-1.0, -1.0], [1.0, 1.0]], [np.eye(2) * 0.5] * 2)
    exact = mixture.m_step(X, r, reg_covar=0.0)
    reg = mixture.m_step(X, r, reg_covar=eps)
    lost = np.sum(r * _log_joint(X, *exact)) - np.sum(r * _log_joint(X, *reg))
    nk = r.sum(axis=0)
    s = np.array([np.linalg.eigvalsh(S) for S in exact[2]])
    closed = np.sum(nk[:, None] / 2 * (np.log1p(eps / s) - eps / (s + eps)))
    assert lost == pytest.approx(closed, rel=1e-8)
    assert mixture.reg_covar_gap(X, r, "full", eps) == pytest.approx(closed, rel=1e-10)
    assert closed <= np.sum(nk[:, None] / 2 * eps**2 / (2 * s**2))


def test_regularised_log_likelihood_is_bounded_by_the_floor():
    # "every variance is at least eps, so l <= -(N D / 2) log(2 pi eps)"
    X, _ = _faithful_like(n=40)
    for eps in (1e-3, 1e-1):
        res = mixture.fit(X, 5, init="random", rng=0, reg_covar=eps, max_iter=200)
        assert max(res.log_likelihood) <= -(40 * 2 / 2) * np.log(2 * np.pi * eps)
        assert np.all(np.linalg.eigvalsh(res.covariances) >= eps * (1 - 1e-12))


def test_eq_hard_limit_em_with_small_spherical_covariances_is_lloyd():
    # eq-hard-limit: r_ik -> one-hot on the nearest centre; EM on the means = Lloyd's iterations.
    X, _ = mixture.sample([0.2] * 5, [[0, 0], [6, 0], [0, 6], [6, 6], [3, 11]], [np.eye(2) * 1.2] * 5, 500, rng=3)
    c0 = X[np.random.default_rng(11).choice(len(X), 5, replace=False)]
    equal = np.full(5, 0.2)
    nearest = np.argmin(cdist(X, c0, "sqeuclidean"), axis=1)
    r = mixture.responsibilities(X, equal, c0, [0.05**2 * np.eye(2)] * 5)
    np.testing.assert_array_equal(np.argmax(r, axis=1), nearest)
    assert np.mean(r.max(axis=1) > 1 - 1e-12) >= 0.98   # all but points near a bisector
    soft = mixture.responsibilities(X, equal, c0, [3.0**2 * np.eye(2)] * 5)
    assert soft.max() < 0.99
    means, centres = c0.copy(), c0.copy()
    for _ in range(6):
        r = mixture.responsibilities(X, equal, means, [1e-3**2 * np.eye(2)] * 5)
        means = (r.T @ X) / r.sum(axis=0)[:, None]
        labels = np.argmin(cdist(X, centres, "sqeuclidean"), axis=1)       # Lloyd, by hand
        centres = np.array([X[labels == j].mean(axis=0) for j in range(5)])
        np.testing.assert_allclose(means, centres, rtol=0, atol=1e-12)
    hard = kmeans.kmeans(X, 5, init=c0, tol=0.0, max_iter=6)
    np.testing.assert_allclose(hard.history[min(6, hard.n_iter)], centres, atol=1e-12)


def test_q_of_the_hard_limit_is_minus_wcss_over_two_sigma_squared():
    # Q with hard responsibilities and covariances sigma^2 I: -J / (2 sigma^2) + a constant independent of the means.
    X, _ = _faithful_like()
    sigma = 0.7
    consts = []
    for seed in range(3):
        means = X[np.random.default_rng(seed).choice(len(X), 3, replace=False)]
        labels = np.argmin(cdist(X, means, "sqeuclidean"), axis=1)
        q = np.sum(_log_joint(X, np.full(3, 1 / 3), means, [sigma**2 * np.eye(2)] * 3)[np.arange(len(X)), labels])
        J = kmeans.inertia(X, means, labels)
        consts.append(q + J / (2 * sigma**2))
    np.testing.assert_allclose(consts, consts[0], rtol=1e-12)
    assert consts[0] == pytest.approx(len(X) * (np.log(1 / 3) - np.log(2 * np.pi * sigma**2)), rel=1e-12)


def test_label_switching_permuting_components_keeps_the_density():
    X, _ = _faithful_like()
    w, m, c = np.array([0.2, 0.5, 0.3]), X[:3], np.array([np.cov(X.T)] * 3) * [[[0.5]], [[1.0]], [[2.0]]]
    ref = np.log(np.exp(_log_joint(X, w, m, c)).sum(axis=1))
    for perm in ([1, 0, 2], [2, 0, 1], [2, 1, 0]):
        np.testing.assert_allclose(mixture.logpdf(X, w[perm], m[perm], c[perm]), ref, rtol=1e-12)


def test_bic_is_invariant_in_ranking_under_rescaling():
    # "rescaling the data shifts every model's l by the same -N log s" (1-D assay data)
    assay, _ = mixture.sample([0.4, 0.35, 0.25], [[0.0], [1.8], [5.0]], [[[0.64]], [[0.49]], [[0.81]]], 150, rng=7)
    for k in (1, 2, 3):
        f = mixture.fit(assay, k, rng=0, max_iter=500)
        g = mixture.fit(assay * 10.0, k, init=(f.weights, f.means * 10.0, f.covariances * 100.0), max_iter=0)
        assert g.log_likelihood[-1] == pytest.approx(f.log_likelihood[-1] - 150 * np.log(10.0), rel=1e-12)
