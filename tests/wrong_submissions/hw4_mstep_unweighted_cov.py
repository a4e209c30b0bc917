"""Every point counted fully in every covariance (no r_nk weights)."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'm_step': '''
def m_step(X, resp):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([(X - means[k]).T @ (X - means[k]) / N for k in range(resp.shape[1])])
    return Nk / N, means, covs
''',
}

EXPECTED = {
    'test_m_step_visible': 'weighted by r_nk',
    'test_m_step_covs': 'weighted by r_nk',
}
