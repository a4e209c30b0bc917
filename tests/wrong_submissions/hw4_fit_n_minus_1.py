"""1/(N_c - 1) covariances (np.cov) in the classifier."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
def fit_gaussian_bayes(X, y):
    X = np.asarray(X, dtype=float)
    classes = np.unique(y)
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([np.cov(X[y == c], rowvar=False).reshape(X.shape[1], X.shape[1]) for c in classes])
    return classes, priors, means, covs
''',
}

EXPECTED = {
    'test_fit_gaussian_bayes_visible': 'the unbiased 1/(N_c - 1) estimates',
    'test_fit_gaussian_bayes_covs': 'the unbiased 1/(N_c - 1) estimates',
}
