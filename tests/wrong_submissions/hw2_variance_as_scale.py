"""Uses Σ where its square root belongs (scale = variance), and the global np.random state."""

ASSIGNMENT = "hw2_sampling"

CELLS = {
    "sample_gmm": '''
def sample_gmm(weights, means, covs, n, rng):
    k, d = means.shape
    z = rng.choice(k, size=n, p=weights)
    X = means[z] + np.einsum("ni,nij->nj", rng.standard_normal((n, d)), covs[z])
    return X, z
''',
    "sample_gmm_fixed_counts": '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    k, d = means.shape
    counts = np.floor(n * weights + 0.5).astype(int)
    z = np.repeat(np.arange(k), counts)
    X = np.concatenate([np.random.multivariate_normal(means[j], covs[j], size=counts[j]) for j in range(k)])
    return X.reshape(-1, d), z
''',
}

EXPECTED = {
    "test_sample_gmm_moments": "the spread of a component's points is wrong",
    "test_sample_gmm_fixed_counts_reproducible": "the same rng seed must give the same sample",
}
