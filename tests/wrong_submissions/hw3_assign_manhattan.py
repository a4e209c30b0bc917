"""The sum of absolute differences instead of the Euclidean distance."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'assign_clusters': '''
def assign_clusters(X, centers):
    return np.argmin(np.abs(X[:, None, :] - centers[None, :, :]).sum(axis=2), axis=1)
''',
}

EXPECTED = {
    'test_assign_clusters_visible': 'use the Euclidean distance, not the sum of absolute differences',
    'test_assign_clusters_reference': 'use the Euclidean distance, not the sum of absolute differences',
}
