"""Posteriors compared in linear space: all 0 far from every class."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'predict_gaussian_bayes': '''
def predict_gaussian_bayes(X, classes, priors, means, covs):
    post = np.stack([p * np.exp(gaussian_logpdf(X, m, c)) for p, m, c in zip(priors, means, covs)], axis=1)
    return classes[np.argmax(post, axis=1)]
''',
}

EXPECTED = {
    'test_predict_gaussian_bayes_visible': 'is wrong for points far from every class (x = [60])',
    'test_predict_gaussian_bayes_log_space': 'is wrong for points far from every class',
}
