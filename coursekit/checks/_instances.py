"""Random instances shared by the assignments' hidden checks, and how the visible tests show numbers."""

import contextlib

import numpy as _np

from ._guard import Fail, rng

_asarray = _np.asarray


def random_cov(generator, d, scale=1.0):
    """A covariance far from the identity (eigenvalues spread over a factor of ~10)."""
    q, _ = _np.linalg.qr(generator.normal(size=(d, d)))
    eig = scale * _np.exp(generator.uniform(_np.log(0.25), _np.log(3.0), size=d))
    cov = (q * eig) @ q.T
    return 0.5 * (cov + cov.T)


def random_weights(generator, k, minimum=0.1):
    w = generator.dirichlet(_np.full(k, 2.0))
    w = minimum + (1 - k * minimum) * w
    return w / w.sum()


def gaussian_instance(seed, d=None, n=None):
    generator = rng(seed)
    d = int(generator.integers(2, 6)) if d is None else d
    n = int(generator.integers(5, 40)) if n is None else n
    mean = generator.normal(scale=3.0, size=d)
    cov = random_cov(generator, d, scale=float(generator.uniform(0.5, 2.0)))
    chol = _np.linalg.cholesky(cov)
    X = mean + generator.normal(size=(n, d)) @ chol.T * 1.2
    return X, mean, cov


def mixture_instance(seed, d=None, k=None, n=None, spread=4.0):
    generator = rng(seed)
    d = int(generator.integers(1, 4)) if d is None else d
    k = int(generator.integers(2, 5)) if k is None else k
    weights = random_weights(generator, k)
    means = generator.normal(scale=spread, size=(k, d))
    covs = _np.stack([random_cov(generator, d, scale=float(generator.uniform(0.3, 1.5))) for _ in range(k)])
    n = int(generator.integers(30, 80)) if n is None else n
    z = generator.choice(k, size=n, p=weights)
    X = _np.empty((n, d))
    for j in range(k):
        idx = z == j
        X[idx] = generator.multivariate_normal(means[j], covs[j], size=int(idx.sum()))
    return X, weights, means, covs, z


# ---------------------------------------------------------------------------------------------
# Showing the visible tests' numbers


def _number(v):
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


# A longer array is shown by its first and last entries and its length (a list of 201
# log-likelihoods would bury the hint under it).
_SHOWN = 12
_HEAD, _TAIL = 8, 3


def fmt(value):
    """An array or number on one line, as the student would type it (6 significant digits)."""
    arr = _asarray(value)
    if arr.ndim == 0:
        return _number(float(arr)) if arr.dtype.kind in "fiub" else str(arr)
    show = (lambda v: _number(float(v))) if arr.ndim == 1 else fmt
    if arr.shape[0] <= _SHOWN:
        return "[" + ", ".join(show(v) for v in arr) + "]"
    head = ", ".join(show(v) for v in arr[:_HEAD])
    tail = ", ".join(show(v) for v in arr[-_TAIL:])
    return f"[{head}, …, {tail}] ({arr.shape[0]} {'values' if arr.ndim == 1 else 'rows'})"


def mismatch(call, got, expected, hint=None):
    """The visible tests' failure message: the call, the student's value, the expected one, a hint."""
    lines = [call, f"  returned {fmt(got)}", f"  expected {fmt(expected)}"]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


@contextlib.contextmanager
def about(call):
    """Within a visible test: a failure's message starts with the call that showed it."""
    try:
        yield
    except Fail as exc:
        if not exc.args[0].startswith(call):
            exc.args = (f"{call}\n  {exc.args[0]}",)
        raise
