"""What hw4's EM contract says about the log-likelihood, shown on the data the book uses.

Task 7b's M-step adds nothing to the diagonal: it maximises EM's lower bound, so an iteration never
decreases the log-likelihood (up to rounding), and the homework's checks hold ``em_gmm`` to that.
With ``reg_covar`` > 0 added to the diagonal (``coursekit.mixture.fit``'s and scikit-learn's
default) the M-step no longer maximises the bound and an iteration can lower the log-likelihood,
by at most the bound lost to the regulariser (``coursekit.mixture.reg_covar_gap``, chapter 7):
seen on standardised Old Faithful for ``reg_covar`` from 1e-3 to 1e-1, each fall within that bound,
here recomputed from the eigenvalues of the weighted covariances.  The log-likelihood (a sum over
the points) is computed with scipy.stats, independently of coursekit and of the homework.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from coursekit import datasets, mixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _faithful():
    X = np.asarray(datasets.old_faithful().data, dtype=float)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _loglik(X, weights, means, covs):
    dens = sum(w * multivariate_normal(m, c).pdf(X) for w, m, c in zip(weights, means, covs))
    return float(np.sum(np.log(dens)))


def _gap(X, resp, eps):
    """The EM bound lost by adding eps to the diagonal: sum_k N_k/2 sum_j [log(1 + eps/s) - eps/(s + eps)]."""
    gap = 0.0
    for r in resp.T:
        n_k = r.sum()
        mean = r @ X / n_k
        s = np.linalg.eigvalsh((r[:, None] * (X - mean)).T @ (X - mean) / n_k)
        gap += n_k / 2 * np.sum(np.log1p(eps / s) - eps / (s + eps))
    return gap


def _em_curve(X, k, seed, reg_covar, iterations):
    """The log-likelihoods, and for each iteration the bound its regularised M-step lost."""
    rng = np.random.default_rng(seed)
    weights, means, covs = np.full(k, 1 / k), X[rng.choice(len(X), k, replace=False)], np.stack([np.eye(2)] * k)
    curve, gaps = [_loglik(X, weights, means, covs)], []
    for _ in range(iterations):
        resp = mixture.responsibilities(X, weights, means, covs)
        gaps.append(_gap(X, resp, reg_covar))
        assert mixture.reg_covar_gap(X, resp, "full", reg_covar) == pytest.approx(gaps[-1], rel=1e-8, abs=1e-12)
        weights, means, covs = mixture.m_step(X, resp, reg_covar=reg_covar)
        curve.append(_loglik(X, weights, means, covs))
    return np.array(curve), np.array(gaps)


@pytest.mark.parametrize("k", [2, 3])
def test_em_without_regulariser_never_decreases(k):
    X = _faithful()
    for seed in range(6):
        curve, gaps = _em_curve(X, k, seed, 0.0, 120)
        assert np.all(gaps == 0.0)
        assert np.all(np.diff(curve) >= -1e-9 * np.abs(curve[1:])), (seed, np.diff(curve).min())


@pytest.mark.parametrize("reg_covar, k, seed", [(1e-3, 2, 7), (1e-2, 3, 2), (1e-1, 3, 2)])
def test_em_with_regulariser_can_decrease_within_the_gap(reg_covar, k, seed):
    curve, gaps = _em_curve(_faithful(), k, seed, reg_covar, 60)
    falls = -np.diff(curve)
    assert falls.max() > 1e-5  # far beyond rounding
    assert np.all(falls <= gaps + 1e-9 * np.abs(curve[1:])), np.max(falls - gaps)


def test_homework_solution_em_never_decreases_and_records_sums():
    """The instructor's em_gmm (tasks 7a-7c) on Old Faithful: a non-decreasing list of sums."""
    sys.path.insert(0, os.path.join(ROOT, "solutions"))
    try:
        from _assignments import hw4_em
    finally:
        sys.path.pop(0)
    from scipy.special import logsumexp

    namespace = {"np": np, "logsumexp": logsumexp}
    for source in (hw4_em.HELPER, hw4_em.E_STEP, hw4_em.M_STEP, hw4_em.EM):
        exec(source, namespace)
    X = _faithful()
    rng = np.random.default_rng(3)
    init = (np.full(3, 1 / 3), X[rng.choice(len(X), 3, replace=False)], np.stack([np.eye(2)] * 3))
    weights, means, covs, lls = namespace["em_gmm"](X, *init, 200, 0.0)
    lls = np.asarray(lls)
    assert lls[0] == pytest.approx(_loglik(X, *init), rel=1e-10)
    assert lls[-1] == pytest.approx(_loglik(X, weights, means, covs), rel=1e-10)
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[1:]))
