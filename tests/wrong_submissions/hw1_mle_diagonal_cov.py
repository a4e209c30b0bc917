"""The per-coordinate variances only: a diagonal covariance."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return X.mean(axis=0), np.diag(X.var(axis=0))
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'the covariance is missing its off-diagonal entries (the MLE is the full matrix)',
    'test_mle_gaussian_cov': 'the covariance is missing its off-diagonal entries (the MLE is the full matrix)',
}
