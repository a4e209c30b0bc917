"""The log-likelihood without its -(N D/2) log(2π) term."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return float(-0.5 * (N * logdet + np.sum(maha)))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'the term -(N D/2) log(2π) is missing: each log-density has -(D/2) log(2π)',
    'test_log_likelihood_reference': 'the term -(N D/2) log(2π) is missing: each log-density has -(D/2) log(2π)',
    'test_log_likelihood_log_space': 'the term -(N D/2) log(2π) is missing: each log-density has -(D/2) log(2π)',
}
