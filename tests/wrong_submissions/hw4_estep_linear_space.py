"""An E-step normalised in linear space: 0/0 far from every component."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'e_step': '''
def e_step(X, weights, means, covs):
    p = np.stack([w * np.exp(gaussian_logpdf(X, m, c)) for w, m, c in zip(weights, means, covs)], axis=1)
    return p / p.sum(axis=1, keepdims=True)
''',
}

EXPECTED = {
    'test_e_step_visible': 'the responsibilities are NaN for points far from every component',
    'test_e_step_log_space': 'the responsibilities are NaN for points far from every component',
}
