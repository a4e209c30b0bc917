"""Each centre set to the sum of its points, not their mean."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'update_centers': '''
def update_centers(X, labels, k):
    X = np.asarray(X, dtype=float)
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    dist = ((X - (sums / np.maximum(counts, 1)[:, None])[labels]) ** 2).sum(axis=1)
    for j, i in zip(np.flatnonzero(counts == 0), np.argsort(-dist, kind="stable")):
        sums[labels[i]] -= X[i]
        counts[labels[i]] -= 1
        sums[j], counts[j] = X[i], 1
    return sums
''',
}

EXPECTED = {
    'test_update_centers_visible': 'update_centers: a centre is the mean of its points: divide their sum by their',
    'test_update_centers_reference': 'update_centers: a centre is the mean of its points: divide their sum by their',
    'test_update_centers_empty': 'update_centers: a centre is the mean of its points: divide their sum by their',
}
