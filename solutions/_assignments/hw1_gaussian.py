"""hw1_gaussian: the Gaussian density, the log-likelihood and the MLE (tasks 1-3)."""

from ._cells import answer, hidden, md, setup, tests, written

CELLS = [
    md("intro", r"""
# Homework 1 — The Gaussian density and maximum likelihood

*Follows Chapter 1 (The Gaussian, `book/01_gaussian.md`) and Chapter 2 (Likelihood and maximum
likelihood, `book/02_mle.md`).*

**Due:** _DUE DATE_ · **Points:** 17 (13 autograded, 4 graded by hand)

| task | function | points |
| --- | --- | --- |
| 1 | `gaussian_pdf(X, mean, cov)` | 4 |
| 2 | `log_likelihood(X, mean, cov)` | 4 |
| 3 | `mle_gaussian(X)` | 5 |
| 4 | the 1-D MLE derivation (written) | 4 |

Rules:

* Write each function in its cell, keeping its name and arguments; you may add helper functions.
* Use NumPy (and, if you like, `scipy.special` and `scipy.linalg`). A function that calls
  `coursekit`, `scipy.stats` or scikit-learn scores zero for that task.
* Each function's docstring is its contract: any implementation that meets it gets full marks,
  loops or vectorised. The visible tests below each function are quick sanity checks; hidden tests
  compare your function with a reference on random instances (D = 1 included) and give most of
  the points.
* Before you submit: *Kernel → Restart & Run All*, and check that no cell raises an error.
"""),
    setup("setup", r"""
import numpy as np

from coursekit import autograde as _ag  # the graders' checks, used by the test cells
"""),
    md("task1", r"""
## Task 1 — the D-dimensional Gaussian density (4 points)

$$
\mathcal{N}(\mathbf{x} \mid \boldsymbol\mu, \Sigma) = (2\pi)^{-D/2}\, |\Sigma|^{-1/2}
\exp\!\Big(-\tfrac12 (\mathbf{x}-\boldsymbol\mu)^\top \Sigma^{-1} (\mathbf{x}-\boldsymbol\mu)\Big)
$$

Evaluate it at every row of `X`. Hint: solving a linear system (`np.linalg.solve`, or a Cholesky
factor and `scipy.linalg.solve_triangular`) is more accurate than forming $\Sigma^{-1}$.
"""),
    answer("gaussian_pdf", r'''
def gaussian_pdf(X, mean, cov):
    """Density of the Gaussian N(mean, cov) at each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (n, D)
        n points, one per row.  D = 1 is allowed: then X has shape (n, 1).
    mean : ndarray of float, shape (D,)
        The mean vector.
    cov : ndarray of float, shape (D, D)
        A symmetric positive definite covariance matrix (shape (1, 1) when D = 1, holding the
        variance).

    Returns
    -------
    ndarray of float, shape (n,)
        ``p[i] = N(X[i] | mean, cov)``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)                    # cov = L L^T
    y = np.linalg.solve(L, (X - mean).T)           # L^{-1} (x - mean), shape (D, n)
    maha = np.sum(y**2, axis=0)                    # (x - mean)^T cov^{-1} (x - mean)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))     # log |cov|
    return np.exp(-0.5 * (D * np.log(2 * np.pi) + log_det + maha))
    ### END SOLUTION
'''),
    tests("test_gaussian_pdf_visible", 1, r"""
# Quick sanity checks (1 point): the standard 2-D normal.
with _ag.own_work():
    p = gaussian_pdf(np.array([[0.0, 0.0], [1.0, 0.0]]), np.zeros(2), np.eye(2))
p = _ag.plain_array(p, "gaussian_pdf's result", shape=(2,))  # a plain float array of shape (n,)
assert _ag.allclose(p, [1 / (2 * np.pi), np.exp(-0.5) / (2 * np.pi)]), "wrong value for the standard normal"
"""),
    tests("test_gaussian_pdf_reference", 2, hidden(
        "Hidden test (2 points): matches the reference density on random instances, D = 2..5.",
        "_ag.check_pdf_matches_reference(gaussian_pdf, seeds=[101, 102, 103, 104])")),
    tests("test_gaussian_pdf_1d", 1, hidden(
        "Hidden test (1 point): D = 1 (X of shape (n, 1), mean (1,), cov (1, 1)).",
        "_ag.check_pdf_one_dimensional(gaussian_pdf, seeds=[111, 112])")),
    md("task2", r"""
## Task 2 — the log-likelihood of a data set (4 points)

For i.i.d. points, $\ell(\boldsymbol\mu, \Sigma) = \sum_{i=1}^N \log \mathcal{N}(\mathbf{x}_i
\mid \boldsymbol\mu, \Sigma)$. Far from the mean the density underflows to 0 in floating point,
while its logarithm is a perfectly ordinary number: compute $\log\mathcal{N}$ directly.
"""),
    answer("log_likelihood", r'''
def log_likelihood(X, mean, cov):
    """Log-likelihood of the data set X under N(mean, cov).

    Parameters
    ----------
    X : ndarray of float, shape (n, D)
        The data, one point per row (shape (n, 1) when D = 1).
    mean : ndarray of float, shape (D,)
    cov : ndarray of float, shape (D, D)
        Symmetric positive definite.

    Returns
    -------
    float
        ``sum_i log N(X[i] | mean, cov)`` (natural log, summed over the points, not averaged).
        It must be accurate (finite) even for points so far from the mean that their density
        underflows to 0: compute each log-density in log space, not as ``log(pdf)``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    n, D = X.shape
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return float(-0.5 * (n * D * np.log(2 * np.pi) + n * log_det + np.sum(y**2)))
    ### END SOLUTION
'''),
    tests("test_log_likelihood_visible", 1, r"""
# Quick sanity checks (1 point): two points under the standard 1-D normal.
with _ag.own_work():
    ll = log_likelihood(np.array([[0.0], [1.0]]), np.zeros(1), np.eye(1))
ll = _ag.plain_number(ll, "log_likelihood's result")  # a single real number
assert abs(ll - (-np.log(2 * np.pi) - 0.5)) < 1e-10, "wrong log-likelihood for the standard normal"
"""),
    tests("test_log_likelihood_reference", 2, hidden(
        "Hidden test (2 points): matches the reference on random instances, D = 1..5.",
        "_ag.check_loglik_matches_reference(log_likelihood, seeds=[201, 202, 203, 204])")),
    tests("test_log_likelihood_log_space", 1, hidden(
        "Hidden test (1 point): accurate for points far from the mean (log space).",
        "_ag.check_loglik_log_space(log_likelihood, seeds=[211, 212])")),
    md("task3", r"""
## Task 3 — maximum-likelihood estimates (5 points)

The MLE of the mean is the sample mean, and the MLE of the covariance is the **1/N** sample
covariance $\hat\Sigma = \frac1N \sum_i (\mathbf{x}_i-\bar{\mathbf{x}})(\mathbf{x}_i-\bar{\mathbf{x}})^\top$
(not the unbiased 1/(N−1) estimate that `np.cov` returns by default).
"""),
    answer("mle_gaussian", r'''
def mle_gaussian(X):
    """Maximum-likelihood estimates of the mean and covariance of a Gaussian.

    Parameters
    ----------
    X : ndarray of float, shape (n, D)
        The data, one point per row (shape (n, 1) when D = 1).

    Returns
    -------
    mean : ndarray of float, shape (D,)
        The sample mean.
    cov : ndarray of float, shape (D, D)
        The 1/N sample covariance (shape (1, 1) when D = 1).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    mean = X.mean(axis=0)
    centered = X - mean
    cov = centered.T @ centered / n
    return mean, cov
    ### END SOLUTION
'''),
    tests("test_mle_gaussian_visible", 1, r"""
# Quick sanity checks (1 point).
with _ag.own_work():
    m, c = mle_gaussian(np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0]]))
m = _ag.plain_array(m, "the mean returned by mle_gaussian", shape=(2,))
c = _ag.plain_array(c, "the covariance returned by mle_gaussian", shape=(2, 2))
assert _ag.allclose(m, [1.0, 1.0]), "the mean is the average of the rows"
assert _ag.allclose(c, c.T), "a covariance matrix is symmetric"
"""),
    tests("test_mle_gaussian_mean", 1, hidden(
        "Hidden test (1 point): the mean on random data sets.",
        "_ag.check_mle_mean(mle_gaussian, seeds=[301, 302, 303])")),
    tests("test_mle_gaussian_cov", 2, hidden(
        "Hidden test (2 points): the covariance on random data sets.",
        "_ag.check_mle_cov(mle_gaussian, seeds=[311, 312, 313])")),
    tests("test_mle_gaussian_1d", 1, hidden(
        "Hidden test (1 point): D = 1.",
        "_ag.check_mle_one_dimensional(mle_gaussian, seeds=[321, 322])")),
    md("task4", r"""
## Task 4 — derive the 1-D MLE (4 points, graded by hand)

Let $x_1, \dots, x_N$ be i.i.d. samples from $\mathcal{N}(\mu, \sigma^2)$. Write down the
log-likelihood $\ell(\mu, \sigma^2)$, set its partial derivatives to zero and solve for
$\hat\mu$ and $\hat\sigma^2$. Show each step, and say why the critical point is a maximum.
Write your answer in the cell below (Markdown with LaTeX math: `$...$`, `$$...$$`).
"""),
    written("mle_derivation", 4, r"""
### BEGIN SOLUTION
**Log-likelihood.**
$\ell(\mu, \sigma^2) = \sum_{i=1}^N \log \mathcal N(x_i \mid \mu, \sigma^2)
= -\frac N2 \log(2\pi) - \frac N2 \log \sigma^2 - \frac{1}{2\sigma^2} \sum_i (x_i - \mu)^2.$

**Mean.** $\partial \ell / \partial \mu = \frac{1}{\sigma^2} \sum_i (x_i - \mu) = 0$ gives
$\hat\mu = \frac1N \sum_i x_i = \bar x$ (whatever $\sigma^2$ is).

**Variance.** With $v = \sigma^2$:
$\partial \ell / \partial v = -\frac{N}{2v} + \frac{1}{2v^2} \sum_i (x_i - \hat\mu)^2 = 0$ gives
$\hat\sigma^2 = \frac1N \sum_i (x_i - \bar x)^2$ — divided by $N$, not $N-1$.

**Maximum.** $\ell$ is a concave quadratic in $\mu$ ($\partial^2\ell/\partial\mu^2 = -N/\sigma^2 < 0$);
for fixed $\hat\mu$, $\ell$ as a function of $v$ increases on $(0, \hat\sigma^2)$ and decreases
after it, and $\ell \to -\infty$ as $v \to 0^+$ or $v \to \infty$, so the unique critical point is the
global maximum (assuming the $x_i$ are not all equal, so that $\hat\sigma^2 > 0$).

*Marking: log-likelihood written correctly (1), derivative in μ and $\hat\mu$ (1), derivative in
σ² and $\hat\sigma^2$ with 1/N (1), argument that it is a maximum (1).*
### END SOLUTION
"""),
]
