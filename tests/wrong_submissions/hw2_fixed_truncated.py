"""n·π_k truncated with int() instead of rounded."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm_fixed_counts': '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    K, D = means.shape
    counts = [int(n * w) for w in weights]
    z = np.repeat(np.arange(K), counts)
    X = np.concatenate([rng.multivariate_normal(means[k], covs[k], size=counts[k]) for k in range(K)])
    return X.reshape(-1, D), z
''',
}

EXPECTED = {
    'test_sample_gmm_fixed_counts_visible': 'you truncated n·π_k (int() or floor) instead of rounding',
    'test_sample_gmm_fixed_counts_counts': 'you truncated n·π_k (int() or floor) instead of rounding',
}
