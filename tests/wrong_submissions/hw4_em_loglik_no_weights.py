"""The recorded log-likelihood leaves out the mixing weights: Σₙ log Σₖ N(xₙ | μₖ, Σₖ)."""

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
        log_p = np.stack([gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
        return float(np.sum(logsumexp(log_p, axis=1)))

    log_likelihoods = [log_likelihood(weights, means, covs)]
    for _ in range(max_iter):
        resp = e_step(X, weights, means, covs)
        weights, means, covs = m_step(X, resp)
        log_likelihoods.append(log_likelihood(weights, means, covs))
        if (log_likelihoods[-1] - log_likelihoods[-2]) / N < tol:
            break
    return weights, means, covs, log_likelihoods
''',
}

EXPECTED = {
    'test_em_gmm_visible': 'em_gmm: the log-likelihood leaves out the mixing weights: ℓ = Σₙ log Σₖ πₖ N(xₙ',
    'test_em_gmm_reference': 'em_gmm: the log-likelihood leaves out the mixing weights: ℓ = Σₙ log Σₖ πₖ N(xₙ',
    'test_em_gmm_log_likelihoods': 'em_gmm: the log-likelihood leaves out the mixing weights: ℓ = Σₙ log Σₖ πₖ N(xₙ',
    'test_em_gmm_stopping': 'em_gmm: the log-likelihood leaves out the mixing weights: ℓ = Σₙ log Σₖ πₖ N(xₙ',
}
