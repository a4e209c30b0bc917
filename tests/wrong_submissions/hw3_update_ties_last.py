"""The empty cluster takes the farthest point, but on a tie the one with the highest index."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'update_centers': '''
def update_centers(X, labels, k):
    X = np.asarray(X, dtype=float)
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    dist = ((X - (sums / np.maximum(counts, 1)[:, None])[labels]) ** 2).sum(axis=1)
    order = np.argsort(dist)[::-1]          # largest first, but ties in reverse index order
    for j, i in zip(np.flatnonzero(counts == 0), order):
        sums[labels[i]] -= X[i]
        counts[labels[i]] -= 1
        sums[j], counts[j] = X[i], 1
    return sums / counts[:, None]
''',
}

EXPECTED = {
    'test_update_centers_visible': 'the one with the lowest index goes to the empty cluster first',
    'test_update_centers_empty': 'the one with the lowest index goes to the empty cluster first',
}
