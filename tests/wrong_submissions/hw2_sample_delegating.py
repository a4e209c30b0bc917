"""Sampling through scikit-learn's GaussianMixture."""

ASSIGNMENT = 'hw2_sampling'

CELLS = {
    'sample_gmm': '''
from sklearn.mixture import GaussianMixture

def sample_gmm(weights, means, covs, n, rng):
    gm = GaussianMixture(len(weights), random_state=int(rng.integers(1 << 30)))
    gm.weights_, gm.means_, gm.covariances_ = weights, means, covs
    return gm.sample(n)
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_sample_gmm_visible': _MSG,
    'test_sample_gmm_frequencies': _MSG,
    'test_sample_gmm_moments': _MSG,
    'test_sample_gmm_reproducible': _MSG,
}
