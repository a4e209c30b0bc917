"""1/(N_k - 1) covariances in the M-step."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'm_step': '''
def m_step(X, resp):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([((resp[:, k, None] * (X - means[k])).T @ (X - means[k])) / (Nk[k] - 1) for k in range(resp.shape[1])])
    return Nk / N, means, covs
''',
}

EXPECTED = {
    'test_m_step_visible': 'your covariance matches the 1/(N_k - 1) estimator',
    'test_m_step_covs': 'your covariance matches the 1/(N_k - 1) estimator',
}
