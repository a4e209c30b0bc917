"""np.round: halves go to the even integer instead of up."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm_fixed_counts': '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    K, D = means.shape
    counts = np.round(n * weights).astype(int)
    z = np.repeat(np.arange(K), counts)
    X = np.concatenate([rng.multivariate_normal(means[k], covs[k], size=counts[k]) for k in range(K)])
    return X.reshape(-1, D), z
''',
}

EXPECTED = {
    'test_sample_gmm_fixed_counts_visible': 'a half must round up',
    'test_sample_gmm_fixed_counts_counts': 'a half must round up',
}
