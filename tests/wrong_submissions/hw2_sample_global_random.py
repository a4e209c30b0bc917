"""Draws from the global np.random state instead of rng."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = np.random.choice(K, size=n, p=weights)
    X = np.array([np.random.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'the same rng seed must give the same sample',
    'test_sample_gmm_reproducible': 'the same rng seed must give the same sample',
}
