"""hw4_em: the Gaussian Bayes classifier, then EM for a Gaussian mixture."""

from ._cells import answer, hidden, md, setup, tests

CELLS = [
    md("intro", r"""
# Homework 4 — The Gaussian Bayes classifier and EM

*Follows Chapter 6 (The Gaussian Bayes classifier, `book/06_bayes_classifier.md`) and Chapter 7
(The Gaussian mixture model and EM, `book/07_gmm_em.md`); uses your log-density from Homework 1.*

**Due:** _DUE DATE_ · **Points:** 23 (all autograded)

| task | function | points |
| --- | --- | --- |
| 6a | `fit_gaussian_bayes(X, y)` — one Gaussian per class | 4 |
| 6b | `predict_gaussian_bayes(X, classes, priors, means, covs)` — Bayes' rule | 5 |
| 7a | `e_step(X, weights, means, covs)` — responsibilities | 5 |
| 7b | `m_step(X, resp)` — weighted maximum likelihood | 4 |
| 7c | `em_gmm(X, init_weights, init_means, init_covs, max_iter, tol)` — EM | 5 |

Rules:

* Write each function in its cell, keeping its name and arguments; you may add helper functions.
* Use NumPy and, if you like, `scipy.special` (e.g. `logsumexp`) and `scipy.linalg`. A function
  that calls `coursekit`, `scipy.stats` or scikit-learn scores zero for that task.
* Each docstring is the function's contract: any implementation that meets it gets full marks.
  Shapes are always full: `weights` (k,), `means` (k, d), `covs` (k, d, d), also when d = 1.
* The tasks build on each other (`em_gmm` should call your `e_step` and `m_step`). Each is graded
  on its own: while `em_gmm` is graded, correct versions of `e_step`, `m_step` and the helper
  `gaussian_logpdf` stand in for yours, so one mistake does not cost you twice.
* Before you submit: *Kernel → Restart & Run All*, and check that no cell raises an error.
"""),
    setup("setup", r"""
import numpy as np
from scipy.special import logsumexp

from coursekit import autograde as _ag  # the graders' checks, used by the test cells
"""),
    md("helpers_intro", r"""
## A log-density helper

Write (or adapt from Homework 1) `gaussian_logpdf`: the **logarithm** of the Gaussian density,
computed directly in log space (it stays finite where the density underflows to 0). It is not
graded by itself; tasks 6b, 7a and 7c need it.
"""),
    answer("helpers", r'''
# Helpers (not graded).
def gaussian_logpdf(X, mean, cov):
    """log N(X[i] | mean, cov) for each row of X: X (n, D), mean (D,), cov (D, D) -> (n,)."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return -0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(y**2, axis=0))
    ### END SOLUTION
'''),
    md("task6a", r"""
## Task 6a — fitting the Gaussian Bayes classifier (4 points)

With labels $y_i$, fitting is maximum likelihood for each class separately: the prior
$P(y = c)$ is the fraction of points in class $c$, and $(\boldsymbol\mu_c, \Sigma_c)$ are the
MLE (1/N_c) of the points of class $c$.
"""),
    answer("fit_gaussian_bayes", r'''
def fit_gaussian_bayes(X, y):
    """Fit one full-covariance Gaussian per class, and the class priors.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
        Points (shape (n, 1) when d = 1).
    y : ndarray of int, shape (n,)
        Class label of each point (any integers; every class has more than d points).

    Returns
    -------
    classes : ndarray, shape (c,)
        The distinct labels in increasing order (as np.unique(y) returns them).
    priors : ndarray of float, shape (c,)
        priors[j] = fraction of the points whose label is classes[j].
    means : ndarray of float, shape (c, d)
        means[j] = mean of the points of class classes[j].
    covs : ndarray of float, shape (c, d, d)
        covs[j] = their 1/N_j (maximum-likelihood) covariance.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    classes = np.unique(y)
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.stack([X[y == c].mean(axis=0) for c in classes])
    covs = []
    for c, m in zip(classes, means):
        diff = X[y == c] - m
        covs.append(diff.T @ diff / diff.shape[0])
    return classes, priors, means, np.stack(covs)
    ### END SOLUTION
'''),
    tests("test_fit_gaussian_bayes_visible", 1, r"""
# Quick sanity checks (1 point).
X = np.array([[0.0], [2.0], [10.0], [11.0], [12.0]])
y = np.array([7, 7, 3, 3, 3])
with _ag.own_work():
    classes, priors, means, covs = fit_gaussian_bayes(X, y)
classes = _ag.plain_array(classes, "classes", shape=(2,))
priors = _ag.plain_array(priors, "priors", shape=(2,))
means, covs = _ag.plain_array(means, "means", shape=(2, 1)), _ag.plain_array(covs, "covs", shape=(2, 1, 1))
assert _ag.array_equal(classes, [3, 7]), "classes are the sorted distinct labels"
assert _ag.allclose(priors, [0.6, 0.4]), "the priors are the class frequencies"
assert _ag.allclose(means, [[11.0], [1.0]]), "the mean of each class"
assert _ag.allclose(covs[:, 0, 0], [2 / 3, 1.0]), "each class's 1/N covariance"
"""),
    tests("test_fit_gaussian_bayes_priors_means", 1, hidden(
        "Hidden test (1 point): classes, priors and means on random labelled data, d = 1..3.",
        "_ag.check_bayes_fit_priors_means(fit_gaussian_bayes, seeds=[601, 602, 603])")),
    tests("test_fit_gaussian_bayes_covs", 2, hidden(
        "Hidden test (2 points): the per-class covariances.",
        "_ag.check_bayes_fit_covs(fit_gaussian_bayes, seeds=[611, 612, 618])")),
    md("task6b", r"""
## Task 6b — classifying with Bayes' rule (5 points)

$P(y = c \mid \mathbf{x}) \propto P(y = c)\, \mathcal{N}(\mathbf{x} \mid \boldsymbol\mu_c, \Sigma_c)$:
predict the class with the largest posterior. Compare logarithms, so that points far from every
class (where all densities underflow to 0) are classified correctly too.
"""),
    answer("predict_gaussian_bayes", r'''
def predict_gaussian_bayes(X, classes, priors, means, covs):
    """The class with the largest posterior probability, for each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
    classes : ndarray, shape (c,)
    priors : ndarray of float, shape (c,)
        Positive, summing to 1.
    means : ndarray of float, shape (c, d)
    covs : ndarray of float, shape (c, d, d)
        As returned by fit_gaussian_bayes.

    Returns
    -------
    ndarray, shape (n,)
        labels[i] = classes[j] for the j maximising log priors[j] + log N(X[i] | means[j], covs[j])
        (the class labels themselves, not the indices j).  Must be right even for points so far
        from every class that all their densities underflow to 0.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    log_post = np.stack([np.log(p) + gaussian_logpdf(X, m, c) for p, m, c in zip(priors, means, covs)], axis=1)
    return np.asarray(classes)[np.argmax(log_post, axis=1)]
    ### END SOLUTION
'''),
    tests("test_predict_gaussian_bayes_visible", 1, r"""
# Quick sanity checks (1 point): two 1-D classes.
classes, priors = np.array([3, 7]), np.array([0.5, 0.5])
means, covs = np.array([[0.0], [10.0]]), np.ones((2, 1, 1))
with _ag.own_work():
    labels = predict_gaussian_bayes(np.array([[1.0], [9.0], [4.0]]), classes, priors, means, covs)
labels = _ag.plain_array(labels, "the labels", shape=(3,))  # one label per point
assert _ag.array_equal(labels, [3, 7, 3]), "each point gets the label of the class with the largest posterior"
"""),
    tests("test_predict_gaussian_bayes_reference", 2, hidden(
        "Hidden test (2 points): the same predictions as the reference on random problems, d = 1..3.",
        "_ag.check_bayes_predict_matches(predict_gaussian_bayes, seeds=[621, 622, 623])")),
    tests("test_predict_gaussian_bayes_priors", 1, hidden(
        "Hidden test (1 point): very unequal priors.",
        "_ag.check_bayes_predict_priors(predict_gaussian_bayes, seeds=[631, 632])")),
    tests("test_predict_gaussian_bayes_log_space", 1, hidden(
        "Hidden test (1 point): points far from every class.",
        "_ag.check_bayes_predict_log_space(predict_gaussian_bayes, seeds=[641, 642])")),
    md("task7a", r"""
## Task 7a — the E-step (5 points)

The responsibility of component $k$ for point $i$ is
$r_{ik} = \pi_k \mathcal{N}(\mathbf{x}_i \mid \boldsymbol\mu_k, \Sigma_k) / \sum_j \pi_j
\mathcal{N}(\mathbf{x}_i \mid \boldsymbol\mu_j, \Sigma_j)$. Far from every component the
numerator and the denominator both underflow to 0; normalise in log space
(`scipy.special.logsumexp`).
"""),
    answer("e_step", r'''
def e_step(X, weights, means, covs):
    """Responsibilities of the mixture's components for each point.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
    weights : ndarray of float, shape (k,)
        Positive, summing to 1.
    means : ndarray of float, shape (k, d)
    covs : ndarray of float, shape (k, d, d)

    Returns
    -------
    resp : ndarray of float, shape (n, k)
        resp[i, j] = P(z_i = j | X[i]); every row sums to 1.  Must be finite and accurate
        even for points far from every component.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    log_r = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
    return np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True))
    ### END SOLUTION
'''),
    tests("test_e_step_visible", 1, r"""
# Quick sanity checks (1 point): two equal 1-D components at -1 and 1.
w, mu, S = np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1, 1))
with _ag.own_work():
    r = e_step(np.array([[0.0], [-1.0]]), w, mu, S)
r = _ag.plain_array(r, "the responsibilities", shape=(2, 2))  # an (n, k) array
assert _ag.allclose(r[0], [0.5, 0.5]), "a point halfway between two equal components is shared equally"
assert _ag.allclose(r.sum(axis=1), 1.0), "each row sums to 1"
"""),
    tests("test_e_step_reference", 2, hidden(
        "Hidden test (2 points): matches the reference responsibilities on random mixtures, d = 1..3.",
        "_ag.check_e_step_matches(e_step, seeds=[701, 702, 703])")),
    tests("test_e_step_normalised", 1, hidden(
        "Hidden test (1 point): rows sum to 1, entries are probabilities.",
        "_ag.check_e_step_normalised(e_step, seeds=[711, 712])")),
    tests("test_e_step_log_space", 1, hidden(
        "Hidden test (1 point): points far from every component.",
        "_ag.check_e_step_log_space(e_step, seeds=[721, 722])")),
    md("task7b", r"""
## Task 7b — the M-step (4 points)

With $N_k = \sum_i r_{ik}$: $\pi_k = N_k / n$, $\boldsymbol\mu_k = \frac{1}{N_k}\sum_i r_{ik}
\mathbf{x}_i$, $\Sigma_k = \frac{1}{N_k}\sum_i r_{ik} (\mathbf{x}_i - \boldsymbol\mu_k)
(\mathbf{x}_i - \boldsymbol\mu_k)^\top$ (no regularisation term).
"""),
    answer("m_step", r'''
def m_step(X, resp):
    """Weighted maximum-likelihood parameters given responsibilities.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
    resp : ndarray of float, shape (n, k)
        Non-negative, rows summing to 1; every column has a positive sum N_k.

    Returns
    -------
    weights : ndarray of float, shape (k,)
        N_k / n, where N_k = sum_i resp[i, k].
    means : ndarray of float, shape (k, d)
        sum_i resp[i, k] X[i] / N_k.
    covs : ndarray of float, shape (k, d, d)
        sum_i resp[i, k] (X[i] - means[k])(X[i] - means[k])^T / N_k, around the new means,
        with nothing added to the diagonal.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    n, d = X.shape
    Nk = resp.sum(axis=0)
    weights = Nk / n
    means = (resp.T @ X) / Nk[:, None]
    covs = np.empty((resp.shape[1], d, d))
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covs[k] = (resp[:, k, None] * diff).T @ diff / Nk[k]
    return weights, means, covs
    ### END SOLUTION
'''),
    tests("test_m_step_visible", 1, r"""
# Quick sanity checks (1 point): hard (0/1) responsibilities give each group's MLE.
X = np.array([[0.0], [2.0], [10.0], [14.0]])
resp = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
with _ag.own_work():
    w, m, c = m_step(X, resp)
w, m = _ag.plain_array(w, "the weights", shape=(2,)), _ag.plain_array(m, "the means", shape=(2, 1))
c = _ag.plain_array(c, "the covariances", shape=(2, 1, 1))  # (k, d, d)
assert _ag.allclose(w, [0.5, 0.5]) and _ag.allclose(m, [[1.0], [12.0]]), "weights N_k / n, weighted means"
assert _ag.allclose(c[:, 0, 0], [1.0, 4.0]), "covariances (k, d, d), divided by N_k"
"""),
    tests("test_m_step_weights_means", 1, hidden(
        "Hidden test (1 point): weights and means from random soft responsibilities, d = 1..3.",
        "_ag.check_m_step_weights_means(m_step, seeds=[731, 732, 733])")),
    tests("test_m_step_covs", 2, hidden(
        "Hidden test (2 points): the covariances.",
        "_ag.check_m_step_covs(m_step, seeds=[741, 742, 747])")),
    md("task7c", r"""
## Task 7c — EM (5 points)

Alternate E- and M-steps from the given initial parameters. Track the **mean per-point
log-likelihood** $\frac1n\sum_i \log \sum_k \pi_k \mathcal{N}(\mathbf{x}_i \mid
\boldsymbol\mu_k, \Sigma_k)$ (use `gaussian_logpdf` and `logsumexp`): EM never decreases it, and
it tells you when to stop.
"""),
    answer("em_gmm", r'''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    """Fit a Gaussian mixture with EM from given initial parameters.

    One iteration is an E-step (e_step) followed by an M-step (m_step).

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
    init_weights : ndarray of float, shape (k,)
    init_means : ndarray of float, shape (k, d)
    init_covs : ndarray of float, shape (k, d, d)
        Initial parameters (do not modify these arrays).
    max_iter : int
        Maximum number of iterations, >= 1.
    tol : float
        Stop after the first iteration t that improves the log-likelihood by less than tol:
        log_likelihoods[t] - log_likelihoods[t - 1] < tol.

    Returns
    -------
    weights : ndarray of float, shape (k,)
    means : ndarray of float, shape (k, d)
    covs : ndarray of float, shape (k, d, d)
        The parameters after the last iteration.
    log_likelihoods : list of float
        Length (number of iterations run) + 1: log_likelihoods[0] is the mean per-point
        log-likelihood (1/n) sum_i log p(X[i]) of the initial parameters, and
        log_likelihoods[t] that of the parameters after iteration t.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    weights = np.array(init_weights, dtype=float)
    means = np.array(init_means, dtype=float)
    covs = np.array(init_covs, dtype=float)

    def mean_log_likelihood(weights, means, covs):
        log_p = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
        return float(np.mean(logsumexp(log_p, axis=1)))

    log_likelihoods = [mean_log_likelihood(weights, means, covs)]
    for _ in range(max_iter):
        resp = e_step(X, weights, means, covs)
        weights, means, covs = m_step(X, resp)
        log_likelihoods.append(mean_log_likelihood(weights, means, covs))
        if log_likelihoods[-1] - log_likelihoods[-2] < tol:
            break
    return weights, means, covs, log_likelihoods
    ### END SOLUTION
'''),
    tests("test_em_gmm_visible", 1, r"""
# Quick sanity checks (1 point): two well-separated 1-D groups.
rng = np.random.default_rng(0)
X = np.concatenate([rng.normal(-5.0, 1.0, 100), rng.normal(5.0, 1.0, 100)])[:, None]
with _ag.own_work():
    w, m, c, lls = em_gmm(X, np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1, 1)), 100, 1e-6)
w, m = _ag.plain_array(w, "the weights", shape=(2,)), _ag.plain_array(m, "the means", shape=(2, 1))
c = _ag.plain_array(c, "the covariances", shape=(2, 1, 1))  # shapes (k,), (k, d), (k, d, d)
lls = _ag.plain_array(lls, "the log-likelihoods")
assert _ag.allclose(sorted(m[:, 0]), [-5.0, 5.0], atol=0.5), "the two means are found"
assert all(b >= a - 1e-12 for a, b in zip(lls, lls[1:])), "the log-likelihood never decreases"
"""),
    tests("test_em_gmm_reference", 2, hidden(
        "Hidden test (2 points): the fitted parameters agree with EM's on random mixtures, d = 1..3.",
        "_ag.check_em_matches_reference(em_gmm, seeds=[751, 752, 753])")),
    tests("test_em_gmm_log_likelihoods", 1, hidden(
        "Hidden test (1 point): the list of log-likelihoods is as the docstring says.",
        "_ag.check_em_log_likelihoods(em_gmm, seeds=[761, 762])")),
    tests("test_em_gmm_stopping", 1, hidden(
        "Hidden test (1 point): stops where tol and max_iter say.",
        "_ag.check_em_stopping(em_gmm, seeds=[771, 772])")),
]
