"""The classifier from coursekit."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'fit_gaussian_bayes': '''
from coursekit.classifier import GaussianBayesClassifier

def fit_gaussian_bayes(X, y):
    clf = GaussianBayesClassifier().fit(X, y)
    return clf.classes_, clf.priors_, clf.means_, clf.covariances_
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_fit_gaussian_bayes_visible': _MSG,
    'test_fit_gaussian_bayes_priors_means': _MSG,
    'test_fit_gaussian_bayes_covs': _MSG,
}
