"""An off-by-one loop over the centres: range(len(centers) - 1) never looks at the last centre."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'assign_clusters': '''
def assign_clusters(X, centers):
    labels = np.zeros(len(X), dtype=int)
    for i in range(len(X)):
        best = np.inf
        for k in range(len(centers) - 1):
            d = np.sum((X[i] - centers[k]) ** 2)
            if d < best:
                best, labels[i] = d, k
    return labels
''',
}

EXPECTED = {
    'test_assign_clusters_visible': 'no point joins the last centre (centre K-1 = 1): the loop over the centres stops one short',
    'test_assign_clusters_reference': 'no point joins the last centre (centre K-1): the loop over the centres stops one short',
    'test_assign_clusters_1d': 'no point joins the last centre (centre K-1): the loop over the centres stops one short',
}
