"""The likelihood itself (the exponential of the log-likelihood)."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return float(np.exp(-0.5 * (N * D * np.log(2 * np.pi) + N * logdet + np.sum(maha))))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'log_likelihood must return the log of the likelihood',
    'test_log_likelihood_reference': 'log_likelihood must return the log of the likelihood',
    'test_log_likelihood_log_space': 'log_likelihood must return the log of the likelihood',
}
