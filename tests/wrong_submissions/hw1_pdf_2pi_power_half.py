"""The normalising constant with (2π)^(-1/2), the 1-D one, whatever D."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / np.sqrt(2 * np.pi * np.linalg.det(cov))
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'the normalising constant is wrong: the power of 2π is -D/2, with D the',
    'test_gaussian_pdf_reference': 'the normalising constant is wrong: the power of 2π is -D/2, with D the',
}
