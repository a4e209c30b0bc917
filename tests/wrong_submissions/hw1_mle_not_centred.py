"""The covariance from X itself, not from X minus its mean."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return X.mean(axis=0), X.T @ X / X.shape[0]
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'must be computed from the centred data',
    'test_mle_gaussian_cov': 'must be computed from the centred data',
    'test_mle_gaussian_1d': 'must be computed from the centred data',
}
