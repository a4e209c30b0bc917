"""Weights paired with the components in reverse order."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'gmm_pdf': '''
def gmm_pdf(X, weights, means, covs):
    return sum(w * gaussian_pdf(X, m, c) for w, m, c in zip(weights[::-1], means, covs))
''',
}

EXPECTED = {
    'test_gmm_pdf_visible': 'gmm_pdf: weights[k] multiplies the density of component k (yours are paired the',
    'test_gmm_pdf_reference': 'gmm_pdf: weights[k] multiplies the density of component k (yours are paired the',
    'test_gmm_pdf_1d': 'gmm_pdf: weights[k] multiplies the density of component k (yours are paired the',
}
