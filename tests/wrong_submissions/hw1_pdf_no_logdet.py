"""The density without its |Σ|^(-1/2) factor."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / (2 * np.pi) ** (D / 2)
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'the factor |Σ|^(-1/2) of the normalising constant is missing',
    'test_gaussian_pdf_reference': 'the factor |Σ|^(-1/2) of the normalising constant is missing',
    'test_gaussian_pdf_1d': 'the factor |Σ|^(-1/2) of the normalising constant is missing',
}
