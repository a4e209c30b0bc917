"""k-means that never updates the centres; update_centers that gives NaN for an empty cluster."""

ASSIGNMENT = "hw3_kmeans"

CELLS = {
    "kmeans": '''
def kmeans(X, init_centers, max_iter):
    centers = np.array(init_centers, dtype=float)
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
    return centers, labels
''',
    "update_centers": '''
def update_centers(X, labels, k):
    return np.array([X[labels == j].mean(axis=0) for j in range(k)])
''',
}

EXPECTED = {
    "test_kmeans_visible": "the two groups are the two clusters",
    "test_kmeans_reference": "kmeans never moved the centres",
    "test_kmeans_max_iter": "kmeans never moved the centres",
    "test_update_centers_empty": "an empty cluster gave NaN",
}
