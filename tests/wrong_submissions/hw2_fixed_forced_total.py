"""Rounded counts, then the last one adjusted so that they add up to n."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm_fixed_counts': '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    K, D = means.shape
    counts = np.floor(n * weights + 0.5).astype(int)
    counts[-1] = n - counts[:-1].sum()
    z = np.repeat(np.arange(K), counts)
    X = np.concatenate([rng.multivariate_normal(means[k], covs[k], size=counts[k]) for k in range(K)])
    return X.reshape(-1, D), z
''',
}

EXPECTED = {
    'test_sample_gmm_fixed_counts_visible': 'even when the total then differs from n',
    'test_sample_gmm_fixed_counts_counts': 'even when the total then differs from n',
}
