"""Every class given the mean of all the points."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.unique(y)
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.array([X.mean(axis=0) for c in classes])
    covs = np.array([(X[y == c] - X[y == c].mean(axis=0)).T @ (X[y == c] - X[y == c].mean(axis=0)) / np.sum(y == c)
                     for c in classes])
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'fit_gaussian_bayes: the mean of class c is the mean of the points with label c',
    'test_fit_gaussian_bayes_priors_means': 'fit_gaussian_bayes: the mean of class c is the mean of the points with label c',
}
