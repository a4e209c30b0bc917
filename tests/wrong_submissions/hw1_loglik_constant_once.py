"""The constant -½ (D log 2π + log|Σ|) counted once, not once per point."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    return float(-0.5 * (D * np.log(2 * np.pi) + logdet) - 0.5 * np.sum(maha))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'the constant -½ (D log 2π + log|Σ|) must be counted once per point (N times),',
    'test_log_likelihood_reference': 'the constant -½ (D log 2π + log|Σ|) must be counted once per point (N times),',
    'test_log_likelihood_log_space': 'the constant -½ (D log 2π + log|Σ|) must be counted once per point (N times),',
}
