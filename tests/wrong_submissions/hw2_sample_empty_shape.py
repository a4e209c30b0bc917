"""Points gathered in a list and turned into an array: for n = 0, X has shape (0,), not (0, D)."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K = len(weights)
    z = rng.choice(K, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z])
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'n = 0',
    'test_sample_gmm_frequencies': 'sample_gmm with n = 0',
}
