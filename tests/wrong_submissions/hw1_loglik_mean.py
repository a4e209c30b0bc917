"""The mean of the log-densities instead of their sum."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return float(np.mean(-0.5 * (D * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1] + maha)))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'must be the sum over the points, not their mean',
    'test_log_likelihood_reference': 'must be the sum over the points, not their mean',
    'test_log_likelihood_log_space': 'must be the sum over the points, not their mean',
}
