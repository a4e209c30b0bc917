"""Checks that the homework's hidden test cells call (nbgrader assignments in ``solutions/``).

Each ``check_*`` function grades one property of one student function against ``coursekit`` on
several random instances drawn from fixed seeds, and raises ``AssertionError`` with a feedback
message that names the likely misconception (never the expected values).  A test cell is all or
nothing in nbgrader, so partial credit comes from several cells per function, each calling one
check.

Hardening (the student's code runs in the same kernel as the checks):

* reference values are computed *before* the student's function runs;
* the student's outputs are turned into plain float64 arrays by functions captured when this
  module is imported, only after checking that their type is exactly ``ndarray``, ``list``,
  ``tuple`` or a real scalar (subclasses and objects with ``__array__``/``__eq__`` tricks are
  rejected); shapes and finiteness are checked before anything is compared;
* while the student's function runs (:func:`own_work`), coursekit's functions, the densities and
  samplers of ``scipy.stats`` and scikit-learn's estimators raise a sentinel: a function that only
  delegates scores zero.  numpy, ``scipy.special`` and ``scipy.linalg`` stay allowed;
* a task that uses an earlier one (``em_gmm`` uses ``e_step``) is graded with coursekit's
  reference bound to the earlier function's name in the notebook while it runs, so one wrong early
  function does not cost the later points;
* the checks run in a private copy of this module's namespace (and of ``builtins``) sealed at
  import, so rebinding ``coursekit.autograde._close`` or ``builtins.len`` changes nothing they
  see; after every call of the student's code, the callables of numpy, scipy.special/linalg,
  math, builtins and this module, the ``__code__``/defaults/closures of the Python functions the
  checks rely on, and the blocking state are compared with their snapshot: any change is undone
  and the check fails with :data:`TAMPER_MESSAGE`;
* the visible tests use the same conversion and comparisons (:func:`plain_array`,
  :func:`plain_number`, :func:`allclose`, :func:`array_equal`), so an ndarray subclass that
  claims to equal anything fails them too.
"""

# The failure helper sits first and alone: IPython shows the frame that raised, and only this one.


def _raise_feedback(message):
    raise AssertionError(message) from None


import builtins  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import importlib.abc  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numpy as _np  # noqa: E402
import scipy.special as _special  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Captured at import time: student code may rebind numpy's functions, not these names.

_ndarray = _np.ndarray
_array = _np.array
_float64 = _np.float64
_zeros = _np.zeros
_ufunc_abs = _np.absolute
_ufunc_isfinite = _np.isfinite
_ufunc_subtract = _np.subtract
_ufunc_less_equal = _np.less_equal
_ufunc_multiply = _np.multiply
_ufunc_add = _np.add
_ufunc_equal = _np.equal
_and_reduce = _np.logical_and.reduce  # C-level: its behaviour cannot be swapped via __code__
_asarray = _np.asarray
_unique = _np.unique
_bincount = _np.bincount
_default_rng = _np.random.default_rng
_errstate = _np.errstate
_chdtri = _special.chdtri
_logsumexp = _special.logsumexp
_FunctionType = types.FunctionType
_type = builtins.type
_isinstance = builtins.isinstance
_len = builtins.len
_float = builtins.float
_int = builtins.int
_getattr = builtins.getattr
_tuple = builtins.tuple
_bool = builtins.bool
_getframe = sys._getframe
_SCALAR_TYPES = (float, int, _np.float64, _np.float32, _np.float16, _np.int64, _np.int32,
                 _np.int16, _np.int8, _np.uint64, _np.uint32, _np.uint16, _np.uint8)
_INT_SCALAR_TYPES = (int, _np.int64, _np.int32, _np.int16, _np.int8, _np.uint64, _np.uint32,
                     _np.uint16, _np.uint8)

DELEGATION_MESSAGE = (
    "your function must not call coursekit, scipy.stats or scikit-learn: write it yourself with "
    "numpy (scipy.special and scipy.linalg are fine)"
)


TAMPER_MESSAGE = (
    "tampering: your code modified numpy, a builtin or the grader's checks while it ran; the tests "
    "cannot trust the result (do not modify numpy, builtins or coursekit.autograde)"
)


def _npall(x):
    """All elements true, by a C-level ufunc reduction (numpy's Python-level ``all`` can be swapped)."""
    return _bool(_and_reduce(_asarray(x), axis=None))


def _array_equal(a, b):
    """Same shape and equal elements, from C-level functions only."""
    a = _asarray(a)
    b = _asarray(b)
    if a.shape != b.shape:
        return False
    return _bool(_and_reduce(_ufunc_equal(a, b), axis=None))


def _snapshot_modules():
    import scipy.linalg

    modules = [_np, _np.linalg, _np.random, _np.lib, _special, scipy.linalg]
    return [(m, dict(vars(m))) for m in modules]


_SNAPSHOT = _snapshot_modules()


def _numpy_tampered():
    """The name of a numpy/scipy function the notebook replaced since this module was imported."""
    for module, names in _SNAPSHOT:
        current = vars(module)
        for key, value in names.items():
            if current.get(key, value) is not value and callable(value):
                return f"{module.__name__}.{key}"
    return None


class _Fail(Exception):
    """A graded property does not hold; the message is the feedback."""


class _Delegated(BaseException):
    """Raised inside the student's function when it calls a blocked reference.

    A BaseException, so that ``except Exception`` in the student's code does not swallow it.
    """


def _fail(message):
    raise _Fail(message)


def _hide_caller_frames(frame, hide):
    """IPython skips frames whose locals hold ``__tracebackhide__``; a cell's locals are its globals.

    Set while a check's failure propagates, so that the feedback shows the message and not the
    hidden test cell's code; cleared when the next check or visible test starts.
    """
    namespace = frame.f_globals if frame is not None else None
    if not _isinstance(namespace, dict) or namespace.get("__name__") != "__main__":
        return
    if hide:
        namespace["__tracebackhide__"] = True
    else:
        namespace.pop("__tracebackhide__", None)


def _check(func):
    """Turn a check's internal failures into a short ``AssertionError`` for the feedback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in the feedback)
        caller = _getframe(1)
        _hide_caller_frames(caller, False)
        message = None
        tampered = _numpy_tampered()
        if tampered is not None:
            _hide_caller_frames(caller, True)
            _raise_feedback(f"the notebook replaced {tampered}: the tests cannot run (do not modify numpy or scipy)")
        if _internals_tampered() | _state_tampered():
            _hide_caller_frames(caller, True)
            _raise_feedback(TAMPER_MESSAGE)
        try:
            func(*args, **kwargs)
        except _Fail as exc:
            message = exc.args[0]
        except _Delegated:
            message = DELEGATION_MESSAGE
        if _internals_tampered() | _state_tampered():  # e.g. own_work.__exit__ replaced from inside
            message = TAMPER_MESSAGE
        if message is not None:
            _hide_caller_frames(caller, True)
            _raise_feedback(message)

    return wrapper


# ---------------------------------------------------------------------------------------------
# Blocking the references while the student's code runs


_state = {"student": 0, "allow": 0, "hit": False}
_originals = {}  # key -> callable that does the real work


def _dispatch(key, args, kwargs):
    """Body of every blocked callable: raise while student code runs, else do the real work."""
    if _state["student"] and not _state["allow"]:
        _state["hit"] = True
        raise _Delegated(key)
    return _originals[key](*args, **kwargs)


_STUB_SOURCE = (
    "def _stub(*args, **kwargs):\n"
    "    return __import__('sys').modules['coursekit.autograde']._dispatch({key!r}, args, kwargs)\n"
)


@functools.lru_cache(maxsize=None)
def _stub_code(key):
    namespace = {}
    exec(compile(_STUB_SOURCE.format(key=key), "<reference>", "exec"), namespace)
    return namespace["_stub"].__code__


def _copy_function(func):
    copy = _FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    return copy


class _Patches:
    """Swap ``__code__`` of functions (so names imported earlier are blocked too) and attributes."""

    def __init__(self):
        self.code_swaps = []  # (function, original code)
        self.attr_swaps = []  # (owner, name, original value, had it in __dict__)

    def block_function(self, func, key):
        if not _isinstance(func, _FunctionType) or func.__closure__:
            return False
        if key not in _originals:
            _originals[key] = _copy_function(func)
        self.code_swaps.append((func, func.__code__))
        func.__code__ = _stub_code(key)
        return True

    def block_attribute(self, owner, name, key):
        original = owner.__dict__.get(name) if _isinstance(owner, type) else _getattr(owner, name, None)
        if original is None:
            return
        if _isinstance(original, (staticmethod, classmethod)):
            return
        if key not in _originals:
            _originals[key] = original

        def stub(*args, **kwargs):
            return _dispatch(key, args, kwargs)

        self.attr_swaps.append((owner, name, original))
        setattr(owner, name, stub)

    def restore(self):
        for func, code in reversed(self.code_swaps):
            func.__code__ = code
        for owner, name, original in reversed(self.attr_swaps):
            setattr(owner, name, original)
        self.code_swaps.clear()
        self.attr_swaps.clear()


_SKIP_MODULES = {"coursekit.autograde", "coursekit._validation", "coursekit._exceptions", "coursekit.cli",
                 "coursekit.__main__"}
_BLOCKED_IMPORT_PREFIXES = ("sklearn", "scipy.stats", "coursekit")


def _coursekit_modules():
    for name, module in list(sys.modules.items()):
        if module is None or name in _SKIP_MODULES:
            continue
        if name == "coursekit" or name.startswith("coursekit."):
            # Not delegation targets; the grading worker may also run in the kernel: leave it alone.
            if name.startswith(("coursekit.plotting", "coursekit.widgets", "coursekit.grading", "coursekit.datasets")):
                continue
            yield name, module


def _block_coursekit(patches):
    for modname, module in _coursekit_modules():
        for attr, value in list(vars(module).items()):
            if _isinstance(value, _FunctionType) and _getattr(value, "__module__", None) == modname:
                patches.block_function(value, f"{modname}.{attr}")
            elif _isinstance(value, type) and _getattr(value, "__module__", None) == modname:
                for meth_name, meth in list(vars(value).items()):
                    if _isinstance(meth, _FunctionType) and meth_name not in ("__repr__", "__str__"):
                        patches.block_function(meth, f"{modname}.{attr}.{meth_name}")
            elif _type(value).__name__ in ("CPUDispatcher", "Dispatcher") and not attr.startswith("__"):
                patches.block_attribute(module, attr, f"{modname}.{attr}")


_SCIPY_STATS_METHODS = {
    "multivariate_normal_gen": ("__call__", "pdf", "logpdf", "cdf", "logcdf", "rvs", "fit", "entropy"),
    "multivariate_normal_frozen": ("__init__", "pdf", "logpdf", "cdf", "logcdf", "rvs"),
    "rv_generic": ("__call__", "rvs", "freeze", "fit"),
    "rv_continuous": ("pdf", "logpdf", "cdf", "logcdf", "fit", "rvs"),
    "rv_discrete": ("pmf", "logpmf", "rvs"),
}


def _block_scipy_stats(patches):
    multivariate = sys.modules.get("scipy.stats._multivariate")
    infrastructure = sys.modules.get("scipy.stats._distn_infrastructure")
    for module in (multivariate, infrastructure):
        if module is None:
            continue
        for cls_name, methods in _SCIPY_STATS_METHODS.items():
            cls = _getattr(module, cls_name, None)
            if _isinstance(cls, type):
                for meth in methods:
                    if meth in cls.__dict__:
                        patches.block_attribute(cls, meth, f"scipy.stats.{cls_name}.{meth}")


def _block_sklearn(patches):
    validation = sys.modules.get("sklearn.utils._param_validation")
    if validation is not None:
        # Every estimator's fit and every public function validates its parameters through this.
        patches.block_function(validation.validate_parameter_constraints, "sklearn.validate_parameter_constraints")
    base = sys.modules.get("sklearn.base")
    if base is not None:
        for meth in ("_validate_params", "fit_predict", "fit_transform"):
            for cls in (base.BaseEstimator, base.ClusterMixin, base.TransformerMixin):
                if meth in cls.__dict__:
                    patches.block_attribute(cls, meth, f"sklearn.{cls.__name__}.{meth}")
    for modname, clsnames in (
        ("sklearn.mixture._base", ("BaseMixture",)),
        ("sklearn.cluster._kmeans", ("_BaseKMeans", "KMeans", "MiniBatchKMeans")),
        ("sklearn.discriminant_analysis", ("QuadraticDiscriminantAnalysis", "LinearDiscriminantAnalysis")),
        ("sklearn.naive_bayes", ("GaussianNB",)),
    ):
        module = sys.modules.get(modname)
        if module is None:
            continue
        for clsname in clsnames:
            cls = _getattr(module, clsname, None)
            if not _isinstance(cls, type):
                continue
            for meth in ("fit", "predict", "predict_proba", "predict_log_proba", "score_samples", "fit_predict",
                         "transform", "sample", "_e_step", "_m_step"):
                if meth in cls.__dict__:
                    patches.block_attribute(cls, meth, f"{modname}.{clsname}.{meth}")


class _ImportBlocker(importlib.abc.MetaPathFinder):
    """Importing scikit-learn, scipy.stats or coursekit for the first time inside the answer."""

    def find_spec(self, fullname, path, target=None):
        if _state["student"] and not _state["allow"] and fullname.startswith(_BLOCKED_IMPORT_PREFIXES):
            _state["hit"] = True
            raise _Delegated(fullname)
        return None


_import_blocker = _ImportBlocker()


class own_work:  # noqa: N801  (used as ``with _ag.own_work():`` in the visible tests)
    """Run the student's code with the references blocked.

    Used by the visible tests too: a call to coursekit, scipy.stats or scikit-learn inside the
    block fails with :data:`DELEGATION_MESSAGE`.
    """

    def __enter__(self):
        self._outermost = _state["student"] == 0
        self._patches = _Patches()
        if self._outermost:
            _hide_caller_frames(_getframe(1), False)
            self._namespaces = _snapshot_namespaces()
            self._allow = _state["allow"]
            _state["hit"] = False
            _block_coursekit(self._patches)
            _block_scipy_stats(self._patches)
            _block_sklearn(self._patches)
            sys.meta_path.insert(0, _import_blocker)
        _state["student"] += 1
        return self

    def __exit__(self, exc_type, exc, tb):
        __tracebackhide__ = True  # noqa: F841
        _state["student"] -= 1
        tampered = False
        if self._outermost:
            self._patches.restore()
            if _import_blocker in sys.meta_path:
                sys.meta_path.remove(_import_blocker)
            # Both run (and restore what they find changed) before the verdict.
            tampered = _restore_namespaces(self._namespaces) | _internals_tampered()
            if _state["allow"] != self._allow or _state["student"] != 0:
                _state["allow"], _state["student"] = self._allow, 0
                tampered = True
        if tampered:
            _state["hit"] = False
            _raise_feedback(TAMPER_MESSAGE)
        delegated = exc_type is not None and issubclass(exc_type, _Delegated)
        if delegated or (self._outermost and _state["hit"]):
            _state["hit"] = False
            _raise_feedback(DELEGATION_MESSAGE)
        return False


@contextlib.contextmanager
def _allowed():
    _state["allow"] += 1
    try:
        yield
    finally:
        _state["allow"] -= 1


def _reference_backed(func):
    """A stand-in for an earlier task: runs coursekit even while the student's code runs."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _allowed():
            return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _substitute(student_func, **replacements):
    """Bind coursekit-backed versions of earlier tasks to their names in the notebook."""
    namespace = _getattr(student_func, "__globals__", None)
    if not _isinstance(namespace, dict):
        main = sys.modules.get("__main__")
        namespace = vars(main) if main is not None else {}
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _call(func, name, *args, substitutes=None):
    """Call the student's function under :func:`own_work`; turn its errors into feedback."""
    if not callable(func):
        _fail(f"{name} is not a function")
    # Copies: the student's function must not see (or change) the reference's arrays.
    args = tuple(a.copy() if _type(a) is _ndarray else a for a in args)
    with contextlib.ExitStack() as stack:
        if substitutes:
            stack.enter_context(_substitute(func, **substitutes))
        try:
            with own_work(), warnings.catch_warnings(), _errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return func(*args)
        except AssertionError as exc:
            first = exc.args[0] if exc.args else None
            if _type(first) is str and first == TAMPER_MESSAGE:
                _fail(TAMPER_MESSAGE)
            if exc.args and exc.args[0] == DELEGATION_MESSAGE:
                raise _Delegated(name) from None
            _fail(f"{name} raised AssertionError: {_describe(exc)}")
        except NotImplementedError:
            _fail(f"{name} is not implemented yet (it raises NotImplementedError)")
        except Exception as exc:
            _fail(f"{name} raised {_type(exc).__name__}: {_describe(exc)}")


def _describe(exc):
    try:
        text = str(exc)
    except BaseException:
        text = "?"
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Safe conversion of the student's outputs


def _plain_leaf_ok(value):
    t = _type(value)
    return t in _SCALAR_TYPES or t is bool or t is _np.bool_


def _plain(value, what, dtype=_float64):
    """Return ``value`` as a fresh plain ndarray of ``dtype``, or fail with a type message."""
    t = _type(value)
    if t is _ndarray:
        if value.dtype.kind not in "biuf":
            _fail(f"{what} must hold numbers (got an array of dtype {value.dtype})")
        try:
            return _array(value, dtype=dtype, copy=True)
        except (ValueError, OverflowError):
            _fail(f"{what} could not be converted to numbers")
    if t in (list, tuple):
        stack = [value]
        count = 0
        while stack:
            item = stack.pop()
            count += 1
            if count > 10_000_000:
                _fail(f"{what} is too large")
            ti = _type(item)
            if ti in (list, tuple):
                stack.extend(item)
            elif ti is _ndarray:
                if item.dtype.kind not in "biuf":
                    _fail(f"{what} must hold numbers")
            elif not _plain_leaf_ok(item):
                _fail(f"{what} must be a NumPy array of numbers (found an element of type {ti.__name__})")
        try:
            return _array(value, dtype=dtype)
        except (ValueError, TypeError, OverflowError):
            _fail(f"{what} must be a rectangular array of numbers")
    if _plain_leaf_ok(value):
        return _array(value, dtype=dtype)
    _fail(f"{what} must be a NumPy array (got an object of type {t.__name__})")


def _array_of_shape(value, what, shape, dtype=_float64, finite=True):
    arr = _plain(value, what, dtype)
    if arr.shape != shape:
        if arr.size == int(_np.prod(shape)) and arr.size > 0:
            _fail(f"{what} has shape {arr.shape} but must have shape {shape} (reshape it)")
        _fail(f"{what} has shape {arr.shape} but must have shape {shape}")
    if finite and arr.dtype.kind == "f" and not _npall(_ufunc_isfinite(arr)):
        _fail(f"{what} contains NaN or infinity")
    return arr


def _scalar(value, what):
    t = _type(value)
    if t is _ndarray:
        if value.size != 1:
            _fail(f"{what} must be a single number (got an array of shape {value.shape})")
    elif not _plain_leaf_ok(value):
        _fail(f"{what} must be a number (got an object of type {t.__name__})")
    arr = _plain(value, what).reshape(-1)
    if not _npall(_ufunc_isfinite(arr)):
        _fail(f"{what} is NaN or infinite")
    return _float(arr[0])


def _tuple_of(value, what, count):
    if _type(value) not in (tuple, list) or _len(value) != count:
        _fail(f"{what} must return a tuple of {count} values")
    return value


def _close(a, b, rtol, atol):
    """|a - b| <= atol + rtol |b| elementwise, with captured ufuncs on plain arrays."""
    diff = _ufunc_abs(_ufunc_subtract(a, b))
    bound = _ufunc_add(atol, _ufunc_multiply(rtol, _ufunc_abs(b)))
    return bool(_npall(_ufunc_less_equal(diff, bound)))


# ---------------------------------------------------------------------------------------------
# For the visible tests: the same plain-array conversion and captured comparisons, as one-liners.


def plain_array(value, what="the result", shape=None):
    """``value`` as a fresh plain float64 ndarray, or ``AssertionError`` saying what is wrong.

    Only an exact ``ndarray``, a list/tuple of numbers or a number is accepted (an ndarray
    subclass could make any comparison succeed); ``shape``, if given, must match.
    """
    try:
        if shape is None:
            return _plain(value, what)
        return _array_of_shape(value, what, _tuple(shape), finite=False)
    except _Fail as exc:
        _raise_feedback(exc.args[0])


def plain_number(value, what="the result"):
    """``value`` as a Python float, or ``AssertionError`` if it is not a single real number."""
    try:
        return _scalar(value, what)
    except _Fail as exc:
        _raise_feedback(exc.args[0])


def allclose(value, expected, rtol=1e-5, atol=1e-8):
    """``np.allclose`` on plain copies, computed with ufuncs captured at import."""
    got = plain_array(value)
    ref = plain_array(expected, "the expected value")
    try:
        _np.broadcast_shapes(got.shape, ref.shape)
    except ValueError:
        return False
    return _close(got, ref, rtol, atol)


def array_equal(value, expected):
    """``np.array_equal`` on plain copies (same shape, equal elements)."""
    return _array_equal(plain_array(value), plain_array(expected, "the expected value"))


def _rng(seed):
    return _default_rng(seed)


# ---------------------------------------------------------------------------------------------
# Random instances


def _random_cov(rng, d, scale=1.0):
    """A covariance far from the identity (eigenvalues spread over a factor of ~10)."""
    q, _ = _np.linalg.qr(rng.normal(size=(d, d)))
    eig = scale * _np.exp(rng.uniform(_np.log(0.25), _np.log(3.0), size=d))
    cov = (q * eig) @ q.T
    return 0.5 * (cov + cov.T)


def _random_weights(rng, k, minimum=0.1):
    w = rng.dirichlet(_np.full(k, 2.0))
    w = minimum + (1 - k * minimum) * w
    return w / w.sum()


def _gaussian_instance(seed, d=None, n=None):
    rng = _rng(seed)
    d = int(rng.integers(2, 6)) if d is None else d
    n = int(rng.integers(5, 40)) if n is None else n
    mean = rng.normal(scale=3.0, size=d)
    cov = _random_cov(rng, d, scale=float(rng.uniform(0.5, 2.0)))
    chol = _np.linalg.cholesky(cov)
    X = mean + rng.normal(size=(n, d)) @ chol.T * 1.2
    return X, mean, cov


def _mixture_instance(seed, d=None, k=None, n=None, spread=4.0):
    rng = _rng(seed)
    d = int(rng.integers(1, 4)) if d is None else d
    k = int(rng.integers(2, 5)) if k is None else k
    weights = _random_weights(rng, k)
    means = rng.normal(scale=spread, size=(k, d))
    covs = _np.stack([_random_cov(rng, d, scale=float(rng.uniform(0.3, 1.5))) for _ in range(k)])
    n = int(rng.integers(30, 80)) if n is None else n
    z = rng.choice(k, size=n, p=weights)
    X = _np.empty((n, d))
    for j in range(k):
        idx = z == j
        X[idx] = rng.multivariate_normal(means[j], covs[j], size=int(idx.sum()))
    return X, weights, means, covs, z


def _gaussian():
    from coursekit import gaussian

    return gaussian


def _mixture():
    from coursekit import mixture

    return mixture


def _kmeans_module():
    from coursekit import kmeans

    return kmeans


def _quiet():
    """Reference computations: no warnings reach the cell's stderr."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


# =============================================================================================
# hw1_gaussian


@_check
def check_pdf_matches_reference(gaussian_pdf, seeds):
    """gaussian_pdf agrees with coursekit.gaussian.pdf for d = 2..5."""
    g = _gaussian()
    for seed in seeds:
        X, mean, cov = _gaussian_instance(seed)
        ref = g.pdf(X, mean, cov)
        got = _array_of_shape(_call(gaussian_pdf, "gaussian_pdf", X, mean, cov), "gaussian_pdf's result",
                              (X.shape[0],))
        if _close(got, ref, 1e-7, 1e-300):
            continue
        d = X.shape[1]
        # Diagnose the usual slips (each a known factor away from the reference).
        det = _np.linalg.det(cov)
        diff = X - mean
        maha = _np.einsum("ni,ij,nj->n", diff, _np.linalg.inv(cov), diff)
        maha_cov = _np.einsum("ni,ij,nj->n", diff, cov, diff)
        if _close(got, ref / _np.sqrt(det), 1e-6, 1e-300) or _close(got, ref * _np.sqrt(det), 1e-6, 1e-300):
            _fail("the normalising constant is wrong: it is (2π)^(-D/2) |Σ|^(-1/2) (the square root of the "
                  "determinant)")
        if _close(got, ref * (2 * _np.pi) ** (d / 2 - 0.5), 1e-6, 1e-300):
            _fail("the normalising constant is wrong: the power of 2π is -D/2, with D the dimension")
        if _close(got, ref * _np.exp(-0.5 * maha), 1e-6, 1e-300) or _close(got, ref * _np.exp(0.25 * maha),
                                                                               1e-6, 1e-300):
            _fail("the exponent is wrong: it is -½ (x-μ)ᵀ Σ⁻¹ (x-μ)")
        if _close(got, ref * _np.exp(0.5 * maha - 0.5 * maha_cov), 1e-6, 1e-300):
            _fail("the exponent uses Σ where it needs Σ⁻¹")
        _fail("gaussian_pdf does not match the multivariate normal density on random instances (D = 2..5)")


@_check
def check_pdf_one_dimensional(gaussian_pdf, seeds):
    """d = 1: X (n, 1), mean (1,), cov (1, 1)."""
    g = _gaussian()
    for seed in seeds:
        X, mean, cov = _gaussian_instance(seed, d=1)
        ref = g.pdf(X, mean, cov)
        got = _array_of_shape(_call(gaussian_pdf, "gaussian_pdf", X, mean, cov),
                              "gaussian_pdf's result for D = 1", (X.shape[0],))
        if not _close(got, ref, 1e-7, 1e-300):
            var = cov[0, 0]
            # The slip: reading cov as the standard deviation.
            alt = _np.exp(-0.5 * ((X[:, 0] - mean[0]) / var) ** 2) / (_np.sqrt(2 * _np.pi) * var)
            if _close(got, alt, 1e-6, 1e-300):
                _fail("for D = 1, cov holds the variance σ², not the standard deviation σ")
            _fail("gaussian_pdf is wrong for D = 1 (X of shape (n, 1), mean (1,), cov (1, 1))")


@_check
def check_loglik_matches_reference(log_likelihood, seeds):
    """log_likelihood agrees with coursekit.gaussian.log_likelihood (d = 1 included)."""
    g = _gaussian()
    for i, seed in enumerate(seeds):
        X, mean, cov = _gaussian_instance(seed, d=1 if i == 0 else None)
        ref = g.log_likelihood(X, mean, cov)
        ref_pdf = _reference_backed(lambda X, mean, cov: g.pdf(X, mean, cov))
        got = _scalar(_call(log_likelihood, "log_likelihood", X, mean, cov,
                            substitutes={"gaussian_pdf": ref_pdf}), "log_likelihood's result")
        if abs(got - ref) <= 1e-7 * max(1.0, abs(ref)):
            continue
        mean_ref = ref / X.shape[0]
        if abs(got - mean_ref) <= 1e-7 * max(1.0, abs(mean_ref)):
            _fail("log_likelihood must be the sum over the points, not the mean")
        if abs(got - _np.exp(ref)) <= 1e-7 * max(1.0, _np.exp(ref)) if ref < 700 else False:
            _fail("log_likelihood must return the log of the likelihood")
        _fail("log_likelihood does not match Σᵢ log N(xᵢ | μ, Σ) on random instances")


@_check
def check_loglik_log_space(log_likelihood, seeds):
    """Points far from the mean: the densities underflow, their logs do not."""
    g = _gaussian()
    for seed in seeds:
        rng = _rng(seed)
        d = 3
        mean = rng.normal(size=d)
        cov = _random_cov(rng, d, scale=0.05)
        X = mean + rng.normal(size=(20, d)) * 40.0
        ref = g.log_likelihood(X, mean, cov)
        ref_pdf = _reference_backed(lambda X, mean, cov: g.pdf(X, mean, cov))
        result = _call(log_likelihood, "log_likelihood", X, mean, cov, substitutes={"gaussian_pdf": ref_pdf})
        t = _type(result)
        if (t is _ndarray and result.size == 1) or _plain_leaf_ok(result):
            value = _plain(result, "log_likelihood's result").reshape(-1)
            if value.size == 1 and not _np.isfinite(value[0]):
                _fail("log_likelihood is infinite for points far from the mean: the densities underflow to 0 "
                      "there; compute log N(x | μ, Σ) directly (in log space) instead of log(pdf)")
        got = _scalar(result, "log_likelihood's result")
        if abs(got - ref) > 1e-7 * max(1.0, abs(ref)):
            _fail("log_likelihood is inaccurate for points far from the mean: compute log N(x | μ, Σ) directly "
                  "(in log space) instead of log(pdf)")


@_check
def check_mle_mean(mle_gaussian, seeds):
    g = _gaussian()
    for seed in seeds:
        X, _, _ = _gaussian_instance(seed)
        ref_mean, _ = g.fit_mle(X)
        out = _tuple_of(_call(mle_gaussian, "mle_gaussian", X), "mle_gaussian", 2)
        got = _array_of_shape(out[0], "the mean returned by mle_gaussian", ref_mean.shape)
        if not _close(got, ref_mean, 1e-9, 1e-9):
            if _close(got, X.mean(axis=1)[: got.size], 1e-9, 1e-9) if got.size <= X.shape[0] else False:
                _fail("the mean is averaged over the wrong axis: average the rows (points), axis 0")
            _fail("the mean returned by mle_gaussian is not the sample mean")


@_check
def check_mle_cov(mle_gaussian, seeds):
    g = _gaussian()
    for seed in seeds:
        X, _, _ = _gaussian_instance(seed)
        n = X.shape[0]
        _, ref_cov = g.fit_mle(X)
        out = _tuple_of(_call(mle_gaussian, "mle_gaussian", X), "mle_gaussian", 2)
        got = _array_of_shape(out[1], "the covariance returned by mle_gaussian", ref_cov.shape)
        if _close(got, ref_cov, 1e-8, 1e-10):
            continue
        if _close(got, ref_cov * n / (n - 1), 1e-8, 1e-10):
            _fail("your covariance matches the 1/(N-1) estimator; the MLE divides by N")
        centered = X - X.mean(axis=0)
        if _close(got, centered @ centered.T / n, 1e-8, 1e-10) if got.shape == (n, n) else False:
            _fail("the covariance is (x-μ)(x-μ)ᵀ summed over points: use Xcᵀ Xc (a D×D matrix)")
        if _close(got, _np.diag(_np.diag(ref_cov)), 1e-8, 1e-10):
            _fail("the covariance is missing its off-diagonal entries (the MLE is the full matrix)")
        if _close(got, X.T @ X / n, 1e-8, 1e-10):
            _fail("the covariance must be computed from the centred data x - μ")
        _fail("the covariance returned by mle_gaussian is not the maximum-likelihood (1/N) covariance")


@_check
def check_mle_one_dimensional(mle_gaussian, seeds):
    g = _gaussian()
    for seed in seeds:
        X, _, _ = _gaussian_instance(seed, d=1)
        ref_mean, ref_cov = g.fit_mle(X)
        out = _tuple_of(_call(mle_gaussian, "mle_gaussian", X), "mle_gaussian", 2)
        mean = _array_of_shape(out[0], "the mean for D = 1", (1,))
        cov = _array_of_shape(out[1], "the covariance for D = 1", (1, 1))
        if not (_close(mean, ref_mean, 1e-9, 1e-9) and _close(cov, ref_cov, 1e-8, 1e-10)):
            n = X.shape[0]
            if _close(cov, ref_cov * n / (n - 1), 1e-8, 1e-10):
                _fail("your covariance matches the 1/(N-1) estimator; the MLE divides by N")
            _fail("mle_gaussian is wrong for D = 1 (X of shape (n, 1))")


# =============================================================================================
# hw2_sampling

# A correct sampler fails a statistical check with probability about 1e-6 per check and seed
# (Bonferroni-corrected); the seeds are fixed, so a given implementation always gets the same mark.
_P_FAIL = 1e-6


def _labels(value, what, n, k):
    arr = _plain(value, what)
    if arr.shape != (n,):
        _fail(f"{what} has shape {arr.shape} but must have shape ({n},)")
    if not _npall(_ufunc_isfinite(arr)) or not _npall(arr == _np.round(arr)):
        _fail(f"{what} must hold integer component indices")
    labels = arr.astype(_np.int64)
    if labels.size and labels.min() == 1 and labels.max() == k:
        _fail(f"{what} must be component indices 0 … k-1 (yours look like 1 … k)")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        _fail(f"{what} must be component indices in 0 … k-1")
    return labels


def _sample_output(out, name, n, k, d):
    out = _tuple_of(out, name, 2)
    z = _labels(out[1], f"the labels z returned by {name}", n if n is not None else _len_or_fail(out[1], name), k)
    X = _array_of_shape(out[0], f"the points X returned by {name}", (z.shape[0], d))
    return X, z


def _len_or_fail(value, name):
    if _type(value) is _ndarray and value.ndim == 1:
        return value.shape[0]
    if _type(value) in (list, tuple):
        return _len(value)
    _fail(f"the labels returned by {name} must be a 1-D array")


def _check_moments(X, z, weights, means, covs, name):
    k, d = means.shape
    tests = k * (d + d * (d + 1) // 2)
    # two-sided normal quantile for the corrected level
    zcrit = float(_np.sqrt(_chdtri(1, _P_FAIL / tests)))
    for j in range(k):
        pts = X[z == j]
        nj = pts.shape[0]
        if nj < 30:
            continue
        m = pts.mean(axis=0)
        se = _np.sqrt(_np.diag(covs[j]) / nj)
        if _np.max(_np.abs(m - means[j]) / se) > zcrit:
            # Is the point labelled j drawn from another component?
            for other in range(k):
                if other != j and _np.max(_np.abs(m - means[other]) / _np.sqrt(_np.diag(covs[other]) / nj)) <= zcrit:
                    _fail(f"{name}: the points labelled {j} come from another component: each label z[i] must "
                          "be the component that X[i] was drawn from")
            _fail(f"{name}: the points of a component do not have that component's mean")
        c = (pts - means[j]).T @ (pts - means[j]) / nj
        var = _np.diag(covs[j])
        se_c = _np.sqrt((_np.outer(var, var) + covs[j] ** 2) / nj)
        if _np.max(_np.abs(c - covs[j]) / se_c) > zcrit:
            chol = _np.linalg.cholesky(covs[j])
            alt = [covs[j] @ covs[j], chol.T @ chol, _np.sqrt(_np.abs(covs[j])) * _np.sign(covs[j])]
            for a in alt:
                se_a = _np.sqrt((_np.outer(_np.diag(a), _np.diag(a)) + a ** 2) / nj)
                if _np.max(_np.abs(c - a) / se_a) <= zcrit:
                    _fail(f"{name}: the spread of a component's points is wrong: N(μ, Σ) is μ + L·ε with L the "
                          "Cholesky factor of Σ (L Lᵀ = Σ) and ε standard normal; a standard deviation is the "
                          "square root of the variance")
            _fail(f"{name}: the covariance of a component's points is not that component's Σ")


def _proportional_counts(n, weights):
    mixture = _mixture()
    with _quiet():
        _, z = mixture.sample(weights, _np.zeros((weights.size, 1)), _np.ones((weights.size, 1, 1)), n, rng=0,
                              method="proportional")
    return _bincount(z, minlength=weights.size)


def _sampling_instance(seed, n):
    X, weights, means, covs, _ = _mixture_instance(seed, spread=3.0)
    return weights, means, covs


@_check
def check_sample_frequencies(sample_gmm, seeds, n=6000):
    """Label frequencies match the weights (chi-square test)."""
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed, n)
        k, d = means.shape
        X, z = _sample_output(_call(sample_gmm, "sample_gmm", weights, means, covs, n, _rng(seed + 7)),
                              "sample_gmm", n, k, d)
        counts = _bincount(z, minlength=k).astype(float)
        expected = n * weights
        stat = float(((counts - expected) ** 2 / expected).sum())
        if stat > float(_chdtri(k - 1, _P_FAIL)):
            _fail("sample_gmm: the label frequencies do not match the weights: draw each label from the "
                  "categorical distribution π (a uniform number against the cumulative weights)")


@_check
def check_sample_moments(sample_gmm, seeds, n=6000):
    """Per component: the points labelled k have mean μ_k and covariance Σ_k."""
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed, n)
        k, d = means.shape
        X, z = _sample_output(_call(sample_gmm, "sample_gmm", weights, means, covs, n, _rng(seed + 7)),
                              "sample_gmm", n, k, d)
        _check_moments(X, z, weights, means, covs, "sample_gmm")


def _check_reproducible(func, name, seeds, n, fixed):
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed, n)
        k, d = means.shape
        runs = []
        for rng_seed, global_seed in ((seed, 1), (seed, 2), (seed + 1, 1)):
            _np.random.seed(global_seed)  # a sampler that uses np.random.* instead of rng changes with this
            runs.append(_sample_output(_call(func, name, weights, means, covs, n, _rng(rng_seed)), name,
                                       None if fixed else n, k, d))
        (X1, z1), (X2, z2), (X3, _) = runs
        if not (_array_equal(X1, X2) and _array_equal(z1, z2)):
            _fail(f"{name}: the same rng seed must give the same sample: draw all randomness from rng (not from "
                  "np.random.* or a new Generator)")
        if _array_equal(X1, X3):
            _fail(f"{name}: different rng seeds gave the same sample: draw all randomness from the rng passed in")


@_check
def check_sample_reproducible(sample_gmm, seeds, n=200):
    _check_reproducible(sample_gmm, "sample_gmm", seeds, n, fixed=False)


def _fixed_instance(seed, n):
    """Weights with n·π_k away from .5 ties, at least one rounding up."""
    rng = _rng(seed)
    for _ in range(1000):
        weights, means, covs = _sampling_instance(int(rng.integers(1 << 30)), n)
        frac = n * weights - _np.floor(n * weights)
        if _np.all(_np.abs(frac - 0.5) > 0.02) and _np.any(frac > 0.55) and _np.all(frac > 0.02):
            return weights, means, covs
    raise RuntimeError("no instance")  # pragma: no cover


@_check
def check_fixed_counts(sample_gmm_fixed_counts, seeds):
    """Exactly n_k = round(n·π_k) points from component k."""
    name = "sample_gmm_fixed_counts"
    cases = [_fixed_instance(seed, n) + (n,) for seed, n in zip(seeds, (101, 257, 1000, 53))]
    # Three equal weights: the total is not n (3·round(10/3) = 9).
    cases.append((_np.full(3, 1 / 3), _np.array([[0.0], [5.0], [10.0]]), _np.ones((3, 1, 1)), 10))
    for weights, means, covs, n in cases:
        k, d = means.shape
        expected = _proportional_counts(n, weights)
        out = _tuple_of(_call(sample_gmm_fixed_counts, name, weights, means, covs, n, _rng(n)), name, 2)
        z = _labels(out[1], f"the labels z returned by {name}", _len_or_fail(out[1], name), k)
        _array_of_shape(out[0], f"the points X returned by {name}", (z.shape[0], d))
        counts = _bincount(z, minlength=k)
        if _array_equal(counts, expected):
            continue
        if _array_equal(counts, _np.floor(n * weights).astype(int)):
            _fail(f"{name}: you truncated n·π_k (int() or floor) instead of rounding it to the nearest integer")
        if counts.sum() == n and counts.sum() != expected.sum():
            _fail(f"{name}: n_k must be round(n·π_k) for every component, even when the total then differs from n")
        if _np.max(_np.abs(counts - expected)) == 1:
            _fail(f"{name}: the number of points from a component is off by one: it must be round(n·π_k)")
        _fail(f"{name}: the number of points from component k must be round(n·π_k)")


@_check
def check_fixed_moments(sample_gmm_fixed_counts, seeds, n=6000):
    name = "sample_gmm_fixed_counts"
    for seed in seeds:
        weights, means, covs = _sampling_instance(seed, n)
        k, d = means.shape
        out = _tuple_of(_call(sample_gmm_fixed_counts, name, weights, means, covs, n, _rng(seed + 7)), name, 2)
        z = _labels(out[1], f"the labels z returned by {name}", _len_or_fail(out[1], name), k)
        X = _array_of_shape(out[0], f"the points X returned by {name}", (z.shape[0], d))
        _check_moments(X, z, weights, means, covs, name)


@_check
def check_fixed_reproducible(sample_gmm_fixed_counts, seeds, n=200):
    _check_reproducible(sample_gmm_fixed_counts, "sample_gmm_fixed_counts", seeds, n, fixed=True)


def _reference_gaussian_pdf():
    g = _gaussian()
    return _reference_backed(lambda X, mean, cov: g.pdf(X, mean, cov))


def _reference_gaussian_logpdf():
    g = _gaussian()
    return _reference_backed(lambda X, mean, cov: g.logpdf(X, mean, cov))


@_check
def check_gmm_pdf_matches_reference(gmm_pdf, seeds, d=None):
    """gmm_pdf agrees with exp(coursekit.mixture.logpdf)."""
    mixture = _mixture()
    for seed in seeds:
        X, weights, means, covs, _ = _mixture_instance(seed, d=d)
        ref = _np.exp(mixture.logpdf(X, weights, means, covs))
        got = _array_of_shape(_call(gmm_pdf, "gmm_pdf", X, weights, means, covs,
                                    substitutes={"gaussian_pdf": _reference_gaussian_pdf(),
                                                 "gaussian_logpdf": _reference_gaussian_logpdf()}),
                              "gmm_pdf's result", (X.shape[0],))
        if _close(got, ref, 1e-7, 1e-300):
            continue
        g = _gaussian()
        comps = _np.stack([g.pdf(X, means[j], covs[j]) for j in range(len(weights))])
        if _close(got, comps.sum(axis=0), 1e-7, 1e-300) or _close(got, comps.mean(axis=0), 1e-7, 1e-300):
            _fail("gmm_pdf: each component's density must be multiplied by its weight π_k")
        if _close(got, comps.max(axis=0), 1e-7, 1e-300):
            _fail("gmm_pdf: the mixture density is the weighted sum over all components")
        if d == 1:
            _fail("gmm_pdf is wrong for d = 1 (means of shape (k, 1), covs (k, 1, 1))")
        _fail("gmm_pdf does not match Σ_k π_k N(x | μ_k, Σ_k) on random instances")


@_check
def check_gmm_pdf_one_dimensional(gmm_pdf, seeds):
    check_gmm_pdf_matches_reference.__wrapped__(gmm_pdf, seeds, d=1)


# =============================================================================================
# hw3_kmeans


def _blobs(seed, d=None, k=None, n=None):
    rng = _rng(seed)
    d = int(rng.integers(2, 5)) if d is None else d
    k = int(rng.integers(2, 6)) if k is None else k
    n = int(rng.integers(40, 120)) if n is None else n
    true_centers = rng.normal(scale=4.0, size=(k, d))
    X = true_centers[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))
    centers = rng.normal(scale=4.0, size=(k, d))
    return X, centers, rng


def _label_output(value, name, n, k):
    arr = _plain(value, f"the labels returned by {name}")
    if arr.shape != (n,):
        _fail(f"the labels returned by {name} have shape {arr.shape} but must have shape ({n},)")
    if not _npall(_ufunc_isfinite(arr)) or not _npall(arr == _np.round(arr)):
        _fail(f"the labels returned by {name} must be integers")
    labels = arr.astype(_np.int64)
    if n and (labels.min() < 0 or labels.max() >= k):
        if labels.min() >= 1 and labels.max() <= k:
            _fail(f"the labels returned by {name} must be cluster indices 0 … k-1 (yours look like 1 … k)")
        _fail(f"the labels returned by {name} must be cluster indices 0 … k-1")
    return labels


def _reference_kmeans_loop(X, centers, max_iter):
    """The homework's kmeans contract, with coursekit's assign and update steps."""
    km = _kmeans_module()
    k = centers.shape[0]
    previous = None
    for _ in range(max_iter):
        labels = km.assign(X, centers)
        if previous is not None and _array_equal(labels, previous):
            break
        centers = km.update(X, labels, k)
        previous = labels
    return centers, km.assign(X, centers)


def _reference_assign():
    km = _kmeans_module()
    return _reference_backed(lambda X, centers: km.assign(X, centers))


def _reference_update():
    km = _kmeans_module()
    return _reference_backed(lambda X, labels, k: km.update(X, labels, k))


def _reference_kmeans():
    return _reference_backed(lambda X, init_centers, max_iter=100: _reference_kmeans_loop(
        _np.asarray(X, dtype=float), _np.asarray(init_centers, dtype=float), int(max_iter)))


@_check
def check_assign_matches_reference(assign_clusters, seeds, d=None):
    km = _kmeans_module()
    for seed in seeds:
        X, centers, _ = _blobs(seed, d=d)
        n, k = X.shape[0], centers.shape[0]
        ref = km.assign(X, centers)
        got = _label_output(_call(assign_clusters, "assign_clusters", X, centers), "assign_clusters", n, k)
        if _array_equal(got, ref):
            continue
        d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        if _array_equal(got, d2.argmax(axis=1)):
            _fail("assign_clusters: each point joins its nearest centre (smallest distance), not the farthest")
        if _array_equal(got, _np.abs(X[:, None, :] - centers[None, :, :]).sum(axis=2).argmin(axis=1)):
            _fail("assign_clusters: use the Euclidean distance, not the sum of absolute differences")
        if d == 1:
            _fail("assign_clusters is wrong for d = 1 (X of shape (n, 1), centers (k, 1))")
        _fail("assign_clusters: some points are not assigned to their nearest centre")


@_check
def check_assign_one_dimensional(assign_clusters, seeds):
    check_assign_matches_reference.__wrapped__(assign_clusters, seeds, d=1)


def _update_instance(seed, empty):
    X, centers, rng = _blobs(seed)
    k = centers.shape[0] + (1 if empty else 0)
    labels = rng.integers(0, k - (1 if empty else 0), size=X.shape[0])
    labels[: k - (1 if empty else 0)] = _np.arange(k - (1 if empty else 0))  # every other cluster is used
    if empty:
        # the empty cluster is a middle index, not the last one
        j = int(rng.integers(0, k - 1))
        labels = _np.where(labels >= j, labels + 1, labels)
    return X, labels, k


@_check
def check_update_matches_reference(update_centers, seeds):
    km = _kmeans_module()
    for seed in seeds:
        X, labels, k = _update_instance(seed, empty=False)
        ref = km.update(X, labels, k)
        got = _array_of_shape(_call(update_centers, "update_centers", X, labels, k),
                              "the centres returned by update_centers", ref.shape)
        if _close(got, ref, 1e-9, 1e-9):
            continue
        medians = _np.stack([_np.median(X[labels == j], axis=0) for j in range(k)])
        if _close(got, medians, 1e-9, 1e-9):
            _fail("update_centers: a centre moves to the mean of its points, not their median")
        _fail("update_centers: centre j must be the mean of the points labelled j")


@_check
def check_update_empty_cluster(update_centers, seeds):
    km = _kmeans_module()
    for seed in seeds:
        X, labels, k = _update_instance(seed, empty=True)
        ref = km.update(X, labels, k)
        got = _plain(_call(update_centers, "update_centers", X, labels, k), "the centres returned by update_centers")
        if got.shape != ref.shape:
            _fail(f"update_centers must return shape (k, d) = {ref.shape} even when a cluster is empty")
        if not _npall(_ufunc_isfinite(got)):
            _fail("update_centers: an empty cluster gave NaN (the mean of no points); follow the docstring's rule "
                  "for empty clusters")
        if not _close(got, ref, 1e-9, 1e-9):
            _fail("update_centers: the centre of an empty cluster (and of the cluster that lost a point to it) "
                  "does not follow the docstring's rule")


def _match_permutation(got_labels, ref_labels, k):
    """The permutation p with ref = p[got], or None if the partitions differ."""
    perm = _np.full(k, -1)
    for g, r in zip(got_labels, ref_labels):
        if perm[g] == -1:
            perm[g] = r
        elif perm[g] != r:
            return None
    if len(set(perm[perm >= 0].tolist())) != int((perm >= 0).sum()):
        return None
    return perm


def _kmeans_output(out, n, k, d):
    out = _tuple_of(out, "kmeans", 2)
    centers = _array_of_shape(out[0], "the centres returned by kmeans", (k, d))
    labels = _label_output(out[1], "kmeans", n, k)
    return centers, labels


def _kmeans_instance(seed):
    X, _, rng = _blobs(seed, n=150)
    k = int(rng.integers(3, 6))
    init = X[rng.choice(X.shape[0], size=k, replace=False)]
    return X, init


@_check
def check_kmeans_matches_reference(kmeans, seeds):
    """Run to convergence; same partition and centres as the reference (up to relabelling)."""
    subs = {"assign_clusters": _reference_assign(), "update_centers": _reference_update()}
    for seed in seeds:
        X, init = _kmeans_instance(seed)
        n, d = X.shape
        k = init.shape[0]
        ref_centers, ref_labels = _reference_kmeans_loop(X, init, 100)
        centers, labels = _kmeans_output(_call(kmeans, "kmeans", X, init, 100, substitutes=subs), n, k, d)
        if _close(centers, init, 0, 1e-12) and not _close(ref_centers, init, 0, 1e-12):
            _fail("kmeans never moved the centres: after each assignment, move every centre to the mean of its "
                  "points (the update step), and repeat")
        perm = _match_permutation(labels, ref_labels, k)
        if perm is None:
            _fail("kmeans: labels that differ only by a permutation are fine; these differ in membership (did it "
                  "run until the labels stop changing?)")
        used = perm >= 0
        if not _close(centers[used], ref_centers[perm[used]], 1e-8, 1e-8):
            _fail("kmeans: the returned centres are not the means of the returned clusters")
        nearest = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        if not _array_equal(nearest, labels):
            _fail("kmeans: the returned labels must be those of the nearest returned centre")


@_check
def check_kmeans_max_iter(kmeans, seeds):
    """max_iter caps the number of iterations (assignment + update)."""
    subs = {"assign_clusters": _reference_assign(), "update_centers": _reference_update()}
    for seed in seeds:
        X, init = _kmeans_instance(seed)
        n, d = X.shape
        k = init.shape[0]
        full_centers, _ = _reference_kmeans_loop(X, init, 100)
        for max_iter in (1, 2):
            ref_centers, ref_labels = _reference_kmeans_loop(X, init, max_iter)
            if _close(ref_centers, full_centers, 1e-12, 1e-12):
                continue  # converged already; this max_iter tells nothing
            centers, labels = _kmeans_output(_call(kmeans, "kmeans", X, init, max_iter, substitutes=subs), n, k, d)
            if _close(centers, init, 0, 1e-12):
                _fail("kmeans never moved the centres: after each assignment, move every centre to the mean of its "
                      "points (the update step)")
            if _close(centers, ref_centers, 1e-8, 1e-8):
                continue
            if _close(centers, full_centers, 1e-8, 1e-8):
                _fail("kmeans must stop after max_iter iterations (one iteration = one assignment + one update)")
            _fail("kmeans: after max_iter iterations (one iteration = one assignment + one update) the centres "
                  "are not where they should be")


def _test_image(seed, h=24, w=32):
    rng = _rng(seed)
    palette = rng.uniform(20, 235, size=(5, 3))
    rows = (_np.arange(h)[:, None] * 5 // h + _np.arange(w)[None, :] * 2 // w) % 5
    image = palette[rows] + rng.normal(scale=10.0, size=(h, w, 3))
    return _np.clip(_np.rint(image), 0, 255).astype(_np.uint8)


def _quantize_output(value, image):
    if _type(value) is not _ndarray:
        _fail(f"quantize_colors must return a NumPy array (got {_type(value).__name__})")
    if value.dtype != _np.uint8:
        _fail(f"quantize_colors must return an image of dtype uint8 (got {value.dtype}): round the centres "
              "with np.rint and convert with .astype(np.uint8)")
    if value.shape != image.shape:
        _fail(f"quantize_colors must return an image of the same shape {image.shape} (got {value.shape})")
    return _array(value, dtype=_np.uint8, copy=True)


def _quantize_subs():
    return {"kmeans": _reference_kmeans(), "assign_clusters": _reference_assign(),
            "update_centers": _reference_update()}


@_check
def check_quantize_format(quantize_colors, seeds):
    for seed in seeds:
        image = _test_image(seed)
        for k in (3, 4):
            out = _quantize_output(_call(quantize_colors, "quantize_colors", image, k, _rng(seed),
                                         substitutes=_quantize_subs()), image)
            colours = _unique(out.reshape(-1, 3), axis=0)
            if colours.shape[0] > k:
                _fail(f"quantize_colors returned {colours.shape[0]} distinct colours for k = {k}: each pixel must "
                      "take the colour of its cluster's centre")


@_check
def check_quantize_kmeans(quantize_colors, seeds):
    """Every pixel takes the (rounded) colour of its nearest centre; the centres are cluster means."""
    for seed in seeds:
        image = _test_image(seed)
        pixels = image.reshape(-1, 3).astype(float)
        for k in (3, 4):
            out = _quantize_output(_call(quantize_colors, "quantize_colors", image, k, _rng(seed),
                                         substitutes=_quantize_subs()), image).reshape(-1, 3).astype(float)
            palette = _unique(out, axis=0)
            if palette.shape[0] > k:
                _fail(f"quantize_colors returned more than k = {k} distinct colours")
            d_own = _np.sqrt(((pixels - out) ** 2).sum(axis=1))
            d_min = _np.sqrt(((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
            if _np.any(d_own > d_min + _np.sqrt(3.0) + 1e-9):
                _fail("quantize_colors: some pixels did not take the colour of their nearest centre")
            for colour in palette:
                members = pixels[_np.all(out == colour, axis=1)]
                if _np.max(_np.abs(members.mean(axis=0) - colour)) > 1.5:
                    _fail("quantize_colors: the colours are not the means of the pixels they replace: run k-means "
                          "on the pixel colours (as floats) until it converges, then round the centres")


@_check
def check_quantize_reproducible(quantize_colors, seeds):
    for seed in seeds:
        image = _test_image(seed)
        first = _quantize_output(_call(quantize_colors, "quantize_colors", image, 4, _rng(seed),
                                       substitutes=_quantize_subs()), image)
        _np.random.seed(seed + 1)
        second = _quantize_output(_call(quantize_colors, "quantize_colors", image, 4, _rng(seed),
                                        substitutes=_quantize_subs()), image)
        if not _array_equal(first, second):
            _fail("quantize_colors: the same rng seed must give the same image: draw the initial centres with rng")


# =============================================================================================
# hw4_em


def _classes_instance(seed, d=None, far=False):
    rng = _rng(seed)
    d = int(rng.integers(1, 4)) if d is None else d
    c = int(rng.integers(2, 5))
    classes = _np.sort(rng.choice(_np.arange(-3, 12), size=c, replace=False))
    priors = _random_weights(rng, c, minimum=0.1)
    means = rng.normal(scale=2.5, size=(c, d))
    covs = _np.stack([_random_cov(rng, d, scale=float(rng.uniform(0.5, 1.5))) for _ in range(c)])
    counts = _np.maximum(_np.round(priors * int(rng.integers(80, 160))).astype(int), d + 3)
    X = _np.concatenate([rng.multivariate_normal(means[j], covs[j], size=counts[j]) for j in range(c)])
    y = _np.repeat(classes, counts)
    order = rng.permutation(y.size)
    return X[order], y[order], rng


def _bayes_reference(X, y):
    g = _gaussian()
    classes = _unique(y)
    priors = _array([(y == c).mean() for c in classes])
    fits = [g.fit_mle(X[y == c]) for c in classes]
    return classes, priors, _np.stack([f[0] for f in fits]), _np.stack([f[1] for f in fits])


def _bayes_fit_output(out, c, d):
    out = _tuple_of(out, "fit_gaussian_bayes", 4)
    classes = _array_of_shape(out[0], "the classes returned by fit_gaussian_bayes", (c,))
    priors = _array_of_shape(out[1], "the priors returned by fit_gaussian_bayes", (c,))
    means = _array_of_shape(out[2], "the means returned by fit_gaussian_bayes", (c, d))
    covs = _array_of_shape(out[3], "the covariances returned by fit_gaussian_bayes", (c, d, d))
    return classes, priors, means, covs


@_check
def check_bayes_fit_priors_means(fit_gaussian_bayes, seeds):
    for seed in seeds:
        X, y, _ = _classes_instance(seed)
        classes, priors, means, covs = _bayes_reference(X, y)
        got = _bayes_fit_output(_call(fit_gaussian_bayes, "fit_gaussian_bayes", X, y), *means.shape)
        if not _array_equal(got[0], classes.astype(float)):
            _fail("fit_gaussian_bayes: classes must be the sorted distinct labels of y (as np.unique returns them)")
        if not _close(got[1], priors, 1e-9, 1e-12):
            if _close(got[1], _np.full_like(priors, 1 / priors.size), 1e-9, 1e-12):
                _fail("fit_gaussian_bayes: the priors are the class frequencies in y, not uniform")
            _fail("fit_gaussian_bayes: the prior of class c is the fraction of the points with label c")
        if not _close(got[2], means, 1e-9, 1e-9):
            _fail("fit_gaussian_bayes: the mean of class c is the mean of the points with label c")


@_check
def check_bayes_fit_covs(fit_gaussian_bayes, seeds):
    for seed in seeds:
        X, y, _ = _classes_instance(seed)
        classes, priors, means, covs = _bayes_reference(X, y)
        got = _bayes_fit_output(_call(fit_gaussian_bayes, "fit_gaussian_bayes", X, y), *means.shape)[3]
        if _close(got, covs, 1e-8, 1e-10):
            continue
        counts = _array([(y == c).sum() for c in classes], dtype=float)
        if _close(got, covs * (counts / (counts - 1))[:, None, None], 1e-8, 1e-10):
            _fail("fit_gaussian_bayes: your covariance matches the 1/(N-1) estimator; the MLE divides by N")
        _, pooled = _gaussian().fit_mle(X)
        if _close(got, _np.broadcast_to(pooled, got.shape), 1e-8, 1e-10):
            _fail("fit_gaussian_bayes: each class has its own covariance, estimated from its own points only")
        _fail("fit_gaussian_bayes: the covariance of class c is the 1/N_c covariance of the points with label c")


def _bayes_predict_instance(seed, far=False, skewed=False):
    X, y, rng = _classes_instance(seed)
    classes, priors, means, covs = _bayes_reference(X, y)
    if skewed:
        priors = _np.full(classes.size, 0.02 / (classes.size - 1))
        priors[0] = 0.98
    Xq = rng.normal(scale=3.0, size=(60, means.shape[1]))
    if far:
        Xq = Xq * 15.0 + 40.0
    g = _gaussian()
    log_post = _np.stack([_np.log(priors[j]) + g.logpdf(Xq, means[j], covs[j]) for j in range(classes.size)], axis=1)
    top2 = _np.sort(log_post, axis=1)[:, -2:]
    keep = (top2[:, 1] - top2[:, 0]) > 1e-6  # no near-ties
    return Xq[keep], classes, priors, means, covs, log_post[keep]


def _bayes_predict(predict_gaussian_bayes, seed, far=False, skewed=False):
    Xq, classes, priors, means, covs, log_post = _bayes_predict_instance(seed, far, skewed)
    ref = classes[log_post.argmax(axis=1)]
    out = _call(predict_gaussian_bayes, "predict_gaussian_bayes", Xq, classes, priors, means, covs,
                substitutes={"gaussian_pdf": _reference_gaussian_pdf(), "gaussian_logpdf": _reference_gaussian_logpdf()})
    got = _array_of_shape(out, "the labels returned by predict_gaussian_bayes", (Xq.shape[0],))
    return got, ref, Xq, classes, priors, log_post


def _fail_if_priors_ignored(got, classes, priors, log_post):
    """Name the misconception when ``got`` is the argmax of the likelihood alone."""
    no_prior = classes[(log_post - _np.log(priors)).argmax(axis=1)]
    if _array_equal(got, no_prior.astype(float)):
        _fail("predict_gaussian_bayes ignores the priors: the posterior is proportional to P(y=c) p(x | y=c)")


@_check
def check_bayes_predict_matches(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed)
        if _array_equal(got, ref.astype(float)):
            continue
        if _array_equal(got, log_post.argmax(axis=1).astype(float)):
            _fail("predict_gaussian_bayes must return class labels (classes[j]), not the indices j")
        _fail_if_priors_ignored(got, classes, priors, log_post)
        _fail("predict_gaussian_bayes does not pick the class with the largest posterior")


@_check
def check_bayes_predict_priors(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed, skewed=True)
        if not _array_equal(got, ref.astype(float)):
            _fail_if_priors_ignored(got, classes, priors, log_post)
            _fail("predict_gaussian_bayes is wrong when the priors are very unequal")


@_check
def check_bayes_predict_log_space(predict_gaussian_bayes, seeds):
    for seed in seeds:
        got, ref, Xq, classes, priors, log_post = _bayes_predict(predict_gaussian_bayes, seed, far=True)
        if not _array_equal(got, ref.astype(float)):
            _fail_if_priors_ignored(got, classes, priors, log_post)
            _fail("predict_gaussian_bayes is wrong for points far from every class: their densities underflow to "
                  "0; compare log P(y=c) + log p(x | y=c) instead")


def _em_instance(seed, d=None, k=None, n=None):
    X, weights, means, covs, _ = _mixture_instance(seed, d=d, k=k, n=n, spread=5.0)
    return X, weights, means, covs


def _e_step_subs():
    return {"gaussian_pdf": _reference_gaussian_pdf(), "gaussian_logpdf": _reference_gaussian_logpdf(),
            "gmm_pdf": _reference_backed(lambda X, w, m, c: _np.exp(_mixture().logpdf(X, w, m, c)))}


def _e_step_call(e_step, X, weights, means, covs):
    out = _call(e_step, "e_step", X, weights, means, covs, substitutes=_e_step_subs())
    return _plain(out, "the responsibilities returned by e_step")


@_check
def check_e_step_matches(e_step, seeds):
    mixture = _mixture()
    g = _gaussian()
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        ref = mixture.responsibilities(X, weights, means, covs)
        got = _e_step_call(e_step, X, weights, means, covs)
        if got.shape != ref.shape:
            _fail(f"e_step must return an array of shape (n, k) = {ref.shape} (got {got.shape})")
        if _npall(_ufunc_isfinite(got)) and _close(got, ref, 1e-7, 1e-10):
            continue
        joint = _np.stack([weights[j] * g.pdf(X, means[j], covs[j]) for j in range(weights.size)], axis=1)
        if _close(got, joint, 1e-7, 1e-300):
            _fail("e_step: responsibilities do not sum to 1 over components: divide π_k N(x | μ_k, Σ_k) by p(x), "
                  "its sum over k")
        if _close(got, joint / joint.sum(axis=0), 1e-7, 1e-300):
            _fail("e_step: normalise each row (over the components k), not each column (over the points)")
        unweighted = joint / weights
        if _close(got, unweighted / unweighted.sum(axis=1, keepdims=True), 1e-7, 1e-300):
            _fail("e_step: the responsibilities must include the mixing weights π_k")
        _fail("e_step: the responsibilities are not π_k N(x | μ_k, Σ_k) / Σ_j π_j N(x | μ_j, Σ_j)")


@_check
def check_e_step_normalised(e_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        got = _e_step_call(e_step, X, weights, means, covs)
        if got.shape != (X.shape[0], weights.size):
            _fail(f"e_step must return an array of shape (n, k) = {(X.shape[0], weights.size)} (got {got.shape})")
        if not _npall(_ufunc_isfinite(got)):
            _fail("e_step returned NaN or infinity")
        if not _close(got.sum(axis=1), _np.ones(got.shape[0]), 1e-9, 1e-9):
            _fail("e_step: responsibilities do not sum to 1 over components")
        if got.min() < -1e-12:
            _fail("e_step: responsibilities are probabilities, never negative")


@_check
def check_e_step_log_space(e_step, seeds):
    mixture = _mixture()
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed, d=2)
        X = X * 30.0 + 60.0  # far from every component: all densities underflow to 0
        ref = mixture.responsibilities(X, weights, means, covs)
        got = _e_step_call(e_step, X, weights, means, covs)
        if got.shape != ref.shape:
            _fail(f"e_step must return an array of shape (n, k) = {ref.shape} (got {got.shape})")
        if not _npall(_ufunc_isfinite(got)):
            _fail("e_step: the responsibilities are NaN for points far from every component (their densities "
                  "underflow to 0/0): compute log π_k + log N(x | μ_k, Σ_k) and normalise in log space "
                  "(scipy.special.logsumexp)")
        if not _close(got, ref, 1e-6, 1e-8):
            _fail("e_step is inaccurate for points far from every component: normalise in log space "
                  "(scipy.special.logsumexp)")


def _soft_resp(seed, X, weights, means, covs):
    mixture = _mixture()
    rng = _rng(seed + 99)
    resp = mixture.responsibilities(X, weights, means + rng.normal(scale=0.8, size=means.shape), covs)
    resp = 0.8 * resp + 0.2 * rng.dirichlet(_np.ones(weights.size), size=X.shape[0])
    return resp / resp.sum(axis=1, keepdims=True)


def _m_step_reference(X, resp):
    with _quiet():
        return _mixture().m_step(X, resp, reg_covar=0.0)


def _m_step_output(out, k, d):
    out = _tuple_of(out, "m_step", 3)
    w = _array_of_shape(out[0], "the weights returned by m_step", (k,))
    m = _array_of_shape(out[1], "the means returned by m_step", (k, d))
    c = _array_of_shape(out[2], "the covariances returned by m_step", (k, d, d))
    return w, m, c


@_check
def check_m_step_weights_means(m_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        resp = _soft_resp(seed, X, weights, means, covs)
        ref_w, ref_m, _ = _m_step_reference(X, resp)
        w, m, _ = _m_step_output(_call(m_step, "m_step", X, resp), *means.shape)
        if not _close(w, ref_w, 1e-9, 1e-12):
            if _close(w, resp.sum(axis=0), 1e-9, 1e-12):
                _fail("m_step: the weights are N_k / n (they must sum to 1), not N_k")
            _fail("m_step: the weight of component k is N_k / n with N_k = Σ_i r_ik")
        if not _close(m, ref_m, 1e-9, 1e-9):
            if _close(m, (resp.T @ X) / X.shape[0], 1e-9, 1e-9):
                _fail("m_step: the mean of component k is Σ_i r_ik x_i divided by N_k = Σ_i r_ik, not by n")
            _fail("m_step: the mean of component k is the responsibility-weighted mean Σ_i r_ik x_i / N_k")


@_check
def check_m_step_covs(m_step, seeds):
    for seed in seeds:
        X, weights, means, covs = _em_instance(seed)
        resp = _soft_resp(seed, X, weights, means, covs)
        _, ref_m, ref_c = _m_step_reference(X, resp)
        _, _, c = _m_step_output(_call(m_step, "m_step", X, resp), *means.shape)
        if _close(c, ref_c, 1e-8, 1e-10):
            continue
        Nk = resp.sum(axis=0)
        if _close(c, ref_c * (Nk / (Nk - 1))[:, None, None], 1e-8, 1e-10):
            _fail("m_step: your covariance matches the 1/(N_k - 1) estimator; the MLE divides by N_k")
        if _close(c, ref_c * (Nk / X.shape[0])[:, None, None], 1e-8, 1e-10):
            _fail("m_step: the covariance of component k is divided by N_k = Σ_i r_ik, not by n")
        unweighted = _np.stack([(X - ref_m[j]).T @ (X - ref_m[j]) / X.shape[0] for j in range(Nk.size)])
        if _close(c, unweighted, 1e-8, 1e-10):
            _fail("m_step: each point's contribution to the covariance of component k is weighted by r_ik")
        _fail("m_step: the covariance of component k is Σ_i r_ik (x_i - μ_k)(x_i - μ_k)ᵀ / N_k, around the new "
              "mean μ_k")


def _em_reference(X, weights, means, covs, max_iter, tol):
    mixture = _mixture()
    with _quiet():
        lls = [float(_np.mean(mixture.logpdf(X, weights, means, covs)))]
        for _ in range(max_iter):
            resp = mixture.responsibilities(X, weights, means, covs)
            weights, means, covs = mixture.m_step(X, resp, reg_covar=0.0)
            lls.append(float(_np.mean(mixture.logpdf(X, weights, means, covs))))
            if lls[-1] - lls[-2] < tol:
                break
    return weights, means, covs, lls


def _em_init(seed, X, weights, means, covs):
    rng = _rng(seed + 5)
    k, d = means.shape
    init_means = means + rng.normal(scale=1.0, size=(k, d))
    init_covs = _np.stack([_np.eye(d) * float(_np.var(X)) for _ in range(k)])
    return _np.full(k, 1.0 / k), init_means, init_covs


def _em_subs():
    mixture = _mixture()
    subs = _e_step_subs()
    subs["e_step"] = _reference_backed(lambda X, w, m, c: mixture.responsibilities(X, w, m, c))
    subs["m_step"] = _reference_backed(lambda X, r: _m_step_reference(X, r))
    return subs


def _em_run(em_gmm, seed, max_iter, tol):
    X, weights, means, covs = _em_instance(seed, n=200)
    init = _em_init(seed, X, weights, means, covs)
    ref = _em_reference(X, *init, max_iter, tol)
    out = _tuple_of(_call(em_gmm, "em_gmm", X, *init, max_iter, tol, substitutes=_em_subs()), "em_gmm", 4)
    k, d = means.shape
    w = _array_of_shape(out[0], "the weights returned by em_gmm", (k,))
    m = _array_of_shape(out[1], "the means returned by em_gmm", (k, d))
    c = _array_of_shape(out[2], "the covariances returned by em_gmm", (k, d, d))
    lls = out[3]
    if _type(lls) not in (list, tuple, _ndarray):
        _fail("em_gmm must return the log-likelihoods as a list of floats")
    lls = _plain(lls, "the log-likelihoods returned by em_gmm").reshape(-1)
    return (w, m, c, lls), ref, X


@_check
def check_em_matches_reference(em_gmm, seeds):
    """Final parameters after EM to convergence."""
    for seed in seeds:
        # Run to tight convergence: this check is about the E and M steps, check_em_stopping about when to stop.
        (w, m, c, _), (rw, rm, rc, rlls), X = _em_run(em_gmm, seed, 5000, 1e-13)
        if not (_close(w, rw, 1e-5, 1e-7) and _close(m, rm, 1e-5, 1e-6) and _close(c, rc, 1e-5, 1e-6)):
            _fail("em_gmm: the fitted parameters differ from EM's: alternate e_step and m_step from the given "
                  "initial parameters until the log-likelihood improves by less than tol")


@_check
def check_em_log_likelihoods(em_gmm, seeds):
    """The list holds the initial mean log-likelihood and one value per iteration."""
    for seed in seeds:
        (_, _, _, lls), (_, _, _, rlls), X = _em_run(em_gmm, seed, 500, 1e-8)
        rlls = _array(rlls)
        if lls.shape == rlls.shape and _close(lls, rlls, 1e-8, 1e-10):
            continue
        if not _npall(_ufunc_isfinite(lls)):
            _fail("em_gmm: the log-likelihoods contain NaN or infinity")
        if lls.size >= 2 and _np.any(_np.diff(lls) < -1e-9):
            _fail("em_gmm: the log-likelihood decreased during EM (it never does): check the E and M steps")
        n = X.shape[0]
        if lls.size and _close(lls[:1], rlls[:1] * n, 1e-8, 1e-10):
            _fail("em_gmm: the log-likelihoods must be means over the points (1/n Σ_i log p(x_i)), not sums")
        if lls.shape == (rlls.size - 1,) and _close(lls, rlls[1:], 1e-8, 1e-10):
            _fail("em_gmm: log_likelihoods[0] must be the log-likelihood of the initial parameters, before the "
                  "first iteration")
        if lls.size and rlls.size and not _close(lls[:1], rlls[:1], 1e-8, 1e-10):
            _fail("em_gmm: log_likelihoods[0] must be the mean log-likelihood 1/n Σ_i log p(x_i) of the initial "
                  "parameters")
        _fail("em_gmm: the list of log-likelihoods must hold the initial value, then one value after each "
              "iteration, until the improvement is below tol")


@_check
def check_em_stopping(em_gmm, seeds):
    """tol and max_iter stop EM where the docstring says."""
    for seed in seeds:
        for max_iter, tol in ((3, 0.0), (500, 1e-2)):
            (w, m, c, lls), (rw, rm, rc, rlls), X = _em_run(em_gmm, seed, max_iter, tol)
            if lls.size == len(rlls) and _close(m, rm, 1e-6, 1e-8):
                continue
            if lls.size > len(rlls):
                _fail(f"em_gmm ran too many iterations (max_iter = {max_iter}, tol = {tol:g}): stop after the first "
                      "iteration that improves the log-likelihood by less than tol, or after max_iter iterations")
            if lls.size < len(rlls):
                _fail(f"em_gmm stopped too early (max_iter = {max_iter}, tol = {tol:g}): stop after the first "
                      "iteration that improves the log-likelihood by less than tol, or after max_iter iterations")
            _fail("em_gmm: the parameters returned are not those after the last iteration")


# =============================================================================================
# Integrity: the student's function runs in this process and may patch what the checks use.


def _integrity_modules():
    import scipy.linalg

    return [builtins, math, contextlib, functools, warnings, types, importlib.abc, _np, _np.linalg, _np.random,
            _np.lib, _special, scipy.linalg, sys.modules[__name__]]


def _snapshot_namespaces():
    """The callables of the modules the checks rely on, before the student's code runs."""
    return [(d, {k: v for k, v in d.items() if callable(v)}) for d in _INTEGRITY_DICTS]


def _restore_namespaces(snapshot):
    """Put back every callable rebound since ``snapshot``; True if there was one."""
    changed = False
    for d, saved in snapshot:
        for key, value in saved.items():
            if d.get(key, _MISSING) is not value:
                d[key] = value
                changed = True
    return changed


def _python_functions():
    """Python functions whose ``__code__`` the checks depend on (directly or through numpy)."""
    seen = {}

    def add(f):
        if _type(f) is _FunctionType and id(f) not in seen:
            seen[id(f)] = f
            for cell in f.__closure__ or ():
                try:
                    add(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
            add(f.__dict__.get("__wrapped__"))

    modules = [m for m in _integrity_modules() if m is not builtins]
    modules += [m for _, m in _coursekit_modules()]
    for module in modules:
        for value in list(vars(module).values()):
            add(value)
            add(_getattr(value, "_implementation", None))  # numpy's array-function dispatchers
            add(_getattr(value, "__wrapped__", None))
            if _isinstance(value, type) and _getattr(value, "__module__", None) == __name__:
                for member in vars(value).values():
                    add(member)
    return [(f, f.__code__, f.__defaults__, f.__kwdefaults__, _cells(f)) for f in seen.values()]


def _cells(f):
    """A function's closure cells with their contents (the checks' wrappers hold the checks there)."""
    out = []
    for cell in f.__closure__ or ():
        try:
            out.append((cell, cell.cell_contents))
        except ValueError:
            out.append((cell, _MISSING))
    return _tuple(out)


def _own_namespaces():
    """This module's namespaces (the module's, the private one, the private builtins, its classes)."""
    module = sys.modules[__name__]
    dicts = [vars(module), _PRIVATE, _PRIVATE["__builtins__"]]
    dicts = [(d, dict(d)) for d in dicts]
    classes = [(c, dict(vars(c))) for c in vars(module).values()
               if _isinstance(c, type) and _getattr(c, "__module__", None) == __name__]
    return dicts, classes


def _state_tampered():
    """Outside the student's code the blocking state is at rest; True (and reset) if it is not."""
    if _state["student"] == 0 and _state["allow"] == 0:
        return False
    _state["student"] = _state["allow"] = 0
    _state["hit"] = False
    return True


def _internals_tampered():
    """True if this module or a function the checks rely on changed since import (all put back)."""
    changed = False
    for f, code, defaults, kwdefaults, cells in _CODE_SNAPSHOT:
        if f.__code__ is not code or f.__defaults__ is not defaults or f.__kwdefaults__ is not kwdefaults:
            if _state["student"] and code is not f.__code__ and f.__code__.co_filename == "<reference>":
                continue  # a reference blocked by own_work (restored when it exits)
            f.__code__, f.__defaults__, f.__kwdefaults__ = code, defaults, kwdefaults
            changed = True
        for cell, content in cells:
            try:
                current = cell.cell_contents
            except ValueError:
                current = _MISSING
            if current is not content and content is not _MISSING:
                cell.cell_contents = content
                changed = True
    dicts, classes = _OWN_SNAPSHOT
    for d, saved in dicts:
        for key, value in saved.items():
            if d.get(key, _MISSING) is not value:
                d[key] = value
                changed = True
    for cls, saved in classes:
        current = vars(cls)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                setattr(cls, key, value)
                changed = True
    return changed


def _seal():
    """Rebind every function of this module to a private copy of its namespace (and of builtins).

    The checks look up their helpers (``_close``, ``_fail``, ``len``, ...) as globals at call
    time; with a private namespace, rebinding ``coursekit.autograde._close`` or
    ``builtins.len`` from the notebook (or from inside the student's function) changes nothing
    the checks see.
    """
    module_globals = globals()
    private = dict(module_globals)
    private["__builtins__"] = dict(vars(builtins))
    rebound = {}

    def rebind(f):
        if _type(f) is not _FunctionType or f.__globals__ is not module_globals:
            return f
        if id(f) in rebound:
            return rebound[id(f)]
        new = _FunctionType(f.__code__, private, f.__name__, f.__defaults__, f.__closure__)
        rebound[id(f)] = new
        new.__kwdefaults__ = f.__kwdefaults__
        new.__dict__.update(f.__dict__)
        new.__qualname__, new.__module__, new.__doc__ = f.__qualname__, f.__module__, f.__doc__
        for cell in f.__closure__ or ():
            try:
                content = cell.cell_contents
            except ValueError:
                continue
            cell.cell_contents = rebind(content)
        if "__wrapped__" in new.__dict__:
            new.__wrapped__ = rebind(new.__wrapped__)
        return new

    for name, value in list(module_globals.items()):
        if _type(value) is _FunctionType:
            new = rebind(value)
            module_globals[name] = private[name] = new
        elif _isinstance(value, type) and _getattr(value, "__module__", None) == __name__:
            for attr, member in list(vars(value).items()):
                if _type(member) is _FunctionType:
                    setattr(value, attr, rebind(member))
    return private


_MISSING = object()
_PRIVATE = _seal()
_INTEGRITY_DICTS = [vars(m) for m in _integrity_modules()]
_CODE_SNAPSHOT = _python_functions()
_PRIVATE.update(_PRIVATE=_PRIVATE, _INTEGRITY_DICTS=_INTEGRITY_DICTS, _CODE_SNAPSHOT=_CODE_SNAPSHOT)
_OWN_SNAPSHOT = None
_PRIVATE["_OWN_SNAPSHOT"] = None
_OWN_SNAPSHOT = _PRIVATE["_OWN_SNAPSHOT"] = _own_namespaces()
# Both namespaces hold _OWN_SNAPSHOT now; the snapshot taken just before saw None there.
for _d, _saved in _OWN_SNAPSHOT[0][:2]:
    _saved["_OWN_SNAPSHOT"] = _OWN_SNAPSHOT
del _d, _saved
