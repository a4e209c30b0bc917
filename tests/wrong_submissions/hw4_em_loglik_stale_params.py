"""The log-likelihood recorded with the new weights but the previous means and covariances."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'em_gmm': '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
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
        weights, new_means, new_covs = m_step(X, resp)
        log_likelihoods.append(log_likelihood(weights, means, covs))   # means, covs: not updated yet
        means, covs = new_means, new_covs
        if (log_likelihoods[-1] - log_likelihoods[-2]) / N < tol:
            break
    return weights, means, covs, log_likelihoods
''',
}

EXPECTED = {
    'test_em_gmm_visible': 'em_gmm: log_likelihoods[t] must be ℓ = Σₙ log p(xₙ) of the parameters after',
    'test_em_gmm_log_likelihoods': 'em_gmm: log_likelihoods[t] must be ℓ = Σₙ log p(xₙ) of the parameters after',
    'test_em_gmm_stopping': 'em_gmm: log_likelihoods[t] must be ℓ = Σₙ log p(xₙ) of the parameters after',
}
