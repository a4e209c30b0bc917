"""For D = 1, reads cov as the standard deviation."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    if D == 1:
        sigma = cov[0, 0]
        return np.exp(-0.5 * ((X[:, 0] - mean[0]) / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma)
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / np.sqrt((2 * np.pi) ** D * np.linalg.det(cov))
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'cov holds the variance σ², not the standard deviation σ',
    'test_gaussian_pdf_1d': 'cov holds the variance σ², not the standard deviation σ',
}
