"""k-means through scikit-learn."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
from sklearn.cluster import KMeans

def kmeans(X, init_centers, max_iter):
    km = KMeans(n_clusters=len(init_centers), init=init_centers, n_init=1, max_iter=max_iter).fit(X)
    return km.cluster_centers_, km.labels_
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_kmeans_visible': _MSG,
    'test_kmeans_reference': _MSG,
    'test_kmeans_max_iter': _MSG,
}
