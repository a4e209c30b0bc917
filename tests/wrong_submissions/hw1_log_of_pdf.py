"""log(pdf) instead of the log-density: -inf far from the mean.  The wrong normalising constant
(|Σ|^-1 instead of |Σ|^-1/2) in the density."""

ASSIGNMENT = "hw1_gaussian"

CELLS = {
    "gaussian_pdf": '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / ((2 * np.pi) ** (D / 2) * np.linalg.det(cov))
''',
    "log_likelihood": '''
def log_likelihood(X, mean, cov):
    return float(np.sum(np.log(gaussian_pdf(X, mean, cov))))
''',
}

EXPECTED = {
    "test_gaussian_pdf_reference": "the normalising constant is wrong",
    "test_gaussian_pdf_1d": "gaussian_pdf is wrong for D = 1",
    "test_log_likelihood_log_space": "compute log N(x | μ, Σ) directly (in log space)",
}
