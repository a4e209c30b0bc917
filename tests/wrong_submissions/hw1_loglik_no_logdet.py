"""Log space, but without the -(N/2) log|Σ| term."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return float(-0.5 * (N * D * np.log(2 * np.pi) + np.sum(maha)))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'the term -(N/2) log|Σ| is missing',
    'test_log_likelihood_reference': 'the term -(N/2) log|Σ| is missing',
    'test_log_likelihood_log_space': 'the term -(N/2) log|Σ| is missing',
}
