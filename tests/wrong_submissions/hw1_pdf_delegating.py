"""The density from scipy.stats."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
from scipy.stats import multivariate_normal

def gaussian_pdf(X, mean, cov):
    return np.atleast_1d(multivariate_normal(mean, cov).pdf(X))
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_gaussian_pdf_visible': _MSG,
    'test_gaussian_pdf_reference': _MSG,
    'test_gaussian_pdf_1d': _MSG,
}
