"""The empty cluster takes the farthest point, which stays in its old cluster too."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'update_centers': '''
def update_centers(X, labels, k):
    X = np.asarray(X, dtype=float)
    counts = np.bincount(labels, minlength=k)
    means = np.array([X[labels == j].mean(axis=0) if counts[j] else np.zeros(X.shape[1]) for j in range(k)])
    dist = ((X - means[labels]) ** 2).sum(axis=1)
    order = np.argsort(-dist, kind="stable")
    for j, i in zip(np.flatnonzero(counts == 0), order):
        means[j] = X[i]
    return means
''',
}

EXPECTED = {
    'test_update_centers_visible': 'leaves its old cluster',
    'test_update_centers_empty': 'leaves its old cluster',
}
