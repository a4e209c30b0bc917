"""hw1_gaussian: the Gaussian density, the log-likelihood and the MLE (tasks 1, 2, 3a, 3b)."""

from ._cells import (answer, hidden, md, rules, setup_cell, signature, summary_cells, task_heading, task_table,
                     visible_test, written)

AID = "hw1_gaussian"

GAUSSIAN_PDF = r'''
def gaussian_pdf(X, mean, cov):
    """Density of the Gaussian N(mean, cov) at each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        N points, one per row.  D = 1 is allowed: then X has shape (N, 1).
    mean : ndarray of float, shape (D,)
        The mean vector.
    cov : ndarray of float, shape (D, D)
        A symmetric positive definite covariance matrix (shape (1, 1) when D = 1, holding the
        variance).

    Returns
    -------
    ndarray of float, shape (N,)
        ``p[n] = N(X[n] | mean, cov)``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)                    # cov = L L^T
    y = np.linalg.solve(L, (X - mean).T)           # L^{-1} (x - mean), shape (D, N)
    maha = np.sum(y**2, axis=0)                    # (x - mean)^T cov^{-1} (x - mean)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))     # log |cov|
    return np.exp(-0.5 * (D * np.log(2 * np.pi) + log_det + maha))
    ### END SOLUTION
    raise NotImplementedError("Task 1: write gaussian_pdf here (replace this line with your code)")
'''

LOG_LIKELIHOOD = r'''
def log_likelihood(X, mean, cov):
    """Log-likelihood of the data set X under N(mean, cov).

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        The data, one point per row (shape (N, 1) when D = 1).
    mean : ndarray of float, shape (D,)
    cov : ndarray of float, shape (D, D)
        Symmetric positive definite.

    Returns
    -------
    float
        ``sum_n log N(X[n] | mean, cov)`` (natural log, summed over the N points, not averaged).
        It must be accurate (finite) even for points so far from the mean that their density
        underflows to 0: compute each log-density in log space, not as ``log(pdf)``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    N, D = X.shape
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return float(-0.5 * (N * D * np.log(2 * np.pi) + N * log_det + np.sum(y**2)))
    ### END SOLUTION
    raise NotImplementedError("Task 2: write log_likelihood here (replace this line with your code)")
'''

MLE_GAUSSIAN = r'''
def mle_gaussian(X):
    """Maximum-likelihood estimates of the mean and covariance of a Gaussian.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        The data, one point per row (shape (N, 1) when D = 1).

    Returns
    -------
    mean : ndarray of float, shape (D,)
        The sample mean.
    cov : ndarray of float, shape (D, D)
        The 1/N sample covariance (shape (1, 1) when D = 1).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    N = X.shape[0]
    mean = X.mean(axis=0)
    centered = X - mean
    cov = centered.T @ centered / N
    return mean, cov
    ### END SOLUTION
    raise NotImplementedError("Task 3a: write mle_gaussian here (replace this line with your code)")
'''

SIGNATURES = {"gaussian_pdf": signature(GAUSSIAN_PDF), "log_likelihood": signature(LOG_LIKELIHOOD),
              "mle_gaussian": signature(MLE_GAUSSIAN)}

CELLS = [
    md("intro", rf"""
# Homework 1: the Gaussian density and maximum likelihood

*Follows Chapter 1 (The Gaussian, `book/01_gaussian.md`) and Chapter 2 (Likelihood and maximum
likelihood, `book/02_mle.md`). Tasks are numbered once for the whole course: this homework holds
tasks 1 to 3, Homework 2 starts at task 4.*

**Due:** _DUE DATE_ · **Points:** 17 (13 autograded, 4 graded by hand)

{task_table(AID, SIGNATURES)}

Notation: $N$ points in $D$ dimensions, $X$ of shape $(N, D)$, one point per row.

{rules()}"""),
    setup_cell(AID),
    task_heading(AID, "1", r"""
$$
\mathcal{N}(\mathbf{x} \mid \boldsymbol\mu, \Sigma) = (2\pi)^{-D/2}\, |\Sigma|^{-1/2}
\exp\!\Big(-\tfrac12 (\mathbf{x}-\boldsymbol\mu)^\top \Sigma^{-1} (\mathbf{x}-\boldsymbol\mu)\Big)
$$

Evaluate it at every row of `X`. Hint: solving a linear system (`np.linalg.solve`, or a Cholesky
factor and `scipy.linalg.solve_triangular`) is more accurate than forming $\Sigma^{-1}$.
"""),
    answer("gaussian_pdf", GAUSSIAN_PDF),
    visible_test(AID, "gaussian_pdf"),
    hidden(AID, "test_gaussian_pdf_reference", 2, "matches the reference density on random instances, D = 2..5.",
           "_checks.check_pdf_matches_reference(gaussian_pdf, seeds=[101, 102, 103, 104])"),
    hidden(AID, "test_gaussian_pdf_1d", 1, "D = 1 (X of shape (N, 1), mean (1,), cov (1, 1)).",
           "_checks.check_pdf_one_dimensional(gaussian_pdf, seeds=[111, 112])"),
    task_heading(AID, "2", r"""
For i.i.d. points, $\ell(\boldsymbol\mu, \Sigma) = \sum_{n=1}^N \log \mathcal{N}(\mathbf{x}_n
\mid \boldsymbol\mu, \Sigma)$: a **sum** over the points (the course's convention). Far from the
mean the density underflows to 0 in floating point, while its logarithm is a perfectly ordinary
number: compute $\log\mathcal{N}$ directly,
$\log\mathcal{N}(\mathbf{x} \mid \boldsymbol\mu, \Sigma) = -\tfrac12\big(D\log 2\pi + \log|\Sigma|
+ (\mathbf{x}-\boldsymbol\mu)^\top \Sigma^{-1} (\mathbf{x}-\boldsymbol\mu)\big)$.
"""),
    answer("log_likelihood", LOG_LIKELIHOOD),
    visible_test(AID, "log_likelihood"),
    hidden(AID, "test_log_likelihood_reference", 2, "matches the reference on random instances, D = 1..5.",
           "_checks.check_loglik_matches_reference(log_likelihood, seeds=[201, 202, 203, 204])"),
    hidden(AID, "test_log_likelihood_log_space", 1, "accurate for points far from the mean (log space).",
           "_checks.check_loglik_log_space(log_likelihood, seeds=[211, 212])"),
    task_heading(AID, "3a", r"""
The MLE of the mean is the sample mean, and the MLE of the covariance is the **1/N** sample
covariance $\hat\Sigma = \frac1N \sum_n (\mathbf{x}_n-\bar{\mathbf{x}})(\mathbf{x}_n-\bar{\mathbf{x}})^\top$
(not the unbiased 1/(N−1) estimate that `np.cov` returns by default).
"""),
    answer("mle_gaussian", MLE_GAUSSIAN),
    visible_test(AID, "mle_gaussian"),
    hidden(AID, "test_mle_gaussian_mean", 1, "the mean on random data sets.",
           "_checks.check_mle_mean(mle_gaussian, seeds=[301, 302, 303])"),
    hidden(AID, "test_mle_gaussian_cov", 2, "the covariance on random data sets.",
           "_checks.check_mle_cov(mle_gaussian, seeds=[311, 312, 313])"),
    hidden(AID, "test_mle_gaussian_1d", 1, "D = 1.",
           "_checks.check_mle_one_dimensional(mle_gaussian, seeds=[321, 322])"),
    task_heading(AID, "3b", r"""
Let $x_1, \dots, x_N$ be i.i.d. samples from $\mathcal{N}(\mu, \sigma^2)$. Write down the
log-likelihood $\ell(\mu, \sigma^2)$, set its partial derivatives to zero and solve for
$\hat\mu$ and $\hat\sigma^2$. Show each step, and say why the critical point is a maximum.
Write your answer in the cell below (Markdown with LaTeX math: `$...$`, `$$...$$`).
"""),
    written("mle_derivation", 4, r"""
### BEGIN SOLUTION
**Log-likelihood.**
$\ell(\mu, \sigma^2) = \sum_{n=1}^N \log \mathcal N(x_n \mid \mu, \sigma^2)
= -\frac N2 \log(2\pi) - \frac N2 \log \sigma^2 - \frac{1}{2\sigma^2} \sum_n (x_n - \mu)^2.$

**Mean.** $\partial \ell / \partial \mu = \frac{1}{\sigma^2} \sum_n (x_n - \mu) = 0$ gives
$\hat\mu = \frac1N \sum_n x_n = \bar x$ (whatever $\sigma^2$ is).

**Variance.** With $v = \sigma^2$:
$\partial \ell / \partial v = -\frac{N}{2v} + \frac{1}{2v^2} \sum_n (x_n - \hat\mu)^2 = 0$ gives
$\hat\sigma^2 = \frac1N \sum_n (x_n - \bar x)^2$ — divided by $N$, not $N-1$.

**Maximum.** $\ell$ is a concave quadratic in $\mu$ ($\partial^2\ell/\partial\mu^2 = -N/\sigma^2 < 0$);
for fixed $\hat\mu$, $\ell$ as a function of $v$ increases on $(0, \hat\sigma^2)$ and decreases
after it, and $\ell \to -\infty$ as $v \to 0^+$ or $v \to \infty$, so the unique critical point is the
global maximum (assuming the $x_n$ are not all equal, so that $\hat\sigma^2 > 0$).

*Marking: log-likelihood written correctly (1), derivative in μ and $\hat\mu$ (1), derivative in
σ² and $\hat\sigma^2$ with 1/N (1), argument that it is a maximum (1).*
### END SOLUTION
"""),
    *summary_cells(AID),
]
