"""Assigns each point to its farthest centre; k-means that ignores max_iter."""

ASSIGNMENT = "hw3_kmeans"

CELLS = {
    "assign_clusters": '''
def assign_clusters(X, centers):
    return np.argmax(((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)
''',
    "kmeans": '''
def kmeans(X, init_centers, max_iter):
    centers = np.array(init_centers, dtype=float)
    for _ in range(300):  # ignores max_iter
        labels = assign_clusters(X, centers)
        new = update_centers(X, labels, len(centers))
        if np.allclose(new, centers):
            break
        centers = new
    return centers, assign_clusters(X, centers)
''',
}

EXPECTED = {
    "test_assign_clusters_visible": "each point joins its nearest centre",
    "test_assign_clusters_reference": "each point joins its nearest centre (smallest distance), not the farthest",
    "test_assign_clusters_1d": "each point joins its nearest centre (smallest distance), not the farthest",
    # The visible tests run the student's own (wrong) assignment inside kmeans and quantize_colors.
    "test_quantize_colors_visible": "two colours with k = 2 must come back unchanged",
    "test_kmeans_max_iter": "kmeans must stop after max_iter iterations",
}
