"""The density without its (2π)^(-D/2) factor."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / np.sqrt(np.linalg.det(cov))
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'the factor (2π)^(-D/2) of the normalising constant is missing',
    'test_gaussian_pdf_reference': 'the factor (2π)^(-D/2) of the normalising constant is missing',
    'test_gaussian_pdf_1d': 'the factor (2π)^(-D/2) of the normalising constant is missing',
}
