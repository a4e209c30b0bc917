"""Responsibilities without the mixing weights."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'e_step': '''
def e_step(X, weights, means, covs):
    log_r = np.stack([gaussian_logpdf(X, m, c) for m, c in zip(means, covs)], axis=1)
    return np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True))
''',
}

EXPECTED = {
    'test_e_step_visible': 'must include the mixing weights π_k',
    'test_e_step_reference': 'must include the mixing weights π_k',
}
