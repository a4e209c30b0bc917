"""Unit tests of coursekit.autograde (fast, in-process): the hardening the hidden tests rely on.

The end-to-end behaviour through nbgrader is in test_homework_grading.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import coursekit.autograde as ag
from coursekit import gaussian, kmeans, mixture


def _pdf(X, mean, cov):
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    diff = X - mean
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return np.exp(-0.5 * maha) / np.sqrt((2 * np.pi) ** d * np.linalg.det(cov))


def _mle(X):
    X = np.asarray(X, dtype=float)
    m = X.mean(axis=0)
    return m, (X - m).T @ (X - m) / X.shape[0]


def _message(excinfo):
    return str(excinfo.value)


def test_correct_answer_passes():
    ag.check_pdf_matches_reference(_pdf, seeds=[1, 2, 3])
    ag.check_pdf_one_dimensional(_pdf, seeds=[4])
    ag.check_mle_cov(_mle, seeds=[5, 6])


def test_n_minus_1_feedback():
    def mle(X):
        return X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False))

    with pytest.raises(AssertionError) as exc:
        ag.check_mle_cov(mle, seeds=[5])
    assert _message(exc) == "your covariance matches the 1/(N-1) estimator; the MLE divides by N"


class _Sneaky(np.ndarray):
    def __eq__(self, other):  # pragma: no cover - must never be consulted
        return True

    def __array_ufunc__(self, *args, **kwargs):  # pragma: no cover
        return True


class _Fake:
    def __array__(self, dtype=None, copy=None):  # pragma: no cover - must never be called
        raise RuntimeError("__array__ was called")


@pytest.mark.parametrize("value", [
    lambda X: _pdf(X[0], X[1], X[2]).view(_Sneaky),
    lambda X: _Fake(),
    lambda X: [_Fake()] * X[0].shape[0],
    lambda X: np.array([object()] * X[0].shape[0]),
])
def test_rejects_array_impostors(value):
    def answer(X, mean, cov):
        return value((X, mean, cov))

    with pytest.raises(AssertionError) as exc:
        ag.check_pdf_matches_reference(answer, seeds=[1])
    assert "must be a NumPy array" in _message(exc) or "must hold numbers" in _message(exc)


def test_rejects_wrong_shape_and_nan():
    with pytest.raises(AssertionError, match=r"shape"):
        ag.check_pdf_matches_reference(lambda X, m, c: _pdf(X, m, c)[:, None], seeds=[1])
    with pytest.raises(AssertionError, match="NaN"):
        ag.check_pdf_matches_reference(lambda X, m, c: _pdf(X, m, c) * np.nan, seeds=[1])


def test_monkeypatched_numpy_does_not_fool_the_check():
    saved = np.allclose, np.array_equal
    try:
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        with pytest.raises(AssertionError):
            ag.check_pdf_matches_reference(lambda X, m, c: np.ones(X.shape[0]), seeds=[1])
    finally:
        np.allclose, np.array_equal = saved


@pytest.mark.parametrize("delegate", [
    lambda X, m, c: gaussian.pdf(X, m, c),
    lambda X, m, c: np.exp(gaussian._logpdf(X, m, c)),
    lambda X, m, c: __import__("scipy.stats").stats.multivariate_normal(m, c).pdf(X).reshape(-1),
    lambda X, m, c: __import__("scipy.stats").stats.multivariate_normal.pdf(X, m, c).reshape(-1),
])
def test_delegation_scores_zero(delegate):
    with pytest.raises(AssertionError) as exc:
        ag.check_pdf_matches_reference(delegate, seeds=[1])
    assert _message(exc) == ag.DELEGATION_MESSAGE


def test_delegation_caught_even_if_swallowed():
    def sneaky(X, m, c):
        try:
            return gaussian.pdf(X, m, c)
        except BaseException:
            return _pdf(X, m, c)

    with pytest.raises(AssertionError) as exc:
        ag.check_pdf_matches_reference(sneaky, seeds=[1])
    assert _message(exc) == ag.DELEGATION_MESSAGE


def test_sklearn_delegation_scores_zero():
    from sklearn.cluster import KMeans

    def km(X, init, max_iter):
        fit = KMeans(len(init), init=init, n_init=1, max_iter=max_iter).fit(X)
        return fit.cluster_centers_, fit.labels_

    with pytest.raises(AssertionError) as exc:
        ag.check_kmeans_matches_reference(km, seeds=[1])
    assert _message(exc) == ag.DELEGATION_MESSAGE


def test_references_restored_after_the_guard():
    code = gaussian.pdf.__code__, mixture.responsibilities.__code__, kmeans.assign.__code__
    with pytest.raises(AssertionError):
        ag.check_pdf_matches_reference(lambda X, m, c: gaussian.pdf(X, m, c), seeds=[1])
    assert (gaussian.pdf.__code__, mixture.responsibilities.__code__, kmeans.assign.__code__) == code
    x = np.zeros((1, 2))
    assert gaussian.pdf(x, np.zeros(2), np.eye(2))[0] == pytest.approx(1 / (2 * np.pi))
    import scipy.stats

    assert scipy.stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(np.zeros(2)) == pytest.approx(1 / (2 * np.pi))


def test_earlier_task_is_substituted_and_restored():
    """A wrong earlier function does not cost the later task; the notebook's name comes back."""
    namespace = {"__name__": "__main__", "np": np}
    exec(
        "def assign_clusters(X, centers):\n"
        "    return np.zeros(len(X), dtype=int)  # wrong\n"
        "def update_centers(X, labels, k):\n"
        "    return np.stack([X[labels == j].mean(axis=0) for j in range(k)])\n"
        "def kmeans(X, init_centers, max_iter):\n"
        "    centers, prev = np.array(init_centers, float), None\n"
        "    for _ in range(max_iter):\n"
        "        labels = assign_clusters(X, centers)\n"
        "        if prev is not None and np.array_equal(labels, prev):\n"
        "            break\n"
        "        centers, prev = update_centers(X, labels, len(centers)), labels\n"
        "    return centers, assign_clusters(X, centers)\n",
        namespace,
    )
    wrong_assign = namespace["assign_clusters"]
    ag.check_kmeans_matches_reference(namespace["kmeans"], seeds=[541, 542])
    ag.check_kmeans_max_iter(namespace["kmeans"], seeds=[551])
    assert namespace["assign_clusters"] is wrong_assign


def test_student_exceptions_become_feedback():
    def broken(X, m, c):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        ag.check_pdf_matches_reference(broken, seeds=[1])

    def crashes(X, m, c):
        return X @ np.ones((7, 7))

    with pytest.raises(AssertionError, match="gaussian_pdf raised ValueError"):
        ag.check_pdf_matches_reference(crashes, seeds=[1])


def test_sampling_checks_are_statistical_not_draw_by_draw():
    """A correct sampler that draws in another order than coursekit passes."""

    def sample(weights, means, covs, n, rng):
        k, d = means.shape
        z = rng.choice(k, size=n, p=weights)
        X = np.array([rng.multivariate_normal(means[j], covs[j]) for j in z]).reshape(n, d)
        return X, z

    ag.check_sample_frequencies(sample, seeds=[401, 402])
    ag.check_sample_moments(sample, seeds=[411])
    ag.check_sample_reproducible(sample, seeds=[421])


def test_replaced_numpy_function_is_refused():
    saved = np.linalg.cholesky
    try:
        np.linalg.cholesky = lambda a: saved(a)
        with pytest.raises(AssertionError, match=r"replaced numpy.linalg.cholesky"):
            ag.check_pdf_matches_reference(_pdf, seeds=[1])
    finally:
        np.linalg.cholesky = saved
    ag.check_pdf_matches_reference(_pdf, seeds=[1])


# ---------------------------------------------------------------------------------------------
# Two attacks found by the adversarial suite (tests/adversarial/cases.py)


class _Lie(np.ndarray):
    """Claims to equal anything: every ufunc (np.allclose, ==, isclose ...) returns True."""

    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __eq__(self, other):
        return True


def _visible_tests(assignment):
    """The visible test cells of a solution source, as code."""
    import importlib
    import os
    import sys

    solutions = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "solutions")
    if solutions not in sys.path:
        sys.path.insert(0, solutions)
    module = importlib.import_module(f"_assignments.{assignment}")
    return {c["id"]: c["text"] for c in module.CELLS if c["kind"] == "tests" and "HIDDEN" not in c["text"]}


@pytest.mark.parametrize("test_id, answers", [
    ("test_gaussian_pdf_visible", {"gaussian_pdf": lambda X, m, c: np.zeros(len(X)).view(_Lie)}),
    ("test_mle_gaussian_visible", {"mle_gaussian": lambda X: (np.zeros(2).view(_Lie), np.eye(2).view(_Lie))}),
])
def test_visible_tests_reject_a_lying_ndarray_subclass(test_id, answers):
    code = _visible_tests("hw1_gaussian")[test_id]
    namespace = {"np": np, "_ag": ag, **answers}
    with pytest.raises(AssertionError, match="must be a NumPy array"):
        exec(code, namespace)


def test_visible_helpers():
    assert ag.allclose(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12])
    assert not ag.allclose([1.0, 2.0], [1.0, 3.0])
    assert not ag.allclose([1.0, 2.0], [1.0, 2.0, 3.0])
    assert ag.array_equal([0, 1], np.array([0.0, 1.0]))
    with pytest.raises(AssertionError, match="must be a NumPy array"):
        ag.allclose(np.zeros(2).view(_Lie), [0.0, 0.0])
    with pytest.raises(AssertionError, match=r"shape \(3,\) but must have shape \(2,\)"):
        ag.plain_array(np.zeros(3), "p", shape=(2,))
    assert type(ag.plain_array([1, 2], "p")) is np.ndarray
    assert ag.plain_number(np.float64(2.5)) == 2.5


def _wrong_mle(X):
    return np.zeros(X.shape[1]), np.eye(X.shape[1]) * 7.0


def _patch_close(ag_module):
    ag_module._close = lambda *a, **k: True
    ag_module._fail = lambda *a, **k: None


def _patch_code(ag_module):
    ag_module._close.__code__ = (lambda a, b, rtol, atol: True).__code__


def _patch_numpy(ag_module):
    np.allclose = lambda *a, **k: True
    np.all._implementation.__code__ = (lambda *a, **k: True).__code__


def _patch_builtins(ag_module):
    import builtins

    builtins.isinstance = lambda *a: True
    builtins.abs = lambda x: 0.0
    builtins.type = lambda *a: np.ndarray


def _patch_private_namespace(ag_module):
    # The checks' globals are a private copy of the module's namespace: reachable, but watched.
    ag_module.check_mle_cov.__globals__["_close"] = lambda *a, **k: True
    ag_module.check_mle_cov.__globals__["_fail"] = lambda *a, **k: None


def _patch_closure(ag_module):
    for name in ("check_mle_cov", "check_mle_mean"):
        for cell in getattr(ag_module, name).__closure__:
            if callable(cell.cell_contents):
                cell.cell_contents = lambda *a, **k: None


def _patch_own_work(ag_module):
    ag_module.own_work.__exit__ = lambda *a: False
    ag_module._state["allow"] = 1
    _patch_private_namespace(ag_module)


@pytest.mark.parametrize("patch", [_patch_close, _patch_code, _patch_numpy, _patch_builtins,
                                   _patch_private_namespace, _patch_closure, _patch_own_work])
def test_patching_from_inside_the_graded_function_scores_zero(patch):
    import builtins
    import sys

    saved_globals = dict(vars(ag))
    saved_builtins = dict(vars(builtins))
    saved_np = dict(vars(np))
    saved_code = [(f, f.__code__) for f in (ag._close.__wrapped__ if hasattr(ag._close, "__wrapped__") else ag._close,
                                            np.all._implementation)]

    def mle(X):
        patch(sys.modules["coursekit.autograde"])
        return _wrong_mle(X)

    try:
        for check in (ag.check_mle_cov, ag.check_mle_mean):
            with pytest.raises(AssertionError) as exc:
                check(mle, seeds=[5])
            assert _message(exc) == ag.TAMPER_MESSAGE
        # everything was put back
        assert vars(builtins)["isinstance"] is saved_builtins["isinstance"]
        assert np.allclose is saved_np["allclose"]
        assert all(f.__code__ is code for f, code in saved_code)
        assert all(vars(ag)[k] is v for k, v in saved_globals.items() if callable(v))
        ag.check_mle_cov(_mle, seeds=[5])  # a correct answer still passes
    finally:
        for d, saved in ((vars(ag), saved_globals), (vars(builtins), saved_builtins), (vars(np), saved_np)):
            d.update(saved)
        for f, code in saved_code:
            f.__code__ = code


def test_patching_inside_a_visible_test_fails_it():
    def mle(X):
        ag.allclose = lambda *a, **k: True
        return _wrong_mle(X)

    code = _visible_tests("hw1_gaussian")["test_mle_gaussian_visible"]
    saved = ag.allclose
    try:
        with pytest.raises(AssertionError, match="tampering"):
            exec(code, {"np": np, "_ag": ag, "mle_gaussian": mle})
        assert ag.allclose is saved
    finally:
        ag.allclose = saved
