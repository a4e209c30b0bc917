"""Each column normalised over the points instead of each row over the components."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'e_step': '''
def e_step(X, weights, means, covs):
    X = np.asarray(X, dtype=float)
    log_r = np.stack([np.log(w) + gaussian_logpdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=1)
    return np.exp(log_r - logsumexp(log_r, axis=0, keepdims=True))
''',
}

EXPECTED = {
    'test_e_step_visible': 'e_step: normalise each row (over the components k), not each column (over the',
    'test_e_step_reference': 'e_step: normalise each row (over the components k), not each column (over the',
    'test_e_step_normalised': 'e_step: responsibilities do not sum to 1 over components',
    'test_e_step_log_space': 'e_step: normalise each row (over the components k), not each column (over the',
}
