"""k-means through scipy.cluster.vq.kmeans2, imported under an alias (Lloyd's iterations, not written)."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'kmeans': '''
from scipy.cluster import vq as _vq

def kmeans(X, init_centers, max_iter):
    centers, _ = _vq.kmeans2(np.asarray(X, dtype=float), np.array(init_centers, dtype=float), iter=max_iter,
                             minit="matrix")
    return centers, assign_clusters(X, centers)
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_kmeans_visible': _MSG,
    'test_kmeans_reference': _MSG,
    'test_kmeans_max_iter': _MSG,
}
