"""Returns the index of the best class instead of its label."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'predict_gaussian_bayes': '''
def predict_gaussian_bayes(X, classes, priors, means, covs):
    log_post = np.stack([np.log(p) + gaussian_logpdf(X, m, c) for p, m, c in zip(priors, means, covs)], axis=1)
    return np.argmax(log_post, axis=1)
''',
}

EXPECTED = {
    'test_predict_gaussian_bayes_visible': 'must return class labels (classes[j]), not the indices j',
    'test_predict_gaussian_bayes_reference': 'must return class labels (classes[j]), not the indices j',
    'test_predict_gaussian_bayes_priors': 'must return class labels (classes[j]), not the indices j',
    'test_predict_gaussian_bayes_log_space': 'must return class labels (classes[j]), not the indices j',
}
