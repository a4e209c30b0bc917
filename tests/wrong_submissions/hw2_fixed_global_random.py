"""Fixed counts drawn from the global np.random state."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm_fixed_counts': '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    K, D = means.shape
    counts = np.floor(n * weights + 0.5).astype(int)
    z = np.repeat(np.arange(K), counts)
    X = np.concatenate([np.random.multivariate_normal(means[k], covs[k], size=counts[k]) for k in range(K)])
    return X.reshape(-1, D), z
''',
}

EXPECTED = {
    'test_sample_gmm_fixed_counts_visible': 'the same rng seed must give the same sample',
    'test_sample_gmm_fixed_counts_reproducible': 'the same rng seed must give the same sample',
}
