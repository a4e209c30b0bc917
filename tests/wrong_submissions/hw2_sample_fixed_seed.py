"""A Generator of its own with a fixed seed: every rng gives the same sample."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    rng = np.random.default_rng(0)        # "reproducible"
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'different rng seeds gave the same sample',
    'test_sample_gmm_reproducible': 'different rng seeds gave the same sample',
}
