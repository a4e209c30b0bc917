"""The mixture density without the weights; the categorical sampler delegates to scikit-learn."""

ASSIGNMENT = "hw2_sampling"

CELLS = {
    "gmm_pdf": '''
def gmm_pdf(X, weights, means, covs):
    return sum(gaussian_pdf(X, m, c) for m, c in zip(means, covs)) / len(weights)
''',
    "sample_gmm": '''
from sklearn.mixture import GaussianMixture

def sample_gmm(weights, means, covs, n, rng):
    gm = GaussianMixture(len(weights), random_state=int(rng.integers(1 << 30)))
    gm.weights_, gm.means_, gm.covariances_ = weights, means, covs
    return gm.sample(n)
''',
}

_MSG = "your function must not call coursekit, scipy.stats or scikit-learn"
EXPECTED = {
    "test_gmm_pdf_visible": "wrong mixture density",
    "test_gmm_pdf_reference": "each component's density must be multiplied by its weight π_k",
    "test_gmm_pdf_1d": "each component's density must be multiplied by its weight π_k",
    "test_sample_gmm_visible": _MSG,
    "test_sample_gmm_frequencies": _MSG,
    "test_sample_gmm_moments": _MSG,
    "test_sample_gmm_reproducible": _MSG,
}
