"""One covariance of all the points, shared by every class."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.unique(y)
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([np.atleast_2d(np.cov(X, rowvar=False, bias=True))] * len(classes))
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'each class has its own covariance',
    'test_fit_gaussian_bayes_covs': 'each class has its own covariance',
}
