"""hw4_em: the Gaussian Bayes classifier, then EM for a Gaussian mixture (tasks 6a-7c)."""

from ._cells import answer, hidden, md, rules, setup_cell, signature, summary_cells, task_heading, task_table, visible_test

AID = "hw4_em"

HELPER = r'''
# Helpers (not graded).
def gaussian_logpdf(X, mean, cov):
    """log N(X[n] | mean, cov) for each row of X: X (N, D), mean (D,), cov (D, D) -> (N,)."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (X - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return -0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(y**2, axis=0))
    ### END SOLUTION
    raise NotImplementedError("helper gaussian_logpdf: write it here (Tasks 6b, 7a and 7c use it)")
'''

FIT = r'''
def fit_gaussian_bayes(X, y):
    """Fit one full-covariance Gaussian per class, and the class priors.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        Points (shape (N, 1) when D = 1).
    y : ndarray of int, shape (N,)
        Class label of each point (any integers; every class has more than D points).

    Returns
    -------
    classes : ndarray, shape (C,)
        The C distinct labels in increasing order (as np.unique(y) returns them).
    priors : ndarray of float, shape (C,)
        priors[c] = fraction of the points whose label is classes[c].
    means : ndarray of float, shape (C, D)
        means[c] = mean of the points of class classes[c].
    covs : ndarray of float, shape (C, D, D)
        covs[c] = their 1/N_c (maximum-likelihood) covariance, N_c their number.
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
    raise NotImplementedError("Task 6a: write fit_gaussian_bayes here (replace this line with your code)")
'''

PREDICT = r'''
def predict_gaussian_bayes(X, classes, priors, means, covs):
    """The class with the largest posterior probability, for each row of X.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
    classes : ndarray, shape (C,)
    priors : ndarray of float, shape (C,)
        Positive, summing to 1.
    means : ndarray of float, shape (C, D)
    covs : ndarray of float, shape (C, D, D)
        As returned by fit_gaussian_bayes.

    Returns
    -------
    ndarray, shape (N,)
        labels[n] = classes[c] for the c maximising log priors[c] + log N(X[n] | means[c], covs[c])
        (the class labels themselves, not the indices c).  Must be right even for points so far
        from every class that all their densities underflow to 0.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    log_post = np.stack([np.log(p) + gaussian_logpdf(X, m, c) for p, m, c in zip(priors, means, covs)], axis=1)
    return np.asarray(classes)[np.argmax(log_post, axis=1)]
    ### END SOLUTION
    raise NotImplementedError("Task 6b: write predict_gaussian_bayes here (replace this line with your code)")
'''

E_STEP = r'''
def e_step(X, weights, means, covs):
    """Responsibilities of the mixture's components for each point.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
    weights : ndarray of float, shape (K,)
        Positive, summing to 1.
    means : ndarray of float, shape (K, D)
    covs : ndarray of float, shape (K, D, D)

    Returns
    -------
    resp : ndarray of float, shape (N, K)
        resp[n, k] = P(z_n = k | X[n]); every row sums to 1.  Must be finite and accurate
        even for points far from every component.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    log_r = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
    return np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True))
    ### END SOLUTION
    raise NotImplementedError("Task 7a: write e_step here (replace this line with your code)")
'''

M_STEP = r'''
def m_step(X, resp):
    """Weighted maximum-likelihood parameters given responsibilities.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
    resp : ndarray of float, shape (N, K)
        Non-negative, rows summing to 1; every column has a positive sum N_k.

    Returns
    -------
    weights : ndarray of float, shape (K,)
        N_k / N, where N_k = sum_n resp[n, k].
    means : ndarray of float, shape (K, D)
        sum_n resp[n, k] X[n] / N_k.
    covs : ndarray of float, shape (K, D, D)
        sum_n resp[n, k] (X[n] - means[k])(X[n] - means[k])^T / N_k, around the new means,
        with nothing added to the diagonal (no reg_covar: see the task's text).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    weights = Nk / N
    means = (resp.T @ X) / Nk[:, None]
    covs = np.empty((resp.shape[1], D, D))
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covs[k] = (resp[:, k, None] * diff).T @ diff / Nk[k]
    return weights, means, covs
    ### END SOLUTION
    raise NotImplementedError("Task 7b: write m_step here (replace this line with your code)")
'''

EM = r'''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    """Fit a Gaussian mixture with EM from given initial parameters.

    One iteration is an E-step (e_step) followed by an M-step (m_step).

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
    init_weights : ndarray of float, shape (K,)
    init_means : ndarray of float, shape (K, D)
    init_covs : ndarray of float, shape (K, D, D)
        Initial parameters (do not modify these arrays).
    max_iter : int
        Maximum number of iterations, >= 1.
    tol : float
        Stop after the first iteration t whose improvement per point is below tol:
        (log_likelihoods[t] - log_likelihoods[t - 1]) / N < tol (scikit-learn's tol is per
        point too).

    Returns
    -------
    weights : ndarray of float, shape (K,)
    means : ndarray of float, shape (K, D)
    covs : ndarray of float, shape (K, D, D)
        The parameters after the last iteration.
    log_likelihoods : list of float
        Length (number of iterations run) + 1: log_likelihoods[0] is the log-likelihood
        l = sum_n log p(X[n]) of the initial parameters (a sum over the points, not a mean),
        and log_likelihoods[t] that of the parameters after iteration t.  With m_step as in
        task 7b it never decreases (up to rounding).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    N = X.shape[0]
    weights = np.array(init_weights, dtype=float)
    means = np.array(init_means, dtype=float)
    covs = np.array(init_covs, dtype=float)

    def log_likelihood(weights, means, covs):
        log_p = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
        return float(np.sum(logsumexp(log_p, axis=1)))

    log_likelihoods = [log_likelihood(weights, means, covs)]
    for _ in range(max_iter):
        resp = e_step(X, weights, means, covs)
        weights, means, covs = m_step(X, resp)
        log_likelihoods.append(log_likelihood(weights, means, covs))
        if (log_likelihoods[-1] - log_likelihoods[-2]) / N < tol:
            break
    return weights, means, covs, log_likelihoods
    ### END SOLUTION
    raise NotImplementedError("Task 7c: write em_gmm here (replace this line with your code)")
'''

SIGNATURES = {"fit_gaussian_bayes": signature(FIT), "predict_gaussian_bayes": signature(PREDICT),
              "e_step": signature(E_STEP), "m_step": signature(M_STEP), "em_gmm": signature(EM)}

CELLS = [
    md("intro", rf"""
# Homework 4: the Gaussian Bayes classifier and EM

*Follows Chapter 6 (The Gaussian Bayes classifier, `book/06_bayes_classifier.md`) and Chapter 7
(The Gaussian mixture model and EM, `book/07_gmm_em.md`); uses your log-density from Homework 1.*

**Due:** _DUE DATE_ · **Points:** 23 (all autograded)

{task_table(AID, SIGNATURES)}

Notation: $N$ points in $D$ dimensions, $C$ classes, a mixture of $K$ components; shapes are
always full: `weights` $(K,)$, `means` $(K, D)$, `covs` $(K, D, D)$, also when $D = 1$. The
log-likelihood of a data set is the **sum** over its points,
$\ell = \sum_{{n=1}}^N \log p(\mathbf{{x}}_n)$.

{rules(extra='''* The tasks build on each other (`em_gmm` should call your `e_step` and `m_step`). Each
  is judged on its own, by its visible test as by its hidden ones: while `em_gmm` is tested,
  correct versions of `e_step`, `m_step` and the helper `gaussian_logpdf` stand in for yours, so
  one mistake does not cost you twice.
''')}"""),
    setup_cell(AID, "from scipy.special import logsumexp"),
    md("helpers_intro", r"""
## A log-density helper

Write (or adapt from Homework 1) `gaussian_logpdf`: the **logarithm** of the Gaussian density,
computed directly in log space (it stays finite where the density underflows to 0). It is not
graded by itself; tasks 6b, 7a and 7c need it.
"""),
    answer("helpers", HELPER),
    task_heading(AID, "6a", r"""
With labels $y_n$, fitting is maximum likelihood for each class separately: the prior
$P(y = c)$ is the fraction of points in class $c$, and $(\boldsymbol\mu_c, \Sigma_c)$ are the
MLE (1/N_c) of the $N_c$ points of class $c$.
"""),
    answer("fit_gaussian_bayes", FIT),
    visible_test(AID, "fit_gaussian_bayes"),
    hidden(AID, "test_fit_gaussian_bayes_priors_means", 1,
           "classes, priors and means on random labelled data, D = 1..3.",
           "_checks.check_bayes_fit_priors_means(fit_gaussian_bayes, seeds=[601, 602, 603])"),
    hidden(AID, "test_fit_gaussian_bayes_covs", 2, "the per-class covariances.",
           "_checks.check_bayes_fit_covs(fit_gaussian_bayes, seeds=[611, 612, 618])"),
    task_heading(AID, "6b", r"""
$P(y = c \mid \mathbf{x}) \propto P(y = c)\, \mathcal{N}(\mathbf{x} \mid \boldsymbol\mu_c, \Sigma_c)$:
predict the class with the largest posterior. Compare logarithms, so that points far from every
class (where all densities underflow to 0) are classified correctly too.
"""),
    answer("predict_gaussian_bayes", PREDICT),
    visible_test(AID, "predict_gaussian_bayes"),
    hidden(AID, "test_predict_gaussian_bayes_reference", 2,
           "the same predictions as the reference on random problems, D = 1..3.",
           "_checks.check_bayes_predict_matches(predict_gaussian_bayes, seeds=[621, 622, 623])"),
    hidden(AID, "test_predict_gaussian_bayes_priors", 1, "very unequal priors.",
           "_checks.check_bayes_predict_priors(predict_gaussian_bayes, seeds=[631, 632])"),
    hidden(AID, "test_predict_gaussian_bayes_log_space", 1, "points far from every class.",
           "_checks.check_bayes_predict_log_space(predict_gaussian_bayes, seeds=[641, 642])"),
    task_heading(AID, "7a", r"""
The responsibility of component $k$ for point $n$ is
$r_{nk} = \pi_k \mathcal{N}(\mathbf{x}_n \mid \boldsymbol\mu_k, \Sigma_k) / \sum_j \pi_j
\mathcal{N}(\mathbf{x}_n \mid \boldsymbol\mu_j, \Sigma_j)$. Far from every component the
numerator and the denominator both underflow to 0; normalise in log space
(`scipy.special.logsumexp`).
"""),
    answer("e_step", E_STEP),
    visible_test(AID, "e_step"),
    hidden(AID, "test_e_step_reference", 2,
           "matches the reference responsibilities on random mixtures, D = 1..3.",
           "_checks.check_e_step_matches(e_step, seeds=[701, 702, 703])"),
    hidden(AID, "test_e_step_normalised", 1, "rows sum to 1, entries are probabilities.",
           "_checks.check_e_step_normalised(e_step, seeds=[711, 712])"),
    hidden(AID, "test_e_step_log_space", 1, "points far from every component.",
           "_checks.check_e_step_log_space(e_step, seeds=[721, 722])"),
    task_heading(AID, "7b", r"""
With $N_k = \sum_n r_{nk}$: $\pi_k = N_k / N$, $\boldsymbol\mu_k = \frac{1}{N_k}\sum_n r_{nk}
\mathbf{x}_n$, $\Sigma_k = \frac{1}{N_k}\sum_n r_{nk} (\mathbf{x}_n - \boldsymbol\mu_k)
(\mathbf{x}_n - \boldsymbol\mu_k)^\top$, with **no regularisation term**. These are the
parameters that maximise EM's lower bound for the given responsibilities, which is why an EM
iteration never decreases the log-likelihood. `coursekit.mixture.fit` and scikit-learn add a small
`reg_covar` to the diagonal of each $\Sigma_k$ to keep it invertible; the M-step then no longer
maximises the bound, and an iteration can lower the log-likelihood, by at most a bounded amount
$\Delta$ (`coursekit.mixture.reg_covar_gap`; chapter 7, "What is guaranteed, exactly", shows such
falls on standardised Old Faithful). Here, add nothing.
"""),
    answer("m_step", M_STEP),
    visible_test(AID, "m_step"),
    hidden(AID, "test_m_step_weights_means", 1, "weights and means from random soft responsibilities, D = 1..3.",
           "_checks.check_m_step_weights_means(m_step, seeds=[731, 732, 733])"),
    hidden(AID, "test_m_step_covs", 2, "the covariances (nothing added to the diagonal).",
           "_checks.check_m_step_covs(m_step, seeds=[741, 742, 747])"),
    task_heading(AID, "7c", r"""
Alternate E- and M-steps from the given initial parameters. Track the log-likelihood
$\ell = \sum_n \log \sum_k \pi_k \mathcal{N}(\mathbf{x}_n \mid \boldsymbol\mu_k, \Sigma_k)$ (use
`gaussian_logpdf` and `logsumexp`) after every iteration: with your M-step (nothing added to the
diagonal) it never decreases, up to rounding, and its improvement per point,
$(\ell_t - \ell_{t-1})/N$, tells you when to stop.
"""),
    answer("em_gmm", EM),
    visible_test(AID, "em_gmm"),
    hidden(AID, "test_em_gmm_reference", 2, "the fitted parameters agree with EM's on random mixtures, D = 1..3.",
           "_checks.check_em_matches_reference(em_gmm, seeds=[751, 752, 753])"),
    hidden(AID, "test_em_gmm_log_likelihoods", 1,
           "the list of log-likelihoods (sums over the points) is as the docstring says.",
           "_checks.check_em_log_likelihoods(em_gmm, seeds=[761, 762])"),
    hidden(AID, "test_em_gmm_stopping", 1, "stops where tol (per point) and max_iter say.",
           "_checks.check_em_stopping(em_gmm, seeds=[771, 772])"),
    *summary_cells(AID),
]
