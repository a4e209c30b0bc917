"""EM from scikit-learn."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'em_gmm': '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    from sklearn.mixture import GaussianMixture
    gm = GaussianMixture(len(init_weights), weights_init=init_weights, means_init=init_means,
                         precisions_init=np.linalg.inv(init_covs), max_iter=max_iter, tol=tol, reg_covar=0).fit(X)
    return gm.weights_, gm.means_, gm.covariances_, [gm.lower_bound_]
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_em_gmm_visible': _MSG,
    'test_em_gmm_reference': _MSG,
    'test_em_gmm_log_likelihoods': _MSG,
    'test_em_gmm_stopping': _MSG,
}
