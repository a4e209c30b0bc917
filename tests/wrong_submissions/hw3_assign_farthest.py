"""Each point joins its farthest centre."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'assign_clusters': '''
def assign_clusters(X, centers):
    return np.argmax(((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)
''',
}

EXPECTED = {
    'test_assign_clusters_visible': 'not the farthest',
    'test_assign_clusters_reference': 'not the farthest',
    'test_assign_clusters_1d': 'not the farthest',
}
