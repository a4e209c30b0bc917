"""Standard deviations (the square root of each entry) instead of the covariance."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    cov = (X - mean).T @ (X - mean) / X.shape[0]
    return mean, np.sign(cov) * np.sqrt(np.abs(cov))
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'the covariance holds variances, not standard deviations (no square root)',
    'test_mle_gaussian_cov': 'the covariance holds variances, not standard deviations (no square root)',
    'test_mle_gaussian_1d': 'the covariance holds variances, not standard deviations (no square root)',
}
