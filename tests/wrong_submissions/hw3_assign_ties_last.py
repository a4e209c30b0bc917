"""A loop comparing with <=: ties go to the highest index."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'assign_clusters': '''
def assign_clusters(X, centers):
    labels = np.zeros(len(X), dtype=int)
    for i, x in enumerate(X):
        best = np.inf
        for k, c in enumerate(centers):
            d = np.sum((x - c) ** 2)
            if d <= best:
                best, labels[i] = d, k
    return labels
''',
}

EXPECTED = {
    'test_assign_clusters_visible': 'on an exact tie (point 0, [1, 0], is exactly as far from centres [0, 1]) the point joins the lowest-index centre',
    'test_assign_clusters_reference': 'on an exact tie the point joins the lowest-index centre',
    'test_assign_clusters_1d': 'on an exact tie the point joins the lowest-index centre',
}
