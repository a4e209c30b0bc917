"""Covariances divided by N instead of N_k."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'm_step': '''
def m_step(X, resp):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([((resp[:, k, None] * (X - means[k])).T @ (X - means[k])) / N for k in range(resp.shape[1])])
    return Nk / N, means, covs
''',
}

EXPECTED = {
    'test_m_step_visible': 'm_step: the covariance of component k is divided by N_k = Σₙ r_nk, not by N',
    'test_m_step_covs': 'm_step: the covariance of component k is divided by N_k = Σₙ r_nk, not by N',
}
