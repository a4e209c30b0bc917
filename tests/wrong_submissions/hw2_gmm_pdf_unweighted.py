"""The mixture density without the weights."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'gmm_pdf': '''
def gmm_pdf(X, weights, means, covs):
    return sum(gaussian_pdf(X, m, c) for m, c in zip(means, covs)) / len(weights)
''',
}

EXPECTED = {
    'test_gmm_pdf_visible': "each component's density must be multiplied by its weight π_k",
    'test_gmm_pdf_reference': "each component's density must be multiplied by its weight π_k",
    'test_gmm_pdf_1d': "each component's density must be multiplied by its weight π_k",
}
