"""|Σ|^(-1) instead of |Σ|^(-1/2) in the normalising constant."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / ((2 * np.pi) ** (D / 2) * np.linalg.det(cov))
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'not |Σ|^(-1)',
    'test_gaussian_pdf_reference': 'not |Σ|^(-1)',
    'test_gaussian_pdf_1d': 'not |Σ|^(-1)',
}
