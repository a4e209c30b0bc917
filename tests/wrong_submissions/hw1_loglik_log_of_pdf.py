"""log(pdf) instead of the log-density: -inf far from the mean."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
def log_likelihood(X, mean, cov):
    return float(np.sum(np.log(gaussian_pdf(X, mean, cov))))
''',
}

EXPECTED = {
    'test_log_likelihood_visible': 'so log(pdf) gives -inf',
    'test_log_likelihood_log_space': 'compute log N(x | μ, Σ) directly (in log space) instead of log(pdf)',
}
