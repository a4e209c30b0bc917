"""The median of each cluster instead of its mean."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'update_centers': '''
def update_centers(X, labels, k):
    X = np.asarray(X, dtype=float)
    counts = np.bincount(labels, minlength=k)
    centers = np.array([np.median(X[labels == j], axis=0) if counts[j] else np.zeros(X.shape[1]) for j in range(k)])
    return centers
''',
}

EXPECTED = {
    'test_update_centers_visible': 'not their median',
    'test_update_centers_reference': 'not their median',
    'test_update_centers_empty': "does not follow the docstring's rule",
}
