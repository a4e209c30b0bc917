"""The exponent without its ½: exp(-(x-μ)ᵀ Σ⁻¹ (x-μ))."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'gaussian_pdf': '''
def gaussian_pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    D = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-maha) / np.sqrt((2 * np.pi) ** D * np.linalg.det(cov))
''',
}

EXPECTED = {
    'test_gaussian_pdf_visible': 'the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ) (the ½ is missing)',
    'test_gaussian_pdf_reference': 'the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ) (the ½ is missing)',
    'test_gaussian_pdf_1d': 'the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ) (the ½ is missing)',
}
