"""The classifier from coursekit, the E-step from coursekit.mixture, EM from scikit-learn."""

ASSIGNMENT = "hw4_em"

CELLS = {
    "fit_gaussian_bayes": '''
from coursekit.classifier import GaussianBayesClassifier

def fit_gaussian_bayes(X, y):
    clf = GaussianBayesClassifier().fit(X, y)
    return clf.classes_, clf.priors_, clf.means_, clf.covariances_
''',
    "e_step": '''
import coursekit.mixture as ckm

def e_step(X, weights, means, covs):
    return ckm.responsibilities(X, weights, means, covs)
''',
    "em_gmm": '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    from sklearn.mixture import GaussianMixture
    gm = GaussianMixture(len(init_weights), weights_init=init_weights, means_init=init_means,
                         precisions_init=np.linalg.inv(init_covs), max_iter=max_iter, tol=tol, reg_covar=0).fit(X)
    return gm.weights_, gm.means_, gm.covariances_, [gm.lower_bound_]
''',
}

_MSG = "your function must not call coursekit, scipy.stats or scikit-learn"
EXPECTED = {
    "test_fit_gaussian_bayes_visible": _MSG,
    "test_fit_gaussian_bayes_priors_means": _MSG,
    "test_fit_gaussian_bayes_covs": _MSG,
    "test_e_step_visible": _MSG,
    "test_e_step_reference": _MSG,
    "test_e_step_normalised": _MSG,
    "test_e_step_log_space": _MSG,
    "test_em_gmm_visible": _MSG,
    "test_em_gmm_reference": _MSG,
    "test_em_gmm_log_likelihoods": _MSG,
    "test_em_gmm_stopping": _MSG,
}
