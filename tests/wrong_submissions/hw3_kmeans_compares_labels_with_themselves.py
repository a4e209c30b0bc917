"""The stopping test compares the new labels with themselves: it stops after one iteration."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
def kmeans(X, init_centers, max_iter):
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    previous = None
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
        previous = labels                      # updated before the comparison
        centers = update_centers(X, labels, len(centers))
        if np.array_equal(labels, previous):
            break
    return centers, assign_clusters(X, centers)
''',
}

EXPECTED = {
    'test_kmeans_visible': 'kmeans ran 1 iteration(s) where 2 were due: one iteration is one assignment and',
    'test_kmeans_reference': 'kmeans: labels that differ only by a permutation are fine; these differ in',
    'test_kmeans_max_iter': 'kmeans ran 1 iteration(s) where 2 were due: one iteration is one assignment and',
}
