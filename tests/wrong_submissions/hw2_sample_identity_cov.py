"""Every component drawn with the identity covariance (covs ignored)."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = means[z] + rng.standard_normal((n, D))
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': "their covariance must be that component's Σ",
    'test_sample_gmm_moments': "sample_gmm: the points labelled 1: their covariance must be that component's Σ",
}
