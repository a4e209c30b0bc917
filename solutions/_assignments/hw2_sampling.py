"""hw2_sampling: sampling from a Gaussian mixture, both ways, and its density (tasks 4a-4c)."""

from ._cells import answer, hidden, md, rules, setup_cell, signature, summary_cells, task_heading, task_table, visible_test

AID = "hw2_sampling"

HELPER = r'''
# Helpers (not graded).
def gaussian_pdf(X, mean, cov):
    """Density of N(mean, cov) at each row of X: X (N, D), mean (D,), cov (D, D) -> (N,)."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return np.exp(-0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(y**2, axis=0)))
    ### END SOLUTION
    raise NotImplementedError("helper gaussian_pdf: paste your Task 1 density here (Task 4c uses it)")
'''

SAMPLE_GMM = r'''
def sample_gmm(weights, means, covs, n, rng):
    """Draw n points from a Gaussian mixture, choosing each point's component at random.

    Parameters
    ----------
    weights : ndarray of float, shape (K,)
        Mixing weights pi_k >= 0, summing to 1.
    means : ndarray of float, shape (K, D)
        Component means (shape (K, 1) when D = 1).
    covs : ndarray of float, shape (K, D, D)
        Component covariances, symmetric positive definite (shape (K, 1, 1) when D = 1).
    n : int
        N, the number of points, N >= 0.
    rng : numpy.random.Generator
        The only source of randomness: the same seed must give the same (X, z), and another
        seed another sample (so no np.random.* functions, and no Generator with a fixed seed).

    Returns
    -------
    X : ndarray of float, shape (N, D)
        The points.
    z : ndarray of int, shape (N,)
        z[i] in 0 .. K-1 is the component X[i] was drawn from; P(z[i] = k) = weights[k],
        independently for each point.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    covs = np.asarray(covs, dtype=float)
    K, D = means.shape
    cumulative = np.cumsum(weights)
    u = rng.random(n)
    # The first component whose cumulative weight exceeds u (the clip guards rounding of the sum).
    z = np.minimum(np.searchsorted(cumulative, u, side="right"), K - 1)
    eps = rng.standard_normal((n, D))
    X = np.empty((n, D))
    for k in range(K):
        mask = z == k
        L = np.linalg.cholesky(covs[k])
        X[mask] = means[k] + eps[mask] @ L.T
    return X, z
    ### END SOLUTION
    raise NotImplementedError("Task 4a: write sample_gmm here (replace this line with your code)")
'''

FIXED_COUNTS = r'''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    """Draw floor(n * weights[k] + 0.5) points from each component k of a Gaussian mixture.

    Parameters
    ----------
    weights, means, covs : as in sample_gmm
        Shapes (K,), (K, D), (K, D, D).
    n : int
        N, the nominal number of points, N >= 0.
    rng : numpy.random.Generator
        The only source of randomness, as in sample_gmm (same seed, same output; another seed,
        another sample).

    Returns
    -------
    X : ndarray of float, shape (M, D)
        M = sum_k n_k points, where n_k = floor(n * weights[k] + 0.5): n * weights[k] rounded to
        the nearest integer, halves rounded up (2.5 gives 3; note that np.round(2.5) is 2).
        M may differ from N.  The order of the points is up to you.
    z : ndarray of int, shape (M,)
        Component of each point: exactly n_k entries equal k.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    covs = np.asarray(covs, dtype=float)
    K, D = means.shape
    counts = np.floor(n * weights + 0.5).astype(int)
    z = np.repeat(np.arange(K), counts)
    X = np.empty((z.size, D))
    for k in range(K):
        L = np.linalg.cholesky(covs[k])
        X[z == k] = means[k] + rng.standard_normal((counts[k], D)) @ L.T
    return X, z
    ### END SOLUTION
    raise NotImplementedError("Task 4b: write sample_gmm_fixed_counts here (replace this line with your code)")
'''

GMM_PDF = r'''
def gmm_pdf(X, weights, means, covs):
    """Density of a Gaussian mixture at each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        Points (shape (N, 1) when D = 1).
    weights, means, covs : as in sample_gmm
        Shapes (K,), (K, D), (K, D, D).

    Returns
    -------
    ndarray of float, shape (N,)
        ``p[n] = sum_k weights[k] * N(X[n] | means[k], covs[k])``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    p = np.zeros(X.shape[0])
    for w, m, c in zip(weights, means, covs):
        p += w * gaussian_pdf(X, m, c)
    return p
    ### END SOLUTION
    raise NotImplementedError("Task 4c: write gmm_pdf here (replace this line with your code)")
'''

SIGNATURES = {"sample_gmm": signature(SAMPLE_GMM), "sample_gmm_fixed_counts": signature(FIXED_COUNTS),
              "gmm_pdf": signature(GMM_PDF)}

CELLS = [
    md("intro", rf"""
# Homework 2: sampling from a mixture of Gaussians

*Follows Chapter 4 (Mixtures of Gaussians and sampling from them, `book/04_mixtures.md`); uses
your Gaussian density from Homework 1 (task 1).*

**Due:** _DUE DATE_ · **Points:** 15 (all autograded)

{task_table(AID, SIGNATURES)}

Notation: a mixture of $K$ components in $D$ dimensions; shapes are always full: `weights`
$(K,)$, `means` $(K, D)$, `covs` $(K, D, D)$, also when $D = 1$.

{rules(extra='''* Samples are graded statistically (label frequencies, the mean and covariance of each
  component's points, the exact counts of task 4b, and reproducibility: the same `rng` seed must
  give the same sample), never by comparing your draws with someone else's: the order in which you
  draw random numbers is up to you.
''')}"""),
    setup_cell(AID),
    md("helpers_intro", r"""
## Your density from Homework 1

Paste your `gaussian_pdf` from Homework 1 (task 1) into the function below. It is not graded
again here: when `gmm_pdf` is tested, a correct `gaussian_pdf` stands in for yours, so a mistake
in Homework 1 does not cost points twice. Add any other helpers you like to this cell.
"""),
    answer("helpers", HELPER),
    task_heading(AID, "4a", r"""
For each of the $N$ points: draw its component $z_i \in \{0, \dots, K-1\}$ with
$P(z_i = k) = \pi_k$ (compare a uniform random number with the cumulative weights), then draw
$\mathbf{x}_i \sim \mathcal{N}(\boldsymbol\mu_{z_i}, \Sigma_{z_i})$. To draw from
$\mathcal{N}(\boldsymbol\mu, \Sigma)$: $\boldsymbol\mu + L\boldsymbol\varepsilon$ with $L$ the
Cholesky factor of $\Sigma$ ($LL^\top = \Sigma$) and $\boldsymbol\varepsilon$ standard normal (or
`rng.multivariate_normal`).
"""),
    answer("sample_gmm", SAMPLE_GMM),
    visible_test(AID, "sample_gmm"),
    hidden(AID, "test_sample_gmm_frequencies", 2,
           "the label frequencies match the weights (chi-square test), D = 1..3; N = 0 gives empty arrays.",
           "_checks.check_sample_frequencies(sample_gmm, seeds=[401, 402, 407])"),
    hidden(AID, "test_sample_gmm_moments", 2, "each component's points have its mean and covariance.",
           "_checks.check_sample_moments(sample_gmm, seeds=[411, 412, 413])"),
    hidden(AID, "test_sample_gmm_reproducible", 1,
           "the same rng seed gives the same sample, another seed another one.",
           "_checks.check_sample_reproducible(sample_gmm, seeds=[421, 422])"),
    task_heading(AID, "4b", r"""
The second generative procedure: for each component $k$ draw exactly
$n_k = \mathrm{round}(N\,\pi_k)$ points from $\mathcal{N}(\boldsymbol\mu_k, \Sigma_k)$, rounding
halves up: $n_k = \lfloor N\pi_k + 0.5 \rfloor$ (careful: `np.round` and `round` send 2.5 to 2).
Taken literally, the total $\sum_k n_k$ can differ from $N$ (three weights of 1/3 and $N = 10$
give 3 + 3 + 3 = 9 points; weights 1/4 and 3/4 give 3 + 8 = 11): return exactly those
$\sum_k n_k$ points.
"""),
    answer("sample_gmm_fixed_counts", FIXED_COUNTS),
    visible_test(AID, "sample_gmm_fixed_counts"),
    hidden(AID, "test_sample_gmm_fixed_counts_counts", 2,
           "exactly floor(N·π_k + 0.5) points per component, for several N (0 included) and weights (halves "
           "included).",
           "_checks.check_fixed_counts(sample_gmm_fixed_counts, seeds=[431, 432, 433, 434])"),
    hidden(AID, "test_sample_gmm_fixed_counts_moments", 1, "each component's points have its mean and covariance.",
           "_checks.check_fixed_moments(sample_gmm_fixed_counts, seeds=[441, 443])"),
    hidden(AID, "test_sample_gmm_fixed_counts_reproducible", 1,
           "the same rng seed gives the same sample, another seed another one.",
           "_checks.check_fixed_reproducible(sample_gmm_fixed_counts, seeds=[451, 452])"),
    task_heading(AID, "4c", r"""
$$p(\mathbf{x}) = \sum_{k=1}^{K} \pi_k\, \mathcal{N}(\mathbf{x} \mid \boldsymbol\mu_k, \Sigma_k)$$
"""),
    answer("gmm_pdf", GMM_PDF),
    visible_test(AID, "gmm_pdf"),
    hidden(AID, "test_gmm_pdf_reference", 2, "matches the reference mixture density on random instances, D = 1..3.",
           "_checks.check_gmm_pdf_matches_reference(gmm_pdf, seeds=[461, 462, 463])"),
    hidden(AID, "test_gmm_pdf_1d", 1, "D = 1.", "_checks.check_gmm_pdf_one_dimensional(gmm_pdf, seeds=[471, 472])"),
    *summary_cells(AID),
]
