"""Priors as class counts, not fractions."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.unique(y)
    priors = np.array([np.sum(y == c) for c in classes], dtype=float)
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([(X[y == c] - m).T @ (X[y == c] - m) / np.sum(y == c) for c, m in zip(classes, means)])
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'fit_gaussian_bayes: the priors are fractions of the points (they sum to 1), not',
    'test_fit_gaussian_bayes_priors_means': 'fit_gaussian_bayes: the priors are fractions of the points (they sum to 1), not',
}
