"""Classes in order of first appearance instead of sorted."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.array(list(dict.fromkeys(np.asarray(y).tolist())))
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([(X[y == c] - m).T @ (X[y == c] - m) / np.sum(y == c) for c, m in zip(classes, means)])
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'fit_gaussian_bayes: classes must be the sorted distinct labels of y (as',
    'test_fit_gaussian_bayes_priors_means': 'fit_gaussian_bayes: classes must be the sorted distinct labels of y (as',
}
