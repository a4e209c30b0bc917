"""An empty cluster's centre is the mean of no points (NaN)."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'update_centers': '''
def update_centers(X, labels, k):
    return np.array([X[labels == j].mean(axis=0) for j in range(k)])
''',
}

EXPECTED = {
    'test_update_centers_visible': 'an empty cluster gave NaN (cluster 2 has no point)',
    'test_update_centers_empty': 'an empty cluster gave NaN',
}
