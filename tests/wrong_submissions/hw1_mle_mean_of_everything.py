"""np.mean(X) without axis: one number, the mean of every entry, for every coordinate."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    mean = np.full(D, np.mean(X))
    centered = X - X.mean(axis=0)
    return mean, centered.T @ centered / N
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'the mean has one entry per coordinate: average over the points',
    'test_mle_gaussian_mean': 'the mean returned by mle_gaussian is not the sample mean: the mean has one',
}
