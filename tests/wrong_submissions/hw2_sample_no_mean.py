"""Draws L ε without adding the component's mean."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
def sample_gmm(weights, means, covs, n, rng):
    K, D = means.shape
    z = rng.choice(K, size=n, p=weights)
    X = np.empty((n, D))
    for k in range(K):
        L = np.linalg.cholesky(covs[k])
        X[z == k] = rng.standard_normal((int(np.sum(z == k)), D)) @ L.T
    return X, z
''',
}

EXPECTED = {
    'test_sample_gmm_visible': "the component's mean μ_k is missing",
    'test_sample_gmm_moments': "sample_gmm: the points labelled 0: they are centred on 0, the component's mean",
}
