"""Fixed counts truncated with int() (one point short wherever n·π_k rounds up); labels drawn
uniformly instead of from π in the categorical sampler."""

ASSIGNMENT = "hw2_sampling"

CELLS = {
    "sample_gmm": '''
def sample_gmm(weights, means, covs, n, rng):
    k, d = means.shape
    z = rng.integers(0, k, size=n)
    X = np.array([rng.multivariate_normal(means[j], covs[j]) for j in z]).reshape(n, d)
    return X, z
''',
    "sample_gmm_fixed_counts": '''
def sample_gmm_fixed_counts(weights, means, covs, n, rng):
    k, d = means.shape
    X, z = [], []
    for j in range(k):
        nj = int(n * weights[j])
        X.append(rng.multivariate_normal(means[j], covs[j], size=nj))
        z += [j] * nj
    return np.concatenate(X).reshape(-1, d), np.array(z)
''',
}

EXPECTED = {
    "test_sample_gmm_frequencies": "the label frequencies do not match the weights",
    "test_sample_gmm_fixed_counts_counts": "you truncated n·π_k (int() or floor) instead of rounding",
}
