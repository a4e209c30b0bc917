"""Labels drawn uniformly instead of from π."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.integers(0, K, size=n)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'draw each label z[i] with P(z[i] = k) = π_k',
    'test_sample_gmm_frequencies': 'the label frequencies do not match the weights',
}
