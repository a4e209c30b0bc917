"""k-means: Lloyd's algorithm, k-means++ seeding and colour quantisation.

The algorithm alternates two steps until nothing changes:

* **assign** (:func:`assign`): every point joins its nearest centre;
* **update** (:func:`update`): every centre jumps to the mean of the points it owns.

Both steps never increase the objective (the *inertia*, :func:`inertia`): the sum of squared
distances from each point to its centre.

:func:`assign` and :func:`update` are the readable NumPy version shown in the book.  :func:`kmeans`
runs the same iteration in one of three ways:

``algorithm="lloyd", backend="numpy"``
    :func:`assign` and :func:`update`, all N K distances per iteration.
``algorithm="lloyd", backend="numba"``
    A compiled numba kernel that fuses both steps into one pass over the data
    (``coursekit/_kmeans_kernels.py``).
``algorithm="filter"``
    The kd-tree filtering algorithm of Pelleg and Moore / Kanungo et al.
    (:mod:`coursekit.kmeans_filter`): the same iterations with far fewer distance computations in
    low dimension, whole boxes of points being given to a centre at once (numba).

``algorithm="auto"`` (the default) chooses from the measurements in ``bench/bench_kmeans.py``
(``bench/README.md``):

* small problems (``n * k * d < 50_000``: the book's figures, Old Faithful, the homework) run on
  NumPy, so they never pay numba's start-up (about 0.5-2 s to load the cached kernels in a new
  process, tens of seconds to compile them the very first time);
* ``d <= 8``, ``n >= 10_000`` and ``k >= 5``: the filtering algorithm, whose tree costs a few
  Lloyd iterations to build and saves far more when the data have structure the boxes can
  separate (whole fits measured 3.7-10.9x faster than Lloyd's kernel at D = 1..8, N = 3 10^5,
  K = 50 on Gaussian blobs, in two runs);
* ``8 < d <= 16`` (same N and K): Lloyd's kernel first, and the tree only if the run outlasts
  the passes its build costs (about ``10 log2(n / 32) / k`` of them: 3 at N = 3 10^5, K = 50).
  In these dimensions the filter is 4-25x faster per pass than Lloyd on well-separated
  clusters and 1.2-3.3x slower on overlapping ones; waiting bounds what a short run pays for a
  tree it would not use;
* otherwise (fewer points or centres, higher dimension) Lloyd's kernel.

How much the filter saves depends on the data, not only on their shape: on uniformly scattered
points in 8 dimensions it computes 27-74% of Lloyd's N K distances and is 1.3-3.5x slower per
pass.  Each of its distance computations (point-centre distances, box tests, middle-of-box
distances) costs about 3.5-10 of Lloyd's, so it stops paying somewhere between 10% and 29% of N K.
After each of its passes that count is compared with N K: a pass that needed more than 30%, or
two in a row that needed more than 15%, hand the rest of the fit to Lloyd's kernel (both being
exact, the iterations are the same; a single pass at 15-30% is often only a poor start's
first).  On the 54 calibration cases of ``bench/bench_kmeans_auto.py`` the 15% threshold kept
the faster of the two per pass every time.

``result.algorithm`` says which one finished the run.
All three give the same labels and number of iterations from the same initial centres, and
centres and inertia equal up to rounding in the last bits (sums taken in another order).

Conventions (shared by all three, and chosen to match ``sklearn.cluster.KMeans`` with
``algorithm="lloyd"`` started from the same initial centres):

Tie rule
    A point equally far from several centres (in the computed squared distances) goes to the
    one with the lowest index, as in scikit-learn.  The filtering algorithm keeps this rule: it
    prunes a centre only when it is farther by more than any rounding could explain, and hands
    points in such near-ties to the Lloyd kernel's own comparison.

Convergence rule
    Iteration ``i`` assigns the points to the current centres and moves the centres to the means.
    The run stops after iteration ``i`` when the labels are exactly those of iteration ``i - 1``
    (*strict* convergence), or else when the total squared centre shift
    ``sum_j ||c_j(new) - c_j(old)||^2`` is at most ``tol * mean(var(X, axis=0))`` (``tol`` is
    relative to the data's mean per-coordinate variance, as in scikit-learn).  Then the points
    are re-assigned to the final centres, so ``labels`` are always the nearest final centre and
    ``inertia`` is the objective of the returned ``(centers, labels)``.  ``n_iter`` counts
    the iterations run (scikit-learn's ``n_iter_``).  If ``max_iter`` iterations pass without
    meeting either test, ``converged`` is False and a :class:`coursekit.ConvergenceWarning`
    is issued.

Empty clusters
    When a centre owns no point after the assignment step it is *relocated*, as scikit-learn
    does: the points are ranked by their squared distance to their own (old) centre, and the
    ``m`` empty clusters take the ``m`` farthest points (largest distance first, ties to the lower
    index; each such point leaves its old cluster's mean).  If every point sits exactly on its
    centre (fewer distinct points than ``k``), relocation is pointless and an empty cluster keeps
    its previous centre (scikit-learn instead copies the centre of the largest cluster); centres
    may then coincide.  A centre is never NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._exceptions import ConvergenceWarning
from ._validation import (
    _check_finite,
    _to_float_array,
    check_int,
    check_k,
    check_positive_float,
    check_rng,
    check_X,
)

__all__ = [
    "KMeansResult",
    "kmeans",
    "kmeans_plus_plus",
    "random_init",
    "assign",
    "update",
    "inertia",
    "quantize",
]

INITS = ("k-means++", "random")
BACKENDS = ("auto", "numba", "numpy")
ALGORITHMS = ("auto", "lloyd", "filter")
# backend="auto" uses numba from this many point-centre-coordinate operations per pass.
_NUMBA_MIN_WORK = 50_000
# k-means++ seeding uses the compiled distances from this many entries of X.
_NUMBA_SEEDING_MIN_SIZE = 1 << 20

# algorithm="auto": the kd-tree filter from the first pass when d <= _FILTER_MAX_D, n >= _FILTER_MIN_N
# and k >= _FILTER_MIN_K; for _FILTER_MAX_D < d <= _FILTER_LAZY_MAX_D (same n and k), Lloyd's kernel
# first, the tree being built only if the run outlasts the passes the build costs (about
# _TREE_BUILD_PASSES * log2(n / leaf size) / k of them).  Either way a filter pass that computed more
# than 2 * _FILTER_MAX_WORK * n * k distances, or two in a row above _FILTER_MAX_WORK * n * k, hand
# the rest of the fit to Lloyd's kernel.  See the module docstring and bench/README.md
# (bench/bench_kmeans_auto.py) for the measurements behind these numbers.
_FILTER_MAX_D = 8
_FILTER_LAZY_MAX_D = 16
_FILTER_MIN_N = 10_000
_FILTER_MIN_K = 5
_FILTER_MAX_WORK = 0.15
_TREE_BUILD_PASSES = 10

# Rows per block in the NumPy assignment step: bounds the (block, k) distance array.
_BLOCK_ROWS = 1 << 16


@dataclass
class KMeansResult:
    """The outcome of :func:`kmeans`.

    Attributes
    ----------
    centers : ndarray, shape (K, D)
        Final cluster centres (float64).
    labels : ndarray, shape (N,)
        Index (int64) of the nearest final centre for every point.
    inertia : float
        Sum of squared distances from each point to its centre, for ``centers`` and ``labels``.
    n_iter : int
        Number of Lloyd iterations run (of the best run when ``n_init > 1``).
    converged : bool
        Whether the convergence rule was met before ``max_iter``.
    history : list of ndarray, shape (K, D) each
        ``history[0]`` is the initial centres, ``history[t]`` the centres after iteration ``t``;
        ``len(history) == n_iter + 1`` and ``history[-1]`` equals ``centers``.
    inertia_history : list of float
        ``inertia_history[t]`` is the objective of ``history[t]`` with every point at its nearest
        centre; never increases.  Same length as ``history``.
    label_history : list of ndarray or None
        With ``keep_label_history=True``, ``label_history[t]`` is the assignment to
        ``history[t]`` (same length as ``history``; the last equals ``labels``); otherwise None,
        since it costs ``n * (n_iter + 1)`` integers.
    init_centers : ndarray, shape (K, D)
        The initial centres of the returned run (``history[0]``).
    algorithm : str
        The algorithm that finished the returned run: ``"lloyd"`` or ``"filter"`` (with
        ``"auto"``, the run may have started on the other one; see ``stats``).
    stats : list of coursekit.kmeans_filter.FilterStats or None
        The work of every assignment pass the filtering algorithm made in the returned run
        (distance computations, nodes settled whole, ...), in order; the last entry is the
        final assignment to the returned centres when that needed a pass of its own.  With
        ``algorithm="auto"``, only the filter's passes: those after Lloyd's kernel handed over
        to it, or before it handed the run back to Lloyd's kernel.
        None for a run of Lloyd's loop alone, which computes ``n * k`` distances per pass.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    history: list = field(repr=False)
    inertia_history: list = field(repr=False)
    label_history: list | None = field(default=None, repr=False)
    algorithm: str = "lloyd"
    stats: list | None = field(default=None, repr=False)

    @property
    def init_centers(self):
        return self.history[0]


# --------------------------------------------------------------------------------------------
# The two steps (readable NumPy; the book shows these)


def _sq_distances(X, centers):
    """Squared Euclidean distances (N, K), by differences (exact for points close together)."""
    d2 = np.empty((X.shape[0], centers.shape[0]))
    for j, c in enumerate(centers):
        diff = X - c
        d2[:, j] = np.einsum("nd,nd->n", diff, diff)
    return d2


def _assign(X, centers):
    """Nearest-centre labels and squared distances; blocks of rows bound the memory."""
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int64)
    min_d2 = np.empty(n)
    for start in range(0, n, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        d2 = _sq_distances(X[rows], centers)
        labels[rows] = np.argmin(d2, axis=1)
        min_d2[rows] = np.take_along_axis(d2, labels[rows, None], axis=1)[:, 0]
    return labels, min_d2


def _cluster_sums(X, labels, k):
    """Per-cluster sums (K, D) and counts (K,); bincount per column is ~10x faster than add.at."""
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.stack([np.bincount(labels, weights=col, minlength=k) for col in X.T], axis=1)
    return sums, counts


def _update(X, labels, k, old_centers=None):
    """Cluster means, with the documented relocation of empty clusters."""
    sums, counts = _cluster_sums(X, labels, k)
    return _means_from_sums(X, labels, sums, counts, old_centers)


def _means_from_sums(X, labels, sums, counts, old_centers=None):
    """Centres from per-cluster sums and counts; relocates empty clusters (sums, counts change)."""
    k, d = sums.shape
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        # Distances to the point's own centre: the old one if given, else its cluster mean.
        ref = old_centers if old_centers is not None else sums / np.maximum(counts, 1)[:, None]
        _relocate(X, labels, ref, sums, counts, empty)
    centers = np.empty((k, d))
    nonzero = counts > 0
    centers[nonzero] = sums[nonzero] / counts[nonzero, None]
    if not np.all(nonzero):
        # Only when relocation was pointless (every point on its centre): keep the old centre,
        # or without one the first point of the data, so that no centre is NaN.
        fallback = old_centers if old_centers is not None else np.broadcast_to(X[0], (k, d))
        centers[~nonzero] = fallback[~nonzero]
    return centers


def _relocate(X, labels, ref_centers, sums, counts, empty):
    """Move each empty cluster onto one of the points farthest from their own centre (in place)."""
    diff = X - ref_centers[labels]
    dist = np.einsum("nd,nd->n", diff, diff)
    if dist.max() == 0:
        return
    # Farthest first; a stable sort sends ties to the lower index.
    far = np.argsort(-dist, kind="stable")[: empty.size]
    for j, i in zip(empty, far):
        old = labels[i]
        sums[old] -= X[i]
        counts[old] -= 1
        sums[j] = X[i]
        counts[j] = 1


def _inertia(X, centers, labels):
    diff = X - centers[labels]
    return float(np.einsum("nd,nd->", diff, diff))


def assign(X, centers):
    """Assignment step: the index of the nearest centre for every point.

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
        Data points.
    centers : array_like, shape (K, D)
        Current centres (a vector of length K when D = 1).

    Returns
    -------
    labels : ndarray of int64, shape (N,)
        ``labels[i] = argmin_j ||X[i] - centers[j]||^2``; ties go to the lowest index.
    """
    X = check_X(X)
    centers = _check_centers(centers, X.shape[1], name="centers")
    return _assign(X, centers)[0]


def update(X, labels, k, centers=None):
    """Update step: each centre moves to the mean of the points it owns.

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
        Data points.
    labels : array_like of int, shape (N,)
        Cluster index in ``0 .. k-1`` of every point.
    k : int
        K, the number of clusters.
    centers : array_like, shape (K, D), optional
        The centres the labels were assigned to.  Only used for empty clusters (below); with
        them, ``update(X, assign(X, c), k, c)`` is exactly one iteration of :func:`kmeans`.

    Returns
    -------
    new_centers : ndarray, shape (K, D)
        Means of the clusters.  An empty cluster is never NaN: it is relocated to the point
        farthest from its own centre (``centers[labels[i]]`` if ``centers`` is given, else
        the mean of its cluster), the next empty cluster to the next farthest point, and so
        on; that point leaves its old cluster.  If every point sits on its centre, an empty
        cluster keeps ``centers[j]`` (or, without ``centers``, takes the first data point).
    """
    X = check_X(X)
    n, d = X.shape
    k = check_int(k, "k", minimum=1)
    labels = _check_labels(labels, n, k)
    if centers is not None:
        centers = _check_centers(centers, d, k=k, name="centers")
    return _update(X, labels, k, centers)


def inertia(X, centers, labels):
    """The k-means objective: sum of squared distances from each point to its centre.

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
    centers : array_like, shape (K, D)
    labels : array_like of int, shape (N,)
        Cluster index of every point (not necessarily the nearest centre).

    Returns
    -------
    float
        ``sum_i ||X[i] - centers[labels[i]]||^2``.
    """
    X = check_X(X)
    centers = _check_centers(centers, X.shape[1], name="centers")
    labels = _check_labels(labels, X.shape[0], centers.shape[0])
    return _inertia(X, centers, labels)


# --------------------------------------------------------------------------------------------
# Seeding


def kmeans_plus_plus(X, k, rng=None, n_local_trials=None):
    """k-means++ seeding (the greedy variant scikit-learn uses).

    The first centre is a uniformly random data point.  Each next centre is chosen among
    ``n_local_trials`` candidates drawn with probability proportional to the squared distance
    to the nearest centre chosen so far (the ``D^2`` weighting of Arthur and Vassilvitskii, 2007);
    the candidate that lowers the objective most is kept.  ``n_local_trials=1`` is the plain
    (non-greedy) k-means++.

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
    k : int
        K, the number of centres, 1 <= K <= N.
    rng : numpy.random.Generator, int or None
    n_local_trials : int, optional
        Candidates per centre; default ``2 + int(log(k))``.

    Returns
    -------
    centers : ndarray, shape (K, D)
        k rows of X with distinct row indices.  A point at distance 0 from the chosen centres
        is never picked while some point is farther, so the centres are distinct points
        whenever X has at least K distinct rows.
    """
    X = check_X(X, fit=True)
    k = check_k(k, X.shape[0])
    rng = check_rng(rng)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(k))
    n_local_trials = check_int(n_local_trials, "n_local_trials", minimum=1)
    return X[_kmeans_plus_plus_indices(X, k, rng, n_local_trials)]


def _kmeans_plus_plus_indices(X, k, rng, n_local_trials):
    n = X.shape[0]
    chosen = np.empty(k, dtype=np.int64)
    chosen[0] = rng.integers(n)
    dist_to_rows = _select_dist_to_rows(X.size)
    closest = dist_to_rows(X, X[chosen[:1]])[0]
    for c in range(1, k):
        cumulative = np.cumsum(closest)
        potential = cumulative[-1]
        if potential > 0:
            # side="right" never lands on a point with zero weight (one already covered).
            candidates = np.searchsorted(cumulative, rng.uniform(size=n_local_trials) * potential, side="right")
            np.minimum(candidates, n - 1, out=candidates)
        else:
            # Every point coincides with a chosen centre: any unused row will do.
            unused = np.setdiff1d(np.arange(n), chosen[:c])
            candidates = rng.choice(unused, size=1)
        cand_closest = np.minimum(closest[None, :], dist_to_rows(X, X[candidates]))
        best = int(np.argmin(cand_closest.sum(axis=1)))
        if candidates[best] in chosen[:c]:  # only through rounding at the end of the cumsum
            unused = np.setdiff1d(np.arange(n), chosen[:c])
            candidates = np.array([unused[np.argmax(closest[unused])]])
            best = 0
            cand_closest = np.minimum(closest[None, :], dist_to_rows(X, X[candidates]))
        chosen[c] = candidates[best]
        closest = cand_closest[best]
    return chosen


def _sq_distances_to_rows(X, P):
    """Squared distances (m, n) from each of the m rows of P to every point of X."""
    out = np.empty((P.shape[0], X.shape[0]))
    for c, p in enumerate(P):
        diff = X - p
        out[c] = np.einsum("nd,nd->n", diff, diff)
    return out


def _select_dist_to_rows(size):
    # Seeding makes a few passes per centre; compiled only for large X, where it is ~3x faster
    # and avoids an (n, d) temporary per candidate.
    if size < _NUMBA_SEEDING_MIN_SIZE:
        return _sq_distances_to_rows
    from ._kmeans_kernels import sq_distances_to_rows

    return sq_distances_to_rows


def random_init(X, k, rng=None):
    """K distinct rows of X chosen uniformly at random (Forgy initialisation), shape (K, D)."""
    X = check_X(X)
    k = check_k(k, X.shape[0])
    rng = check_rng(rng)
    return X[rng.choice(X.shape[0], size=k, replace=False)]


# --------------------------------------------------------------------------------------------
# Lloyd's algorithm


def kmeans(
    X,
    k,
    init="k-means++",
    max_iter=300,
    tol=1e-4,
    n_init=1,
    rng=None,
    backend="auto",
    keep_label_history=False,
    algorithm="auto",
):
    """Cluster X into k groups with Lloyd's algorithm (plain, or accelerated by a kd-tree).

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
        Data (float32 input is computed in float64).
    k : int
        K, the number of clusters, 1 <= K <= N.
    init : {"k-means++", "random"} or array_like, shape (K, D)
        Initial centres: greedy k-means++ (:func:`kmeans_plus_plus`), k distinct random data
        points (:func:`random_init`), or explicit centres.  Explicit centres with
        ``n_init > 1`` raise ValueError (every run would be identical; scikit-learn warns
        and runs once instead).
    max_iter : int
        Maximum number of iterations per run.
    tol : float
        Convergence tolerance on the total squared centre shift, relative to
        ``mean(var(X, axis=0))`` (see the module docstring).  0 means: stop only when the
        labels no longer change.
    n_init : int
        Number of runs from different initial centres; the run with the lowest inertia is
        returned (the first one on ties).
    rng : numpy.random.Generator, int or None
        Randomness of the initialisation.
    backend : {"auto", "numba", "numpy"}
        For Lloyd's loop: ``"numba"`` runs the compiled fused kernel; ``"numpy"`` runs
        :func:`assign` and :func:`update`; ``"auto"`` (default) is ``"numba"`` when
        ``n * k * d >= 50_000``, else ``"numpy"``.  Both follow the same rules; results agree
        up to rounding.  The filtering algorithm is compiled only: ``backend="numpy"`` with
        ``algorithm="filter"`` is an error, and with ``algorithm="auto"`` means Lloyd on NumPy.
    keep_label_history : bool
        Also record the labels of every step in ``result.label_history``.
    algorithm : {"auto", "lloyd", "filter"}
        ``"lloyd"``: all ``n * k`` distances per iteration; ``"filter"``: the kd-tree filtering
        algorithm (:mod:`coursekit.kmeans_filter`), the same iterations with far fewer distances
        in low dimension; ``"auto"`` (default): the faster for the data's shape, switching
        between them when the filter's work shows it pays or does not (see the module
        docstring).  From the same initial centres all give the same labels and ``n_iter``.

    Returns
    -------
    KMeansResult
        ``centers``, ``labels``, ``inertia``, ``n_iter``, ``converged``, ``history``,
        ``inertia_history``, ``label_history``, ``algorithm``, ``stats``.

    Warns
    -----
    coursekit.ConvergenceWarning
        If the best run reached ``max_iter`` without converging (``converged`` is False).
    """
    X = check_X(X, fit=True)
    n, d = X.shape
    k = check_k(k, n)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_positive_float(tol, "tol", allow_zero=True)
    n_init = check_int(n_init, "n_init", minimum=1)
    rng = check_rng(rng)
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if algorithm == "filter" and backend == "numpy":
        raise ValueError("algorithm='filter' runs only compiled (numba): use backend='auto' or 'numba', "
                         "or algorithm='lloyd' with backend='numpy'")
    if not isinstance(keep_label_history, (bool, np.bool_)):
        raise TypeError(f"keep_label_history must be a bool, got {type(keep_label_history).__name__}")
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or a (k, d) array, got {init!r}")
        explicit = None
    else:
        explicit = _check_centers(init, d, k=k, name="init")
        if n_init > 1:
            raise ValueError(
                f"n_init = {n_init} with explicit init centres: every run would be the same; use n_init=1"
            )

    # Absolute tolerance on the summed squared centre shift, as in scikit-learn.
    abs_tol = float(np.mean(np.var(X, axis=0))) * tol if tol > 0 else 0.0
    engine = _make_engine(X, k, algorithm, backend)

    best = None
    for _ in range(n_init):
        if explicit is not None:
            centers0 = explicit
        elif init == "k-means++":
            centers0 = X[_kmeans_plus_plus_indices(X, k, rng, 2 + int(np.log(k)))]
        else:
            centers0 = X[rng.choice(n, size=k, replace=False)]
        result = _lloyd(X, centers0.copy(), max_iter, abs_tol, keep_label_history, engine)
        if best is None or result.inertia < best.inertia:
            best = result
    if not best.converged:
        warnings.warn(
            f"k-means did not converge within max_iter = {max_iter} iterations "
            f"(last squared centre shift above tol * mean variance = {abs_tol:.3g}); "
            "increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    return best


def _numpy_step(X, centers, out=None):
    """One assignment pass: labels, objective, and per-cluster sums and counts (NumPy)."""
    labels, min_d2 = _assign(X, centers)
    if out is not None:
        out[:] = labels
        labels = out
    sums, counts = _cluster_sums(X, labels, centers.shape[0])
    return labels, float(min_d2.sum()), sums, counts


def _numba_step(X, centers, out=None):
    # Imported here so that `import coursekit.kmeans` (and the NumPy path) never pays numba's
    # import and compilation time.
    from ._kmeans_kernels import lloyd_step

    return lloyd_step(X, centers, out)


def _select_step(backend, work):
    if backend == "auto":
        backend = "numba" if work >= _NUMBA_MIN_WORK else "numpy"
    return _numba_step if backend == "numba" else _numpy_step


def _select_algorithm(algorithm, backend, n, k, d):
    """What ``algorithm="auto"`` starts with for data of this shape (see the module docstring):
    ``"filter"``, ``"lloyd-then-filter"`` (Lloyd's kernel until the run has lasted as many passes
    as the tree costs to build) or ``"lloyd"``."""
    if algorithm != "auto":
        return algorithm
    if backend == "numpy" or n * k * d < _NUMBA_MIN_WORK or n < _FILTER_MIN_N or k < _FILTER_MIN_K:
        return "lloyd"
    if d <= _FILTER_MAX_D:
        return "filter"
    if d <= _FILTER_LAZY_MAX_D:
        return "lloyd-then-filter"
    return "lloyd"


def _passes_worth_a_tree(n, k):
    """Lloyd passes that cost about as much as building the kd-tree (measured at d = 12..16:
    the build took 10 log2(n / leaf size) / k passes, give or take 30%)."""
    from .kmeans_filter import DEFAULT_LEAF_SIZE

    return max(1, int(np.ceil(_TREE_BUILD_PASSES * np.log2(max(2.0, n / DEFAULT_LEAF_SIZE)) / k)))


class _LloydEngine:
    """Lloyd's assignment pass (``step`` is the NumPy or the numba version)."""

    name = "lloyd"

    def __init__(self, X, step):
        self.X, self._step = X, step
        # Two label buffers used in turn: the current and the previous assignment.
        self._buffers = (np.empty(X.shape[0], dtype=np.int64), np.empty(X.shape[0], dtype=np.int64))
        self._passes = 0
        self._labels = self._previous = None
        self.stats = None

    def start(self):
        """A new run: the next pass has no previous labels to compare with."""
        self._previous = None

    def continue_from(self, labels):
        """Take over a run whose latest pass gave ``labels``: the next pass compares with them."""
        self._previous = self._labels = labels.copy()

    def step(self, centers):
        """``(objective, sums, counts, changed)``; ``changed`` is None on a run's first pass."""
        out = self._buffers[self._passes % 2]
        self._passes += 1
        labels, objective, sums, counts = self._step(self.X, centers, out)
        changed = None if self._previous is None else not np.array_equal(labels, self._previous)
        self._previous = self._labels = labels
        return objective, sums, counts, changed

    def labels(self):
        return self._labels


class _FilterEngine:
    """The kd-tree filtering algorithm's pass (coursekit.kmeans_filter); the tree is built once."""

    name = "filter"

    def __init__(self, X):
        from . import kmeans_filter

        self.tree = kmeans_filter.KDTree(X, kmeans_filter.DEFAULT_LEAF_SIZE)
        self.stats = []
        self._first = True

    def start(self):
        self._first = True
        self.stats = []

    def continue_from(self, labels):
        """Take over a run whose latest pass gave ``labels``: the next pass compares with them."""
        self.tree.set_labels(labels)
        self._first = False
        self.stats = []

    def step(self, centers):
        objective, sums, counts, n_changed = self.tree.step(centers)
        changed = None if self._first else n_changed > 0
        self._first = False
        self.stats.append(self.tree.last_stats)
        return objective, sums, counts, changed

    def labels(self):
        return self.tree.labels()


class _AutoEngine:
    """``algorithm="auto"`` on data the tree may separate: the kd-tree filter, started at once or
    (``lloyd_first`` > 0) after that many passes of Lloyd's kernel in a run that has not ended by
    then.  The tree does not separate the data when a filter pass computes more than twice
    ``_FILTER_MAX_WORK * n * k`` distances, or two passes in a row more than that (one such pass
    alone may be a poor start's first, centres crowded in one cluster); Lloyd's kernel then runs
    the rest of the fit.  Every engine gives the same labels, so a switch between passes changes
    nothing in the iterations."""

    def __init__(self, X, k, lloyd_first=0):
        self.X, self.k = X, k
        self._lloyd_first = lloyd_first
        self.filter = _FilterEngine(X) if lloyd_first == 0 else None
        self.lloyd = _LloydEngine(X, _numba_step) if lloyd_first > 0 else None
        self._current = self.filter or self.lloyd
        self._given_up = False  # the filter did not pay on these data: Lloyd's kernel from now on
        self._costly = 0  # filter passes in a row above the threshold
        self._run_passes = 0
        self._passes = []

    @property
    def name(self):
        return self._current.name

    @property
    def stats(self):
        """The filter's passes of the current run (None if the run was all Lloyd's)."""
        return self._passes or None

    def start(self):
        self._passes = []
        self._run_passes = 0
        self._costly = 0
        if self.filter is not None and not self._given_up:
            self._current = self.filter  # a tree built in an earlier run (n_init > 1) serves again
        self._current.start()

    def step(self, centers):
        self._run_passes += 1
        if self._current is self.lloyd and self.filter is None and not self._given_up \
                and self._run_passes > self._lloyd_first:
            # The run has outlasted the passes a tree costs: build it and go on with it.
            self.filter = _FilterEngine(self.X)
            self.filter.continue_from(self.lloyd.labels())
            self._current = self.filter
        if self._current is self.lloyd:
            return self.lloyd.step(centers)
        out = self.filter.step(centers)
        self._passes.append(self.filter.stats[-1])
        work = self._passes[-1].distance_computations / (self.X.shape[0] * self.k)
        self._costly = self._costly + 1 if work > _FILTER_MAX_WORK else 0
        if self._costly == 2 or work > 2 * _FILTER_MAX_WORK:
            self._given_up = True
            if self.lloyd is None:
                self.lloyd = _LloydEngine(self.X, _numba_step)
            self.lloyd.continue_from(self.filter.labels())
            self._current = self.lloyd
        return out

    def labels(self):
        return self._current.labels()


def _make_engine(X, k, algorithm, backend):
    n, d = X.shape
    chosen = _select_algorithm(algorithm, backend, n, k, d)
    if chosen == "lloyd-then-filter":
        return _AutoEngine(X, k, lloyd_first=_passes_worth_a_tree(n, k))
    if chosen == "filter":
        return _AutoEngine(X, k) if algorithm == "auto" else _FilterEngine(X)
    return _LloydEngine(X, _select_step(backend, n * k * d))


def _lloyd(X, centers, max_iter, abs_tol, keep_labels, engine):
    """Lloyd iterations with scikit-learn's stopping rule; ``engine`` does the assignment passes."""
    engine.start()
    history = [centers.copy()]
    inertia_history = []
    label_history = [] if keep_labels else None
    strict = converged = False
    for _ in range(max_iter):
        objective, sums, counts, changed = engine.step(centers)
        inertia_history.append(objective)
        labels = engine.labels() if keep_labels or not np.all(counts > 0) else None
        if keep_labels:
            label_history.append(labels.copy())
        new_centers = _means_from_sums(X, labels, sums, counts, centers)
        shift = float(np.sum((new_centers - centers) ** 2))
        centers = new_centers
        history.append(centers.copy())
        if changed is False:
            strict = converged = True
            break
        if shift <= abs_tol:
            converged = True
            break
    if strict and np.array_equal(centers, history[-2]):
        # The centres did not move, so the last assignment is already the final one.
        final_inertia = inertia_history[-1]
    else:
        final_inertia = engine.step(centers)[0]
    final_labels = engine.labels().copy()
    inertia_history.append(final_inertia)
    if keep_labels:
        label_history.append(final_labels.copy())
    return KMeansResult(
        centers=centers,
        labels=final_labels,
        inertia=final_inertia,
        n_iter=len(history) - 1,
        converged=converged,
        history=history,
        inertia_history=inertia_history,
        label_history=label_history,
        algorithm=engine.name,
        stats=list(engine.stats) if engine.stats is not None else None,
    )


# --------------------------------------------------------------------------------------------
# Colour quantisation


def quantize(image, k, rng=None, sample_size=10_000, backend="auto"):
    """Reduce an RGB image to k colours with k-means.

    k-means (k-means++ seeding) is fitted on ``sample_size`` pixels drawn at random without
    replacement (all pixels if the image is smaller), then every pixel takes the colour of
    its nearest centre.

    Parameters
    ----------
    image : array_like, shape (h, w, 3)
        uint8 values, or floats in [0, 1].
    k : int
        K, the number of colours, at most the number of sampled pixels.
    rng : numpy.random.Generator, int or None
    sample_size : int
        Number of pixels the palette is fitted on.
    backend : {"auto", "numba", "numpy"}
        As in :func:`kmeans` (for the fit and for assigning all the pixels).

    Returns
    -------
    quantized : ndarray, shape (h, w, 3)
        Same dtype as ``image`` (uint8 stays uint8, rounded; float32/float64 stay float),
        holding at most k distinct colours.
    palette : ndarray, shape (K, 3)
        The k colours, same dtype as ``image``; ``quantized[i, j]`` is one of its rows.
    """
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must have shape (h, w, 3), got {img.shape}")
    if img.size == 0:
        raise ValueError("image must have at least one pixel")
    if img.dtype == np.uint8:
        out_dtype, scale = np.uint8, 255.0
    elif img.dtype.kind == "f":
        out_dtype, scale = img.dtype, 1.0
        _check_finite(img, "image")
        if img.min() < 0 or img.max() > 1:
            raise ValueError("image of floats must have values in [0, 1]")
    else:
        raise ValueError(f"image must be uint8 or float in [0, 1], got dtype {img.dtype}")
    sample_size = check_int(sample_size, "sample_size", minimum=1)
    rng = check_rng(rng)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    pixels = img.reshape(-1, 3).astype(np.float64) / scale
    m = min(sample_size, pixels.shape[0])
    sample = pixels[rng.choice(pixels.shape[0], size=m, replace=False)] if m < pixels.shape[0] else pixels
    k = check_k(k, m)
    centers = kmeans(sample, k, rng=rng, backend=backend).centers
    if out_dtype == np.uint8:
        palette = np.clip(np.rint(centers * 255.0), 0, 255).astype(np.uint8)
    else:
        palette = np.clip(centers, 0.0, 1.0).astype(out_dtype)
    # Assign with the palette actually returned, so each pixel gets its nearest output colour.
    step = _select_step(backend, pixels.shape[0] * k * 3)
    labels = step(pixels, palette.astype(np.float64) / scale)[0]
    return palette[labels].reshape(img.shape), palette


# --------------------------------------------------------------------------------------------
# Validation helpers specific to this module


def _check_centers(centers, d, k=None, name="centers"):
    """float64 (K, D) centres; a vector is read as K centres when D = 1."""
    arr = _to_float_array(centers, name)
    if arr.ndim == 1 and d == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != d or (k is not None and arr.shape[0] != k):
        expected = f"({k}, {d})" if k is not None else f"(k, {d}) with k >= 1"
        raise ValueError(f"{name} must have shape (k, d) = {expected}, got {arr.shape}")
    _check_finite(arr, name)
    return arr


def _check_labels(labels, n, k, name="labels"):
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape (n,) = ({n},), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if n and (arr.min() < 0 or arr.max() >= k):
        raise ValueError(f"{name} must lie in 0 .. k-1 = {k - 1}, got range [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64, copy=False)
