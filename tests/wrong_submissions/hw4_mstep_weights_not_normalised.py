"""Weights N_k instead of N_k / N."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'm_step': '''
def m_step(X, resp):
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([((resp[:, k, None] * (X - means[k])).T @ (X - means[k])) / Nk[k] for k in range(resp.shape[1])])
    return Nk, means, covs
''',
}

EXPECTED = {
    'test_m_step_visible': 'the weights are N_k / N (they sum to 1), not N_k',
    'test_m_step_weights_means': 'the weights are N_k / N (they sum to 1), not N_k',
}
