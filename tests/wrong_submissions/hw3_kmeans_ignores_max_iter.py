"""k-means that runs until the centres stop moving, whatever max_iter."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
def kmeans(X, init_centers, max_iter):
    centers = np.array(init_centers, dtype=float)
    while True:
        labels = assign_clusters(X, centers)
        new = update_centers(X, labels, len(centers))
        if np.allclose(new, centers):
            break
        centers = new
    return centers, assign_clusters(X, centers)
''',
}

EXPECTED = {
    'test_kmeans_visible': 'kmeans must stop after max_iter iterations',
    'test_kmeans_max_iter': 'kmeans must stop after max_iter iterations',
}
