"""Σ where its Cholesky factor belongs (the variance used as a scale)."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = means[z] + np.einsum("ni,nji->nj", rng.standard_normal((n, D)), covs[z])
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'the spread is wrong',
    'test_sample_gmm_moments': 'the spread is wrong',
}
