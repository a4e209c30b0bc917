"""Labels 1 … K instead of 0 … K-1."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, z + 1
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'they look like 1 … K)',
    'test_sample_gmm_frequencies': 'they look like 1 … K)',
    'test_sample_gmm_moments': 'they look like 1 … K)',
    'test_sample_gmm_reproducible': 'they look like 1 … K)',
}
