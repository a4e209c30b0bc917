"""hw2_sampling: sampling from a Gaussian mixture, both ways, and its density (task 4)."""

from ._cells import answer, hidden, md, setup, tests

CELLS = [
    md("intro", r"""
# Homework 2 — Sampling from a mixture of Gaussians

*Follows Chapter 4 (Mixtures of Gaussians and sampling from them, `book/04_mixtures.md`); uses
your Gaussian density from Homework 1.*

**Due:** _DUE DATE_ · **Points:** 15 (all autograded)

| task | function | points |
| --- | --- | --- |
| 4a | `sample_gmm(weights, means, covs, n, rng)` — draw each label from π | 6 |
| 4b | `sample_gmm_fixed_counts(weights, means, covs, n, rng)` — n_k = round(n·π_k) | 5 |
| 4c | `gmm_pdf(X, weights, means, covs)` — the mixture density | 4 |

Rules:

* Write each function in its cell, keeping its name and arguments; you may add helper functions.
* Use NumPy (and, if you like, `scipy.special` and `scipy.linalg`). A function that calls
  `coursekit`, `scipy.stats` or scikit-learn scores zero for that task.
* Each docstring is the function's contract: any implementation that meets it gets full marks.
  Samples are graded statistically (label frequencies, the mean and covariance of each
  component's points, the exact counts of 4b, and reproducibility: the same `rng` seed must give
  the same sample), never by comparing your draws with someone else's: the order in which you
  draw random numbers is up to you.
* Shapes are always full: `weights` (k,), `means` (k, d), `covs` (k, d, d), also when d = 1.
* Before you submit: *Kernel → Restart & Run All*, and check that no cell raises an error.
"""),
    setup("setup", r"""
import numpy as np

from coursekit import autograde as _ag  # the graders' checks, used by the test cells
"""),
    md("helpers_intro", r"""
## Your density from Homework 1

Paste your `gaussian_pdf` from Homework 1 into the function below (it is not graded again here:
when `gmm_pdf` is graded, a correct `gaussian_pdf` stands in for yours, so a mistake in
Homework 1 does not cost points twice). Add any other helpers you like to this cell.
"""),
    answer("helpers", r'''
# Helpers (not graded).
def gaussian_pdf(X, mean, cov):
    """Density of N(mean, cov) at each row of X: X (n, D), mean (D,), cov (D, D) -> (n,)."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return np.exp(-0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(y**2, axis=0)))
    ### END SOLUTION
'''),
    md("task4a", r"""
## Task 4a — sampling with a categorical choice of component (6 points)

For each of the n points: draw its component $z_i \in \{0, \dots, k-1\}$ with
$P(z_i = j) = \pi_j$ (compare a uniform random number with the cumulative weights), then draw
$\mathbf{x}_i \sim \mathcal{N}(\boldsymbol\mu_{z_i}, \Sigma_{z_i})$. To draw from
$\mathcal{N}(\boldsymbol\mu, \Sigma)$: $\boldsymbol\mu + L\boldsymbol\varepsilon$ with $L$ the
Cholesky factor of $\Sigma$ and $\boldsymbol\varepsilon$ standard normal (or
`rng.multivariate_normal`).
"""),
    answer("sample_gmm", r'''
def sample_gmm(weights, means, covs, n, rng):
    """Draw n points from a Gaussian mixture, choosing each point's component at random.

    Parameters
    ----------
    weights : ndarray of float, shape (k,)
        Mixing weights pi_j >= 0, summing to 1.
    means : ndarray of float, shape (k, d)
        Component means (shape (k, 1) when d = 1).
    covs : ndarray of float, shape (k, d, d)
        Component covariances, symmetric positive definite (shape (k, 1, 1) when d = 1).
    n : int
        Number of points, n >= 0.
    rng : numpy.random.Generator
        The only source of randomness: the same seed must give the same (X, z); do not use
        np.random.* functions or create another Generator.

    Returns
    -------
    X : ndarray of float, shape (n, d)
        The points.
    z : ndarray of int, shape (n,)
        z[i] in 0 .. k-1 is the component X[i] was drawn from; P(z[i] = j) = weights[j],
        independently for each point.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    covs = np.asarray(covs, dtype=float)
    k, d = means.shape
    cumulative = np.cumsum(weights)
    u = rng.random(n)
    # The first component whose cumulative weight exceeds u (the clip guards rounding of the sum).
    z = np.minimum(np.searchsorted(cumulative, u, side="right"), k - 1)
    eps = rng.standard_normal((n, d))
    X = np.empty((n, d))
    for j in range(k):
        mask = z == j
        L = np.linalg.cholesky(covs[j])
        X[mask] = means[j] + eps[mask] @ L.T
    return X, z
    ### END SOLUTION
'''),
    tests("test_sample_gmm_visible", 1, r"""
# Quick sanity checks (1 point): shapes, label range, reproducibility.
w, mu, S = np.array([0.3, 0.7]), np.array([[0.0, 0.0], [5.0, 5.0]]), np.stack([np.eye(2), 0.5 * np.eye(2)])
with _ag.own_work():
    X, z = sample_gmm(w, mu, S, 500, np.random.default_rng(0))
    X2, z2 = sample_gmm(w, mu, S, 500, np.random.default_rng(0))
X, X2 = _ag.plain_array(X, "X", shape=(500, 2)), _ag.plain_array(X2, "X", shape=(500, 2))  # X is (n, d)
z, z2 = _ag.plain_array(z, "z", shape=(500,)), _ag.plain_array(z2, "z", shape=(500,))  # z is (n,)
assert set(np.unique(z)) <= {0, 1}, "labels are component indices 0 .. k-1"
assert _ag.array_equal(X, X2) and _ag.array_equal(z, z2), "the same rng seed must give the same sample"
"""),
    tests("test_sample_gmm_frequencies", 2, hidden(
        "Hidden test (2 points): the label frequencies match the weights (chi-square test), d = 1..3.",
        "_ag.check_sample_frequencies(sample_gmm, seeds=[401, 402, 407])")),
    tests("test_sample_gmm_moments", 2, hidden(
        "Hidden test (2 points): each component's points have its mean and covariance.",
        "_ag.check_sample_moments(sample_gmm, seeds=[411, 412, 413])")),
    tests("test_sample_gmm_reproducible", 1, hidden(
        "Hidden test (1 point): the same rng seed gives the same sample, another seed another one.",
        "_ag.check_sample_reproducible(sample_gmm, seeds=[421, 422])")),
    md("task4b", r"""
## Task 4b — sampling with fixed counts (5 points)

The second generative procedure: for each component $j$ draw exactly
$n_j = \mathrm{round}(n\,\pi_j)$ points from $\mathcal{N}(\boldsymbol\mu_j, \Sigma_j)$, rounding
half up ($\lfloor n\pi_j + 0.5 \rfloor$). Taken literally, the total $\sum_j n_j$ can differ
from $n$ (three weights of 1/3 and n = 10 give 3 + 3 + 3 = 9 points): return exactly those
$\sum_j n_j$ points.
"""),
    answer("sample_gmm_fixed_counts", r'''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    """Draw round(n * weights[j]) points from each component j of a Gaussian mixture.

    Parameters
    ----------
    weights, means, covs : as in sample_gmm
        Shapes (k,), (k, d), (k, d, d).
    n : int
        Nominal number of points, n >= 0.
    rng : numpy.random.Generator
        The only source of randomness (same seed, same output).

    Returns
    -------
    X : ndarray of float, shape (m, d)
        m = sum_j n_j points, where n_j = floor(n * weights[j] + 0.5) (round half up); m may
        differ from n.  The order of the points is up to you.
    z : ndarray of int, shape (m,)
        Component of each point: exactly n_j entries equal j.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    covs = np.asarray(covs, dtype=float)
    k, d = means.shape
    counts = np.floor(n * weights + 0.5).astype(int)
    z = np.repeat(np.arange(k), counts)
    X = np.empty((z.size, d))
    for j in range(k):
        L = np.linalg.cholesky(covs[j])
        X[z == j] = means[j] + rng.standard_normal((counts[j], d)) @ L.T
    return X, z
    ### END SOLUTION
'''),
    tests("test_sample_gmm_fixed_counts_visible", 1, r"""
# Quick sanity checks (1 point): the counts for n = 10 and weights (0.2, 0.3, 0.5).
w = np.array([0.2, 0.3, 0.5])
mu, S = np.array([[0.0], [3.0], [6.0]]), np.ones((3, 1, 1))
with _ag.own_work():
    X, z = sample_gmm_fixed_counts(w, mu, S, 10, np.random.default_rng(0))
X = _ag.plain_array(X, "X", shape=(10, 1))  # X is (m, d)
z = _ag.plain_array(z, "z", shape=(10,))  # z is (m,)
assert [np.sum(z == j) for j in range(3)] == [2, 3, 5], "component j contributes round(n * weights[j]) points"
"""),
    tests("test_sample_gmm_fixed_counts_counts", 2, hidden(
        "Hidden test (2 points): exactly round(n·π_k) points per component, for several n and weights.",
        "_ag.check_fixed_counts(sample_gmm_fixed_counts, seeds=[431, 432, 433, 434])")),
    tests("test_sample_gmm_fixed_counts_moments", 1, hidden(
        "Hidden test (1 point): each component's points have its mean and covariance.",
        "_ag.check_fixed_moments(sample_gmm_fixed_counts, seeds=[441, 443])")),
    tests("test_sample_gmm_fixed_counts_reproducible", 1, hidden(
        "Hidden test (1 point): the same rng seed gives the same sample, another seed another one.",
        "_ag.check_fixed_reproducible(sample_gmm_fixed_counts, seeds=[451, 452])")),
    md("task4c", r"""
## Task 4c — the mixture density (4 points)

$$p(\mathbf{x}) = \sum_{j=1}^{k} \pi_j\, \mathcal{N}(\mathbf{x} \mid \boldsymbol\mu_j, \Sigma_j)$$
"""),
    answer("gmm_pdf", r'''
def gmm_pdf(X, weights, means, covs):
    """Density of a Gaussian mixture at each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
        Points (shape (n, 1) when d = 1).
    weights, means, covs : as in sample_gmm
        Shapes (k,), (k, d), (k, d, d).

    Returns
    -------
    ndarray of float, shape (n,)
        ``p[i] = sum_j weights[j] * N(X[i] | means[j], covs[j])``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    p = np.zeros(X.shape[0])
    for w, m, c in zip(weights, means, covs):
        p += w * gaussian_pdf(X, m, c)
    return p
    ### END SOLUTION
'''),
    tests("test_gmm_pdf_visible", 1, r"""
# Quick sanity checks (1 point): two 1-D components centred at 0 with weights 1/4 and 3/4.
w, mu, S = np.array([0.25, 0.75]), np.array([[0.0], [0.0]]), np.array([[[1.0]], [[4.0]]])
with _ag.own_work():
    p = gmm_pdf(np.array([[0.0]]), w, mu, S)
p = _ag.plain_array(p, "gmm_pdf's result", shape=(1,))  # a plain float array of shape (n,)
assert _ag.allclose(p[0], (0.25 / 1.0 + 0.75 / 2.0) / np.sqrt(2 * np.pi)), "wrong mixture density"
"""),
    tests("test_gmm_pdf_reference", 2, hidden(
        "Hidden test (2 points): matches the reference mixture density on random instances, d = 1..3.",
        "_ag.check_gmm_pdf_matches_reference(gmm_pdf, seeds=[461, 462, 463])")),
    tests("test_gmm_pdf_1d", 1, hidden(
        "Hidden test (1 point): d = 1.",
        "_ag.check_gmm_pdf_one_dimensional(gmm_pdf, seeds=[471, 472])")),
]
