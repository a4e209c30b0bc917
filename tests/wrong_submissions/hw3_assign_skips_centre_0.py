"""An off-by-one loop over the centres: range(1, K) never looks at centre 0."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'assign_clusters': '''
def assign_clusters(X, centers):
    labels = np.zeros(len(X), dtype=int)
    for i in range(len(X)):
        best = np.inf
        for k in range(1, len(centers)):
            d = np.sum((X[i] - centers[k]) ** 2)
            if d < best:
                best, labels[i] = d, k
    return labels
''',
}

EXPECTED = {
    'test_assign_clusters_visible': 'no point joins centre 0: the centres are numbered 0 … K-1, so the loop over them must start at 0',
    'test_assign_clusters_reference': 'no point joins centre 0: the centres are numbered 0 … K-1, so the loop over them must start at 0',
    'test_assign_clusters_1d': 'no point joins centre 0: the centres are numbered 0 … K-1, so the loop over them must start at 0',
}
