"""EM with an M-step of its own that adds reg_covar = 1e-3 to the diagonal, instead of calling m_step."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'em_gmm': '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    weights, means, covs = init_weights, init_means, init_covs

    def log_likelihood(weights, means, covs):
        log_p = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
        return float(np.sum(logsumexp(log_p, axis=1)))

    log_likelihoods = [log_likelihood(weights, means, covs)]
    for _ in range(max_iter):
        resp = e_step(X, weights, means, covs)
        Nk = resp.sum(axis=0)
        weights = Nk / N
        means = resp.T @ X / Nk[:, None]
        covs = np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / Nk[k] + 1e-3 * np.eye(D)
                         for k in range(Nk.size)])       # as scikit-learn's reg_covar
        log_likelihoods.append(log_likelihood(weights, means, covs))
        if (log_likelihoods[-1] - log_likelihoods[-2]) / N < tol:
            break
    return weights, means, covs, log_likelihoods
''',
}

EXPECTED = {
    'test_em_gmm_visible': 'em_gmm never called m_step',
    'test_em_gmm_reference': 'em_gmm never called m_step',
    'test_em_gmm_log_likelihoods': 'em_gmm never called m_step',
    'test_em_gmm_stopping': 'em_gmm never called m_step',
}
