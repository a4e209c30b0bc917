"""np.ceil(n·π_k): every fraction rounded up."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm_fixed_counts': '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    K, D = means.shape
    counts = np.ceil(n * np.asarray(weights)).astype(int)
    z = np.repeat(np.arange(K), counts)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(len(z), D)
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_fixed_counts_visible': 'sample_gmm_fixed_counts: you rounded every n·π_k up (np.ceil) instead of to the',
    'test_sample_gmm_fixed_counts_counts': 'sample_gmm_fixed_counts: you rounded every n·π_k up (np.ceil) instead of to the',
}
