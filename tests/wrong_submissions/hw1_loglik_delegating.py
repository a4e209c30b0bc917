"""The log-likelihood from coursekit."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'log_likelihood': '''
import coursekit.gaussian

def log_likelihood(X, mean, cov):
    return coursekit.gaussian.log_likelihood(X, mean, cov)
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_log_likelihood_visible': _MSG,
    'test_log_likelihood_reference': _MSG,
    'test_log_likelihood_log_space': _MSG,
}
