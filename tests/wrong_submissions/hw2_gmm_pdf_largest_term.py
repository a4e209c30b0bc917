"""The largest weighted term instead of the sum."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'gmm_pdf': '''
def gmm_pdf(X, weights, means, covs):
    return np.max([w * gaussian_pdf(X, m, c) for w, m, c in zip(weights, means, covs)], axis=0)
''',
}

EXPECTED = {
    'test_gmm_pdf_visible': 'the weighted sum over all the components, not the largest term',
    'test_gmm_pdf_reference': 'the weighted sum over all the components, not the largest term',
    'test_gmm_pdf_1d': 'the weighted sum over all the components, not the largest term',
}
