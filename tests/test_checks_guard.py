"""The in-kernel guard of coursekit.checks (fast, in-process): what every check relies on.

Delegation in every way a student can reach coursekit, scipy.stats, scipy.cluster or scikit-learn; impostor
outputs; tampering from the notebook and from inside the graded function; earlier tasks replaced
by the reference and put back.  The per-assignment messages are in test_homework_checks.py, the
end-to-end behaviour through nbgrader in test_homework_grading.py.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import coursekit.checks  # noqa: F401  (seals the checks)
from coursekit import gaussian, kmeans, mixture
from coursekit.checks import _guard
from coursekit.checks import hw1_gaussian as hw1
from coursekit.checks import hw2_sampling as hw2
from coursekit.checks import hw3_kmeans as hw3


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
    hw1.check_pdf_matches_reference(_pdf, seeds=[1, 2, 3])
    hw1.check_pdf_one_dimensional(_pdf, seeds=[4])
    hw1.check_mle_cov(_mle, seeds=[5, 6])
    hw1.visible_gaussian_pdf(_pdf)
    hw1.visible_mle_gaussian(_mle)


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
@pytest.mark.parametrize("check", [lambda f: hw1.check_pdf_matches_reference(f, seeds=[1]),
                                   lambda f: hw1.visible_gaussian_pdf(f)])
def test_rejects_array_impostors(value, check):
    def answer(X, mean, cov):
        return value((X, mean, cov))

    with pytest.raises(AssertionError) as exc:
        check(answer)
    assert "must be a NumPy array" in _message(exc) or "must hold numbers" in _message(exc)


def test_rejects_wrong_shape_and_nan():
    with pytest.raises(AssertionError, match=r"shape"):
        hw1.check_pdf_matches_reference(lambda X, m, c: _pdf(X, m, c)[:, None], seeds=[1])
    with pytest.raises(AssertionError, match="NaN"):
        hw1.check_pdf_matches_reference(lambda X, m, c: _pdf(X, m, c) * np.nan, seeds=[1])
    with pytest.raises(AssertionError, match="None: does the function end with a return"):
        hw1.visible_gaussian_pdf(lambda X, m, c: None)


def test_monkeypatched_numpy_does_not_fool_the_check():
    saved = np.allclose, np.array_equal
    try:
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        with pytest.raises(AssertionError):
            hw1.check_pdf_matches_reference(lambda X, m, c: np.ones(X.shape[0]), seeds=[1])
    finally:
        np.allclose, np.array_equal = saved


# ---------------------------------------------------------------------------------------------
# Delegation: however the reference is reached, the function scores zero.

_ALIAS_PDF = gaussian.pdf
_ALIAS_PRIVATE = gaussian._logpdf if hasattr(gaussian, "_logpdf") else gaussian.logpdf
_MODULE = gaussian


def _closure_over(f):
    def answer(X, m, c):
        return f(X, m, c)
    return answer


class _Holder:
    @staticmethod
    def pdf(X, m, c):
        return gaussian.pdf(X, m, c)


def _default_arg(X, m, c, _f=gaussian.pdf):
    return _f(X, m, c)


def _swallow(X, m, c):
    try:
        return gaussian.pdf(X, m, c)
    except BaseException:  # the guard raises nothing: the call is recorded
        return _pdf(X, m, c)


def _private_then_own(X, m, c):
    _ALIAS_PRIVATE(X, m, c)  # the result is thrown away: the call still counts
    return _pdf(X, m, c)


DELEGATIONS = {
    "module attribute": lambda X, m, c: gaussian.pdf(X, m, c),
    "alias imported before": lambda X, m, c: _ALIAS_PDF(X, m, c),
    "private function": lambda X, m, c: np.exp(_ALIAS_PRIVATE(X, m, c)),
    "module object alias": lambda X, m, c: getattr(_MODULE, "pdf")(X, m, c),
    "importlib": lambda X, m, c: importlib.import_module("coursekit.gaussian").pdf(X, m, c),
    "__import__": lambda X, m, c: __import__("coursekit.gaussian", fromlist=["pdf"]).pdf(X, m, c),
    "sys.modules": lambda X, m, c: sys.modules["coursekit.mixture"].logpdf(X, np.ones(1), m[None], c[None]).__array__()
    and np.exp(sys.modules["coursekit.mixture"].logpdf(X, np.ones(1), m[None], c[None])),
    "closure": _closure_over(gaussian.pdf),
    "staticmethod": _Holder.pdf,
    "default argument": _default_arg,
    "swallowed": _swallow,
    "result thrown away": _private_then_own,
    "scipy.stats frozen": lambda X, m, c: __import__("scipy.stats").stats.multivariate_normal(m, c).pdf(X).reshape(-1),
    "scipy.stats function": lambda X, m, c: __import__("scipy.stats").stats.multivariate_normal.pdf(X, m, c).reshape(-1),
    "scipy.stats private": lambda X, m, c: (__import__("scipy.stats._multivariate").stats._multivariate._PSD(c),
                                            _pdf(X, m, c))[1],
    "scipy.stats 1-D": lambda X, m, c: __import__("scipy.stats").stats.norm.pdf(X[:, 0]) * 0 + _pdf(X, m, c),
}


@pytest.mark.parametrize("name", sorted(DELEGATIONS))
def test_delegation_scores_zero(name):
    with pytest.raises(AssertionError) as exc:
        hw1.check_pdf_matches_reference(DELEGATIONS[name], seeds=[1])
    assert _message(exc) == _guard.DELEGATION_MESSAGE
    with pytest.raises(AssertionError) as exc:
        hw1.visible_gaussian_pdf(DELEGATIONS[name])
    assert _guard.DELEGATION_MESSAGE in _message(exc)


def test_sklearn_delegation_scores_zero():
    from sklearn.cluster import KMeans

    def km(X, init, max_iter):
        fit = KMeans(len(init), init=init, n_init=1, max_iter=max_iter).fit(X)
        return fit.cluster_centers_, fit.labels_

    with pytest.raises(AssertionError) as exc:
        hw3.check_kmeans_matches_reference(km, seeds=[1])
    assert _message(exc) == _guard.DELEGATION_MESSAGE


def test_compiled_reference_called_through_an_alias_scores_zero():
    """A Cython function of scikit-learn runs no Python code the profile hook could see."""
    from sklearn.metrics import _pairwise_distances_reduction as reduction  # noqa: F401
    from sklearn.utils import _cython_blas

    namespace = {"__name__": "__main__", "np": np, "_dot": _cython_blas._dot_memview if hasattr(
        _cython_blas, "_dot_memview") else None}
    if namespace["_dot"] is None:
        pytest.skip("no compiled function to try in this scikit-learn")
    exec("def assign_clusters(X, centers):\n"
         "    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)\n"
         "    try:\n"
         "        _dot(X[0], X[0])\n"
         "    except BaseException:\n"
         "        pass\n"
         "    return np.argmin(d2, axis=1)\n", namespace)
    with pytest.raises(AssertionError) as exc:
        hw3.check_assign_matches_reference(namespace["assign_clusters"], seeds=[501])
    assert _message(exc) == _guard.DELEGATION_MESSAGE
    assert namespace["_dot"] is not None and type(namespace["_dot"]).__name__ != "_Recorder"  # put back


# scipy.cluster's compiled vq (a Cython function: no Python code the profile hook could see) gives
# assign_clusters' answer.  Held anywhere but a module's namespace -- a default argument, a
# closure, a class attribute, a container, a partial, an instance -- it was once called unseen.
_HOLD_VQ = {
    "default argument": "def assign_clusters(X, centers, _f=_vq.vq):\n    return _call(_f, X, centers)\n",
    "keyword-only default": "def assign_clusters(X, centers, *, _f=_vq.vq):\n    return _call(_f, X, centers)\n",
    "closure": "def _make(f):\n    def assign_clusters(X, centers):\n        return _call(f, X, centers)\n"
               "    return assign_clusters\nassign_clusters = _make(_vq.vq)\n",
    "class attribute": "class _A:\n    f = _vq.vq\ndef assign_clusters(X, centers):\n    return _call(_A.f, X, centers)\n",
    "staticmethod": "class _A:\n    f = staticmethod(_vq.vq)\ndef assign_clusters(X, centers):\n"
                    "    return _call(_A().f, X, centers)\n",
    "list": "_L = [_vq.vq]\ndef assign_clusters(X, centers):\n    return _call(_L[0], X, centers)\n",
    "list of numbers": "_L = [1.0, 2, 'x', None] * 1000 + [_vq.vq]\ndef assign_clusters(X, centers):\n"
                       "    return _call(_L[-1], X, centers)\n",
    "dict dressed as a module's": "_D = {'__name__': 'scipy.cluster._vq', '__spec__': None, 'f': _vq.vq}\n"
                                  "def assign_clusters(X, centers):\n    return _call(_D['f'], X, centers)\n",
    "dict in a tuple": "_T = ({'f': _vq.vq},)\ndef assign_clusters(X, centers):\n    return _call(_T[0]['f'], X, centers)\n",
    "tuple in a default": "def assign_clusters(X, centers, _t=(0, (_vq.vq,))):\n    return _call(_t[1][0], X, centers)\n",
    "set": "_S = {_vq.vq}\ndef assign_clusters(X, centers):\n    return _call(next(iter(_S)), X, centers)\n",
    "partial": "import functools\n_p = functools.partial(_vq.vq)\ndef assign_clusters(X, centers):\n"
               "    return _call(_p, X, centers)\n",
    "instance attribute": "class _B:\n    pass\n_b = _B()\n_b.f = _vq.vq\ndef assign_clusters(X, centers):\n"
                          "    return _call(_b.f, X, centers)\n",
    "private helper's default": "def _helper(X, C, _f=_vq.vq):\n    return _call(_f, X, C)\n"
                                "def assign_clusters(X, centers):\n    return _helper(X, centers)\n",
    "dict key": "_K = {'a': 1, _vq.vq: 2, 'b': 3}\ndef assign_clusters(X, centers):\n"
                "    return _call([k for k in _K if not isinstance(k, str)][0], X, centers)\n",
    "object array": "_O = np.empty((2, 2), dtype=object)\n_O[1, 0] = _vq.vq\n"
                    "def assign_clusters(X, centers):\n    return _call(_O[1, 0], X, centers)\n",
    "read-only object array": "_O = np.array([None, 0.5, _vq.vq], dtype=object)\n_O.flags.writeable = False\n"
                              "def assign_clusters(X, centers):\n    return _call(_O[2], X, centers)\n",
    "object array column": "_O = np.empty((3, 2), dtype=object)\n_O[2, 1] = _vq.vq\n_C = _O[:, 1]\ndel _O\n"
                           "def assign_clusters(X, centers):\n    return _call(_C[2], X, centers)\n",
    "SimpleNamespace": "import types\n_n = types.SimpleNamespace(f=_vq.vq)\ndef assign_clusters(X, centers):\n"
                       "    return _call(_n.f, X, centers)\n",
}


@pytest.mark.parametrize("how", sorted(_HOLD_VQ))
def test_compiled_reference_held_by_the_student_s_objects_scores_zero(how):
    import scipy.cluster._vq as vq_module

    vq = vq_module.vq
    assert type(vq).__name__.endswith("cython_function_or_method")  # compiled: the case this is about

    def call(f, X, centers):
        return f(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(centers, dtype=float))[0].astype(int)

    namespace = {"__name__": "__main__", "np": np, "_vq": vq_module, "_call": call}
    exec(_HOLD_VQ[how], namespace)
    student = namespace["assign_clusters"]
    with pytest.raises(AssertionError) as exc:
        hw3.check_assign_matches_reference(student, seeds=[501])
    assert _message(exc) == _guard.DELEGATION_MESSAGE
    with pytest.raises(AssertionError) as exc:
        hw3.visible_assign_clusters(student)
    assert _guard.DELEGATION_MESSAGE in _message(exc)
    # Everything the student's objects held is theirs again afterwards, and still works.
    X = np.array([[0.0, 0.0], [3.0, 0.1]])
    assert list(student(X, np.array([[0.0, 0.0], [3.0, 0.0]]))) == [0, 1]
    held = [student.__defaults__, student.__kwdefaults__, namespace.get("_L"), namespace.get("_S"),
            namespace.get("_T"), vars(namespace["_A"]).get("f") if "_A" in namespace else None,
            getattr(namespace.get("_b"), "f", None), getattr(namespace.get("_p"), "func", None),
            namespace.get("_K"), namespace.get("_O"), namespace.get("_C"), namespace.get("_n")]
    assert "_Recorder" not in repr(held)
    if "_K" in namespace:  # the key is back, in its place among the others
        assert list(namespace["_K"].items()) == [("a", 1), (vq, 2), ("b", 3)]
    if "_O" in namespace:
        assert vq in list(namespace["_O"].flat)
        assert namespace["_O"].flags.writeable == (how != "read-only object array")
    if "_C" in namespace:
        assert namespace["_C"][2] is vq


def test_fresh_import_inside_the_function_scores_zero():
    """Importing scikit-learn for the first time runs its code: that alone counts."""
    import sklearn

    saved = {name: module for name, module in sys.modules.items() if name.startswith("sklearn.mixture")}
    had = vars(sklearn).get("mixture")  # (getattr would import it: scikit-learn loads submodules lazily)
    for name in saved:
        del sys.modules[name]

    def answer(X, m, c):
        import sklearn.mixture  # noqa: F401  (a fresh import, even unused)
        return _pdf(X, m, c)

    try:
        with pytest.raises(AssertionError) as exc:
            hw1.check_pdf_matches_reference(answer, seeds=[1])
        assert _message(exc) == _guard.DELEGATION_MESSAGE
    finally:  # the modules other tests imported, as they were
        for name in [n for n in sys.modules if n.startswith("sklearn.mixture")]:
            del sys.modules[name]
        sys.modules.update(saved)
        vars(sklearn).pop("mixture", None)
        if had is not None:
            sklearn.mixture = had


def test_delegation_in_a_thread_scores_zero():
    import threading

    def answer(X, m, c):
        out = {}
        t = threading.Thread(target=lambda: out.update(p=gaussian.pdf(X, m, c)))
        t.start()
        t.join()
        return out["p"]

    with pytest.raises(AssertionError) as exc:
        hw1.check_pdf_matches_reference(answer, seeds=[1])
    assert _message(exc) == _guard.DELEGATION_MESSAGE


def test_a_process_scores_zero():
    def answer(X, m, c):
        import subprocess

        subprocess.run([sys.executable, "-c", "pass"], check=False)
        return _pdf(X, m, c)

    with pytest.raises(AssertionError) as exc:
        hw1.check_pdf_matches_reference(answer, seeds=[1])
    assert _message(exc) == _guard.PROCESS_MESSAGE


@pytest.mark.parametrize("how", ["sys.setprofile", "map", "guard internals"])
def test_switching_the_guard_off_is_tampering(how):
    def answer(X, m, c):
        if how == "sys.setprofile":
            sys.setprofile(None)
        elif how == "map":
            list(map(sys.setprofile, [None]))
        else:
            _guard.reference_backed(lambda X, m, c: gaussian.pdf(X, m, c))(X, m, c)
        return gaussian.pdf(X, m, c)

    with pytest.raises(AssertionError) as exc:
        hw1.check_pdf_matches_reference(answer, seeds=[1])
    assert _message(exc) == _guard.TAMPER_MESSAGE
    hw1.check_pdf_matches_reference(_pdf, seeds=[1])  # and the guard works again


def test_references_restored_after_the_guard():
    code = gaussian.pdf.__code__, mixture.responsibilities.__code__, kmeans.assign.__code__
    with pytest.raises(AssertionError):
        hw1.check_pdf_matches_reference(lambda X, m, c: gaussian.pdf(X, m, c), seeds=[1])
    assert (gaussian.pdf.__code__, mixture.responsibilities.__code__, kmeans.assign.__code__) == code
    assert sys.getprofile() is None
    x = np.zeros((1, 2))
    assert gaussian.pdf(x, np.zeros(2), np.eye(2))[0] == pytest.approx(1 / (2 * np.pi))
    import scipy.stats

    assert scipy.stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(np.zeros(2)) == pytest.approx(1 / (2 * np.pi))


def test_earlier_task_is_substituted_and_restored():
    """A wrong earlier function costs neither the later task's hidden tests nor its visible one."""
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
    hw3.check_kmeans_matches_reference(namespace["kmeans"], seeds=[541, 542])
    hw3.check_kmeans_max_iter(namespace["kmeans"], seeds=[551])
    hw3.visible_kmeans(namespace["kmeans"])
    assert namespace["assign_clusters"] is wrong_assign
    with pytest.raises(AssertionError, match="Task 5a"):
        hw3.visible_assign_clusters(wrong_assign)


def test_a_stand_in_takes_only_plain_arrays():
    """Student code cannot smuggle its own callable into a reference stand-in's allowed frame."""
    class Sneaky:
        def __array__(self, dtype=None, copy=None):
            gaussian.pdf(np.zeros((1, 1)), np.zeros(1), np.eye(1))
            return np.zeros((1, 1))

    namespace = {"__name__": "__main__", "np": np, "Sneaky": Sneaky}
    exec("def log_likelihood(X, mean, cov):\n"
         "    gaussian_pdf(Sneaky(), mean, cov)\n"
         "    return 0.0\n", namespace)
    with pytest.raises(AssertionError) as exc:
        hw1.check_loglik_matches_reference(namespace["log_likelihood"], seeds=[201])
    assert "raised TypeError" in _message(exc) or _message(exc) == _guard.DELEGATION_MESSAGE


def test_student_exceptions_become_feedback():
    def broken(X, m, c):
        raise NotImplementedError("Task 1: write gaussian_pdf here")

    with pytest.raises(AssertionError, match=r"gaussian_pdf \(Task 1\) is not written yet"):
        hw1.check_pdf_matches_reference(broken, seeds=[1])

    def crashes(X, m, c):
        return X @ np.ones((7, 7))

    with pytest.raises(AssertionError, match="gaussian_pdf raised ValueError"):
        hw1.check_pdf_matches_reference(crashes, seeds=[1])


def test_sampling_checks_are_statistical_not_draw_by_draw():
    """A correct sampler that draws in another order than coursekit passes."""

    def sample(weights, means, covs, n, rng):
        k, d = means.shape
        z = rng.choice(k, size=n, p=weights)
        X = np.array([rng.multivariate_normal(means[j], covs[j]) for j in z]).reshape(n, d)
        return X, z

    hw2.check_sample_frequencies(sample, seeds=[401, 402])
    hw2.check_sample_moments(sample, seeds=[411])
    hw2.check_sample_reproducible(sample, seeds=[421])
    hw2.visible_sample_gmm(sample)


def test_replaced_numpy_or_reference_function_is_refused():
    saved = np.linalg.cholesky
    try:
        np.linalg.cholesky = lambda a: saved(a)
        with pytest.raises(AssertionError, match=r"replaced numpy.linalg.cholesky"):
            hw1.check_pdf_matches_reference(_pdf, seeds=[1])
    finally:
        np.linalg.cholesky = saved
    saved_pdf = gaussian.pdf
    try:
        gaussian.pdf = lambda X, m, c: np.ones(len(X))
        with pytest.raises(AssertionError, match=r"replaced coursekit.gaussian.pdf"):
            hw1.check_pdf_matches_reference(lambda X, m, c: np.ones(len(X)), seeds=[1])
    finally:
        gaussian.pdf = saved_pdf
    hw1.check_pdf_matches_reference(_pdf, seeds=[1])


# ---------------------------------------------------------------------------------------------
# Tampering with the checks from inside the graded function (found by the adversarial suite)


class _Lie(np.ndarray):
    """Claims to equal anything: every ufunc (np.allclose, ==, isclose ...) returns True."""

    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __eq__(self, other):
        return True


def test_visible_tests_reject_a_lying_ndarray_subclass():
    with pytest.raises(AssertionError, match="must be a NumPy array"):
        hw1.visible_gaussian_pdf(lambda X, m, c: np.zeros(len(X)).view(_Lie))
    with pytest.raises(AssertionError, match="must be a NumPy array"):
        hw1.visible_mle_gaussian(lambda X: (np.zeros(X.shape[1]).view(_Lie), np.eye(X.shape[1]).view(_Lie)))


def _wrong_mle(X):
    return np.zeros(X.shape[1]), np.eye(X.shape[1]) * 7.0


def _patch_close(module):
    module.close = lambda *a, **k: True
    module.fail = lambda *a, **k: None


def _patch_code(module):
    module.close.__code__ = (lambda a, b, rtol, atol: True).__code__


def _patch_numpy(module):
    np.allclose = lambda *a, **k: True
    np.all._implementation.__code__ = (lambda *a, **k: True).__code__


def _patch_builtins(module):
    import builtins

    builtins.isinstance = lambda *a: True
    builtins.abs = lambda x: 0.0
    builtins.type = lambda *a: np.ndarray


def _patch_private_namespace(module):
    # The checks' globals are a private copy of the module's namespace: reachable, but watched.
    module.check_mle_cov.__globals__["close"] = lambda *a, **k: True
    module.check_mle_cov.__globals__["fail"] = lambda *a, **k: None


def _patch_closure(module):
    for name in ("check_mle_cov", "check_mle_mean"):
        for cell in getattr(module, name).__closure__:
            if callable(cell.cell_contents):
                cell.cell_contents = lambda *a, **k: None


def _patch_own_work(module):
    _guard.own_work.__exit__ = lambda *a: False
    _patch_private_namespace(module)


def _patch_state(module):
    _guard._state["hit"] = None
    _guard._state["tampered"] = False
    vars(_guard)["_state"] = {"student": 0, "hit": None, "tampered": False, "process": False}


@pytest.mark.parametrize("patch", [_patch_close, _patch_code, _patch_numpy, _patch_builtins,
                                   _patch_private_namespace, _patch_closure, _patch_own_work, _patch_state])
def test_patching_from_inside_the_graded_function_scores_zero(patch):
    import builtins

    saved_globals = {m: dict(vars(m)) for m in (hw1, _guard)}
    saved_builtins = dict(vars(builtins))
    saved_np = dict(vars(np))
    saved_code = [(f, f.__code__) for f in (np.all._implementation,)]

    def mle(X):
        patch(sys.modules["coursekit.checks.hw1_gaussian"])
        return _wrong_mle(X)

    try:
        for check in (hw1.check_mle_cov, hw1.check_mle_mean):
            with pytest.raises(AssertionError) as exc:
                check(mle, seeds=[5])
            assert _message(exc) in (_guard.TAMPER_MESSAGE, "the covariance returned by mle_gaussian is not the "
                                     "maximum-likelihood (1/N) covariance", "the mean returned by mle_gaussian is "
                                     "not the sample mean (the average of the rows)")
        # everything was put back
        assert vars(builtins)["isinstance"] is saved_builtins["isinstance"]
        assert np.allclose is saved_np["allclose"]
        assert all(f.__code__ is code for f, code in saved_code)
        for m, saved in saved_globals.items():
            assert all(vars(m)[k] is v for k, v in saved.items() if callable(v))
        hw1.check_mle_cov(_mle, seeds=[5])  # a correct answer still passes
    finally:
        for d, saved in [(vars(m), s) for m, s in saved_globals.items()] + [(vars(builtins), saved_builtins),
                                                                            (vars(np), saved_np)]:
            d.update(saved)
        for f, code in saved_code:
            f.__code__ = code


def test_patching_inside_a_visible_test_fails_it():
    def mle(X):
        hw1.close = lambda *a, **k: True
        return _wrong_mle(X)

    saved = hw1.close
    try:
        with pytest.raises(AssertionError, match="tampering"):
            hw1.visible_mle_gaussian(mle)
        assert hw1.close is saved
    finally:
        hw1.close = saved


# ---------------------------------------------------------------------------------------------
# Where you stand


def test_where_you_stand_table(capsys):
    namespace = {"__name__": "__main__", "np": np, "gaussian_pdf": _pdf}
    exec("def log_likelihood(X, mean, cov):\n"
         "    raise NotImplementedError('Task 2: write log_likelihood here')\n"
         "def mle_gaussian(X):\n"
         "    return X.mean(axis=0), np.cov(X, rowvar=False)\n", namespace)
    rows = hw1.summary(namespace, rows=True)
    text = capsys.readouterr().out
    status = {r["function"]: r["status"] for r in rows}
    assert status == {"gaussian_pdf": "passed", "log_likelihood": "not written", "mle_gaussian": "failed", None: "by hand"}
    assert "Visible tests: 1 of 3 points." in text
    assert "Still to write: log_likelihood (Task 2)." in text
    assert "Hidden tests: 10 more points" in text and "Graded by hand: 4 points (Task 3b)." in text
    assert "N/(N-1)" in text  # the failing task's message


def test_where_you_stand_shows_a_failing_task_s_whole_hint(capsys):
    """The hint of a failing task is shown whole, wrapped under its row (no line over 100 characters)."""
    namespace = {"__name__": "__main__", "np": np}
    exec("def update_centers(X, labels, k):\n"  # an empty cluster stays NaN
         "    return np.stack([X[labels == j].mean(axis=0) for j in range(k)])\n", namespace)
    hw3.summary(namespace)
    text = capsys.readouterr().out
    assert all(len(line) <= 100 for line in text.splitlines()), text
    row = " ".join(text[text.index("Task 5b"):text.index("Task 5c")].split())
    assert "0/1 failed: update_centers: an empty cluster gave NaN (cluster 2 has no point), the mean of no points; " \
           "follow the docstring's rule for empty clusters" in row, text


def test_where_you_stand_never_runs_hidden_checks(monkeypatch, capsys):
    calls = []
    for name in [n for n in dir(hw1) if n.startswith("check_")]:
        monkeypatch.setattr(hw1, name, lambda *a, **k: calls.append(a))
    namespace = {"__name__": "__main__", "np": np, "gaussian_pdf": _pdf, "mle_gaussian": _mle}
    hw1.summary(namespace)
    assert calls == []


def test_where_you_stand_reuses_a_verdict_for_the_same_function(capsys):
    runs = []

    def pdf(X, m, c):
        runs.append(1)
        return _pdf(X, m, c)

    namespace = {"__name__": "__main__", "gaussian_pdf": pdf}
    hw1.visible_gaussian_pdf(pdf)
    before = len(runs)
    hw1.summary(namespace)
    assert len(runs) == before  # not run again

    def pdf2(X, m, c):
        runs.append(2)
        return _pdf(X, m, c)

    namespace["gaussian_pdf"] = pdf2
    hw1.summary(namespace)
    assert 2 in runs  # a new function is judged again


def test_where_you_stand_stops_a_function_that_never_returns(capsys):
    namespace = {"__name__": "__main__", "np": np, "mle_gaussian": lambda X: _mle(X)}  # a function not judged yet
    exec("def gaussian_pdf(X, mean, cov):\n"
         "    while True:\n"
         "        try:\n"
         "            pass\n"
         "        except Exception:\n"
         "            pass\n", namespace)
    rows = hw1.summary(namespace, time_limit=1, rows=True)
    status = {r["function"]: r["status"] for r in rows}
    assert status["gaussian_pdf"] == "did not finish" and status["mle_gaussian"] == "passed", rows
    assert sys.getprofile() is None
    hw1.check_pdf_matches_reference(_pdf, seeds=[1])  # the guard is at rest
