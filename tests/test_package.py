"""The package installs with its data and exposes its public names."""

import importlib
import warnings

import numpy as np
import pytest

import coursekit
from coursekit import _validation as v


def test_version_and_warning_class():
    assert isinstance(coursekit.__version__, str)
    assert issubclass(coursekit.ConvergenceWarning, UserWarning)


@pytest.mark.parametrize("bad, err", [(np.nan, ValueError), ("x", TypeError), (None, TypeError)])
def test_check_X_rejects_bad_values(bad, err):
    with pytest.raises(err, match="X"):
        v.check_X([[1.0, 2.0], [bad, 3.0]] if not isinstance(bad, (str, type(None))) else bad)


def _two_blobs():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 5]


def _fits(X):
    from coursekit import gaussian, kmeans, mixture

    return {"kmeans": lambda: kmeans.kmeans(X, 2, rng=0).labels,
            "gmm": lambda: mixture.fit(X, 2, rng=0).labels,
            "mle": lambda: gaussian.fit_mle(X)}


@pytest.mark.parametrize("scale", [1e200, 1e160, 1e-160, 1e-200])
@pytest.mark.parametrize("fit", ["kmeans", "gmm", "mle"])
def test_data_too_large_or_too_small_for_float64_is_a_clear_error(scale, fit):
    # At these scales squared differences overflow (a RuntimeWarning and inf) or underflow (every
    # distance 0, k-means labels silently wrong at 1e-200): say so and how to fix it.
    with pytest.raises(ValueError, match=r"^X has .*rescale X"):
        _fits(_two_blobs() * scale)[fit]()


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_data_at_extreme_but_safe_scales_cluster_as_at_scale_one(scale):
    # k-means is scale invariant: the same labels at 1e+-150 as at 1, and no warning on the way.
    from coursekit import kmeans

    X = _two_blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = kmeans.kmeans(X * scale, 2, rng=0).labels
    assert np.array_equal(labels, kmeans.kmeans(X, 2, rng=0).labels)


def test_check_X_promotes_1d_and_float32():
    X = v.check_X(np.arange(5, dtype=np.float32))
    assert X.shape == (5, 1) and X.dtype == np.float64


def test_check_cov_rejects_non_spd():
    with pytest.raises(ValueError, match="cov must be symmetric"):
        v.check_cov([[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="cov must be positive definite"):
        v.check_cov([[1.0, 2.0], [2.0, 1.0]])


def test_check_weights():
    with pytest.raises(ValueError, match="weights must be non-negative"):
        v.check_weights([1.5, -0.5])
    with pytest.raises(ValueError, match="weights must sum to 1"):
        v.check_weights([0.5, 0.4])


def test_check_rng():
    assert isinstance(v.check_rng(3), np.random.Generator)
    with pytest.raises(TypeError, match="rng"):
        v.check_rng("seed")
