"""np.cov without rowvar=False: every point (row) taken for a variable, an N×N matrix."""

ASSIGNMENT = 'hw1_gaussian'

CELLS = {
    'mle_gaussian': '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return X.mean(axis=0), np.cov(X, bias=True)
''',
}

EXPECTED = {
    'test_mle_gaussian_visible': 'it is a D×D matrix (np.cov treats each row as a variable unless rowvar=False)',
    'test_mle_gaussian_cov': 'it is a D×D matrix (np.cov treats each row as a variable unless rowvar=False)',
    'test_mle_gaussian_1d': 'it is a D×D matrix (np.cov treats each row as a variable unless rowvar=False)',
}
