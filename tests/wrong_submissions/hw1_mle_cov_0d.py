"""np.cov(X, rowvar=False, bias=True): a 0-d array when D = 1."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return X.mean(axis=0), np.cov(X, rowvar=False, bias=True)
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'the covariance has shape () but must have shape (1, 1)',
    'test_mle_gaussian_1d': 'the covariance has shape () but must have shape (1, 1)',
}
