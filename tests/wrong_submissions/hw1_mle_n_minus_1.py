"""The unbiased 1/(N-1) covariance (np.cov's default) instead of the MLE."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False))
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': "that is the unbiased 1/(N-1) estimate (np.cov's default); the MLE divides by N",
    'test_mle_gaussian_cov': "that is the unbiased 1/(N-1) estimate (np.cov's default); the MLE divides by N",
    'test_mle_gaussian_1d': "that is the unbiased 1/(N-1) estimate (np.cov's default); the MLE divides by N",
}
