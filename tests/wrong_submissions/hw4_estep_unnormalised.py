"""Responsibilities left unnormalised (π_k N(x | μ_k, Σ_k), not divided by p(x))."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'e_step': '''
def e_step(X, weights, means, covs):
    return np.stack([w * np.exp(gaussian_logpdf(X, m, c)) for w, m, c in zip(weights, means, covs)], axis=1)
''',
}

EXPECTED = {
    'test_e_step_visible': 'responsibilities do not sum to 1 over components',
    'test_e_step_reference': 'responsibilities do not sum to 1 over components',
    'test_e_step_normalised': 'responsibilities do not sum to 1 over components',
    'test_e_step_log_space': 'responsibilities do not sum to 1 over components',
}
