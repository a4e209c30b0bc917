"""Points drawn from component z but labelled K-1-z."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in z]).reshape(n, D)
    return X, K - 1 - z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': 'draw each label z[i] with P(z[i] = k) = π_k',
    'test_sample_gmm_frequencies': 'sample_gmm: the label frequencies do not match the weights: draw each label',
    'test_sample_gmm_moments': 'sample_gmm: the points labelled 0: they come from another component; each label',
}
