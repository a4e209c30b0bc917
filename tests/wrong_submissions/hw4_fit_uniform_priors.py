"""Uniform priors instead of the class frequencies."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.unique(y)
    priors = np.full(len(classes), 1 / len(classes))
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([(X[y == c] - m).T @ (X[y == c] - m) / np.sum(y == c) for c, m in zip(classes, means)])
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'the priors are the class frequencies in y, not uniform',
    'test_fit_gaussian_bayes_priors_means': 'the priors are the class frequencies in y, not uniform',
}
