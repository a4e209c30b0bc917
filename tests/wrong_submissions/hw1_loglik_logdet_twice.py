"""-log|Σ| per point instead of -½ log|Σ|."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return float(-0.5 * (N * D * np.log(2 * np.pi) + np.sum(maha)) - N * logdet)
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'the log-determinant term counts twice',
    'test_log_likelihood_reference': 'the log-determinant term counts twice: each log-density has -½ log|Σ|, not',
    'test_log_likelihood_log_space': 'the log-determinant term counts twice: each log-density has -½ log|Σ|, not',
}
