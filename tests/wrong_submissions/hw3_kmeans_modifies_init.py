"""k-means that updates the caller's init_centers array in place."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
def kmeans(X, init_centers, max_iter):
    centers = init_centers                  # the caller's array, not a copy
    previous = None
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
        if previous is not None and np.array_equal(labels, previous):
            break
        centers[:] = update_centers(X, labels, len(centers))
        previous = labels
    return centers, assign_clusters(X, centers)
''',
}

EXPECTED = {
    'test_kmeans_visible': 'kmeans modified its argument init_centers',
    'test_kmeans_reference': 'kmeans modified its argument init_centers',
}
