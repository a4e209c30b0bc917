"""k-means that never moves the centres."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
def kmeans(X, init_centers, max_iter):
    centers = np.array(init_centers, dtype=float)
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
    return centers, labels
''',
}

EXPECTED = {
    'test_kmeans_visible': 'kmeans never moved the centres',
    'test_kmeans_reference': 'kmeans never moved the centres',
    'test_kmeans_max_iter': 'kmeans never moved the centres',
}
