"""reg_covar = 1e-3 added to the diagonal, as scikit-learn does."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'm_step': '''
def m_step(X, resp):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([((resp[:, k, None] * (X - means[k])).T @ (X - means[k])) / Nk[k] + 1e-3 * np.eye(D) for k in range(resp.shape[1])])
    return Nk / N, means, covs
''',
}

EXPECTED = {
    'test_m_step_visible': 'nothing is added to the diagonal',
    'test_m_step_covs': 'nothing is added to the diagonal',
}
