"""Returns the labels of the last assignment, from before the last update."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
def kmeans(X, init_centers, max_iter):
    centers = np.array(init_centers, dtype=float)
    previous = None
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
        if previous is not None and np.array_equal(labels, previous):
            break
        centers = update_centers(X, labels, len(centers))
        previous = labels
    return centers, labels
''',
}

EXPECTED = {
    'test_kmeans_visible': 'the returned labels must be those of the nearest returned centre',
}
