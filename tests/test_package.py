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
