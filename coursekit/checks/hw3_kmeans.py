"""Checks of hw3_kmeans: the assignment step (task 5a), the update step (5b), Lloyd's algorithm (5c)
and colour quantisation (5d).

While ``kmeans`` is judged, reference versions of ``assign_clusters`` and ``update_centers`` stand
in for the student's (and a reference ``kmeans`` while ``quantize_colors`` is judged), in the
visible tests as in the hidden ones.
"""

import numpy as _np

from .. import kmeans as _km
from ._guard import (array_equal, array_of_shape, call_student, check, close, fail, npall, plain,
                     reference_backed, tuple_of)
from ._guard import rng as _rng
from ._instances import about, fmt, mismatch
from ._progress import Task, summary_function, visible

ASSIGNMENT = "hw3_kmeans"
TITLE = "Homework 3"
TASKS = (
    Task("5a", "the assignment step", "assign_clusters", 4, visible=1),
    Task("5b", "the update step", "update_centers", 4, visible=1),
    Task("5c", "Lloyd's algorithm", "kmeans", 5, visible=1),
    Task("5d", "colour quantisation", "quantize_colors", 4, visible=1),
)
_T5A, _T5B, _T5C, _T5D = (t.name.split(":")[0] for t in TASKS)
_unique = _np.unique


def _blobs(seed, d=None, k=None, n=None):
    generator = _rng(seed)
    d = int(generator.integers(2, 5)) if d is None else d
    k = int(generator.integers(2, 6)) if k is None else k
    n = int(generator.integers(40, 120)) if n is None else n
    true_centers = generator.normal(scale=4.0, size=(k, d))
    X = true_centers[generator.integers(0, k, size=n)] + generator.normal(size=(n, d))
    centers = generator.normal(scale=4.0, size=(k, d))
    return X, centers, generator


def _grid_with_ties(seed, d):
    """Small integer points and centres: many points exactly as far from two centres (exact in float)."""
    generator = _rng(seed)
    centers = generator.integers(-3, 4, size=(4, d)).astype(float)
    centers = _unique(centers, axis=0)
    X = generator.integers(-4, 5, size=(60, d)).astype(float)
    return X, centers


def _label_output(value, name, n, k):
    arr = plain(value, f"the labels returned by {name}")
    if arr.shape != (n,):
        fail(f"the labels returned by {name} have shape {arr.shape} but must have shape ({n},)")
    if not npall(_np.isfinite(arr)) or not npall(arr == _np.round(arr)):
        fail(f"the labels returned by {name} must be integers")
    labels = arr.astype(_np.int64)
    if n and (labels.min() < 0 or labels.max() >= k):
        if labels.min() >= 1 and labels.max() <= k:
            fail(f"the labels returned by {name} must be cluster indices 0 … K-1 (yours look like 1 … K)")
        fail(f"the labels returned by {name} must be cluster indices 0 … K-1")
    return labels


def _reference_kmeans_loop(X, centers, max_iter):
    """The homework's kmeans contract, with coursekit's assignment and update steps."""
    k = centers.shape[0]
    previous = None
    for _ in range(max_iter):
        labels = _km.assign(X, centers)
        if previous is not None and array_equal(labels, previous):
            break
        centers = _km.update(X, labels, k)
        previous = labels
    return centers, _km.assign(X, centers)


def _step_subs():
    return {"assign_clusters": reference_backed(lambda X, centers: _km.assign(X, centers)),
            "update_centers": reference_backed(lambda X, labels, k: _km.update(X, labels.astype(_np.int64), int(k)))}


# =============================================================================================
# Task 5a: assign_clusters


def _assign_diagnosis(X, centers, got, ref, numbers):
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    if array_equal(got, d2.argmax(axis=1)):
        return "assign_clusters: each point joins its nearest centre (smallest distance), not the farthest"
    if array_equal(got, _np.abs(X[:, None, :] - centers[None, :, :]).sum(axis=2).argmin(axis=1)):
        return "assign_clusters: use the Euclidean distance, not the sum of absolute differences"
    k = d2.shape[1]
    if k > 1 and array_equal(got, 1 + d2[:, 1:].argmin(axis=1)):
        return ("assign_clusters: no point joins centre 0: the centres are numbered 0 … K-1, so the loop over them "
                "must start at 0 (range(K), not range(1, K))")
    if k > 1 and array_equal(got, d2[:, :-1].argmin(axis=1)):
        return (f"assign_clusters: no point joins the last centre (centre K-1{' = ' + str(k - 1) if numbers else ''}): "
                "the loop over the centres stops one short (range(K), not range(K - 1))")
    tied = (d2 == d2.min(axis=1, keepdims=True)).sum(axis=1) > 1
    wrong = got != ref
    if wrong.any() and npall(tied[wrong]):
        last = d2.shape[1] - 1 - _np.argmin(d2[:, ::-1], axis=1)
        which = ""
        if numbers:
            i = int(_np.flatnonzero(wrong)[0])
            which = f" (point {i}, {fmt(X[i])}, is exactly as far from centres {fmt(_np.flatnonzero(d2[i] == d2[i].min()))})"
        if array_equal(got[wrong], last[wrong]):
            return (f"assign_clusters: on an exact tie{which} the point joins the lowest-index centre, as np.argmin "
                    "does; yours picks the highest (a loop comparing with <=, or argmin over reversed centres)")
        return f"assign_clusters: on an exact tie{which} the point joins the lowest-index centre, as np.argmin does"
    return None


_ASSIGN_CASES = (
    # the nearest centre in straight-line distance is not the nearest in |dx| + |dy|
    (_np.array([[0.0, 0.0], [3.0, 0.5], [1.8, 2.5]]), _np.array([[3.0, 0.0], [2.0, 2.0]])),
    # (1, 0) is exactly as far from centre 0 as from centre 1
    (_np.array([[1.0, 0.0], [0.9, 0.1], [1.0, 4.0]]), _np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 5.0]])),
    # D = 1, with a tie at 5
    (_np.array([[1.0], [6.0], [5.0], [12.0]]), _np.array([[0.0], [10.0]])),
)


@visible(TASKS[0])
def visible_assign_clusters(assign_clusters):
    """Three small cases: nearest in Euclidean distance, an exact tie, D = 1."""
    for X, centers in _ASSIGN_CASES:
        call = f"assign_clusters(X, centers) with X = {fmt(X)}, centers = {fmt(centers)}"
        n, k = X.shape[0], centers.shape[0]
        expected = _km.assign(X, centers)
        with about(call):
            got = _label_output(call_student(assign_clusters, "assign_clusters", X, centers, task=_T5A),
                                "assign_clusters", n, k)
        if not array_equal(got, expected):
            fail(mismatch(call, got, expected, _assign_diagnosis(X, centers, got, expected, numbers=True)))


@check
def check_assign_matches_reference(assign_clusters, seeds):
    """Random data, D = 2..4, then integer points with exact ties."""
    cases = [_blobs(seed)[:2] for seed in seeds] + [_grid_with_ties(seeds[0], 2)]
    _assign_reference(assign_clusters, cases, None)


@check
def check_assign_one_dimensional(assign_clusters, seeds):
    cases = [_blobs(seed, d=1)[:2] for seed in seeds] + [_grid_with_ties(seeds[0], 1)]
    _assign_reference(assign_clusters, cases, 1)


def _assign_reference(assign_clusters, cases, d):
    for X, centers in cases:
        n, k = X.shape[0], centers.shape[0]
        ref = _km.assign(X, centers)
        got = _label_output(call_student(assign_clusters, "assign_clusters", X, centers, task=_T5A),
                            "assign_clusters", n, k)
        if array_equal(got, ref):
            continue
        message = _assign_diagnosis(X, centers, got, ref, numbers=False)
        if message:
            fail(message)
        if d == 1:
            fail("assign_clusters is wrong for D = 1 (X of shape (N, 1), centers (K, 1))")
        fail("assign_clusters: some points are not assigned to their nearest centre")


# =============================================================================================
# Task 5b: update_centers


def _update_diagnosis(X, labels, k, got, ref, numbers):
    counts = _np.bincount(labels, minlength=k)
    if not npall(_np.isfinite(got)):
        which = f" (cluster {int(_np.flatnonzero(counts == 0)[0])} has no point)" if numbers and (counts == 0).any() else ""
        return (f"update_centers: an empty cluster gave NaN{which}, the mean of no points; follow the docstring's "
                "rule for empty clusters")
    nonempty = counts > 0
    means = _np.zeros_like(ref)
    for j in _np.flatnonzero(nonempty):
        means[j] = X[labels == j].mean(axis=0)
    if (counts == 0).any():
        if close(got[nonempty], means[nonempty], 1e-9, 1e-9) and not close(ref[nonempty], means[nonempty], 1e-9, 1e-9):
            return ("update_centers: the point that moves to an empty cluster leaves its old cluster, whose centre "
                    "becomes the mean of the points left")
        if close(got, _relocated(X, labels, k, last_on_tie=True), 1e-9, 1e-9):
            return ("update_centers: when several points are equally far from their cluster's mean, the one with "
                    "the lowest index goes to the empty cluster first")
        if close(got, _relocated(X, labels, k, divide=False), 1e-9, 1e-9):
            return "update_centers: a centre is the mean of its points: divide their sum by their number"
        if close(got, _relocated(X, labels, k, recompute=True), 1e-9, 1e-9):
            return ("update_centers: with several empty clusters, the distances to the means are computed once, "
                    "before any point moves: the second empty cluster takes the farthest point left on that list, "
                    "not the farthest from the means after the first move")
        return ("update_centers: the centre of an empty cluster (and of the cluster that lost a point to it) does not "
                "follow the docstring's rule: the empty cluster takes the point farthest from its own cluster's mean")
    medians = _np.stack([_np.median(X[labels == j], axis=0) for j in range(k)])
    if close(got, medians, 1e-9, 1e-9):
        return "update_centers: a centre moves to the mean of its points, not their median"
    sums = _np.stack([X[labels == j].sum(axis=0) for j in range(k)])
    if close(got, sums, 1e-9, 1e-9):
        return "update_centers: a centre is the mean of its points: divide their sum by their number"
    return None


def _relocated(X, labels, k, last_on_tie=False, recompute=False, divide=True):
    """The docstring's empty-cluster rule, or one of two slips: ties sent to the highest index, or the
    distances computed again after each move (the docstring computes them once)."""
    labels = labels.copy()
    counts = _np.bincount(labels, minlength=k).astype(float)
    sums = _np.zeros((k, X.shape[1]))
    _np.add.at(sums, labels, X)
    taken = _np.zeros(labels.size, dtype=bool)
    dist = None
    for j in _np.flatnonzero(counts == 0):
        if dist is None or recompute:
            dist = ((X - (sums / _np.maximum(counts, 1)[:, None])[labels]) ** 2).sum(axis=1)
        free = _np.where(taken, -_np.inf, dist)
        if last_on_tie:
            i = free.size - 1 - int(_np.argmax(free[::-1]))
        else:
            i = int(_np.argmax(free))
        sums[labels[i]] -= X[i]
        counts[labels[i]] -= 1
        sums[j], counts[j] = X[i], 1
        labels[i], taken[i] = j, True
    return sums / counts[:, None] if divide else sums


_UPDATE_CASES = (
    (_np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 14.0], [11.0, 9.0]]), _np.array([0, 0, 1, 1, 1]), 2),
    # cluster 2 is empty: it takes the point farthest from its cluster's mean (x = 3)
    (_np.array([[0.0], [1.0], [3.0], [10.0]]), _np.array([0, 0, 0, 1]), 3),
    # x = 0 and x = 2 are equally far from their mean 1: the lower index, x = 0, moves
    (_np.array([[0.0], [2.0], [10.0]]), _np.array([0, 0, 1]), 3),
    # clusters 2 and 3 are empty: they take x = 30, then x = 0 (the distances are computed once, before
    # x = 30 leaves; computed again after, x = 100 would be the farthest)
    (_np.array([[0.0], [1.0], [2.0], [30.0], [100.0], [104.0]]), _np.array([0, 0, 0, 0, 1, 1]), 4),
)


@visible(TASKS[1])
def visible_update_centers(update_centers):
    """Two clusters in 2-D; then empty clusters (D = 1): one, one with a tie for the farthest point, two."""
    for X, labels, k in _UPDATE_CASES:
        call = f"update_centers(X, labels, k) with X = {fmt(X)}, labels = {fmt(labels)}, k = {k}"
        expected = _km.update(X, labels, k)
        with about(call):
            got = array_of_shape(call_student(update_centers, "update_centers", X, labels, k, task=_T5B),
                                 "the centres it returned", expected.shape, finite=False)
        if not close(got, expected, 1e-9, 1e-9):
            fail(mismatch(call, got, expected, _update_diagnosis(X, labels, k, got, expected, numbers=True)))


def _update_instance(seed, empty):
    X, centers, generator = _blobs(seed)
    k = centers.shape[0] + (1 if empty else 0)
    labels = generator.integers(0, k - (1 if empty else 0), size=X.shape[0])
    labels[: k - (1 if empty else 0)] = _np.arange(k - (1 if empty else 0))  # every other cluster is used
    if empty:
        # the empty cluster is a middle index, not the last one
        j = int(generator.integers(0, k - 1))
        labels = _np.where(labels >= j, labels + 1, labels)
    return X, labels, k


@check
def check_update_matches_reference(update_centers, seeds):
    for seed in seeds:
        X, labels, k = _update_instance(seed, empty=False)
        ref = _km.update(X, labels, k)
        got = array_of_shape(call_student(update_centers, "update_centers", X, labels, k, task=_T5B),
                             "the centres returned by update_centers", ref.shape, finite=False)
        if close(got, ref, 1e-9, 1e-9):
            continue
        fail(_update_diagnosis(X, labels, k, got, ref, numbers=False)
             or "update_centers: centre j must be the mean of the points labelled j")


# Beyond the random cases: two points tie for the largest distance (the lower index moves), and
# two empty clusters (taken in increasing order of j, from one list of distances computed before
# any point moves: computed again after the first move, the second would take another point).
_EMPTY_CASES = (
    (_np.array([[0.0], [2.0], [10.0]]), _np.array([0, 0, 1]), 3),
    (_np.array([[0.0], [1.0], [3.0], [10.0], [11.0]]), _np.array([0, 0, 0, 1, 1]), 4),
    (_np.array([[5.0, 0.0], [0.0, 0.0], [1.0, 1.0], [40.0, 3.0], [90.0, 90.0], [95.0, 90.0], [90.0, 96.0]]),
     _np.array([2, 2, 2, 2, 0, 0, 0]), 5),
)


@check
def check_update_empty_cluster(update_centers, seeds):
    cases = [_update_instance(seed, empty=True) for seed in seeds] + list(_EMPTY_CASES)
    for X, labels, k in cases:
        ref = _km.update(X, labels, k)
        got = array_of_shape(call_student(update_centers, "update_centers", X, labels, k, task=_T5B),
                             "the centres returned by update_centers (with an empty cluster)", ref.shape, finite=False)
        if not close(got, ref, 1e-9, 1e-9):
            fail(_update_diagnosis(X, labels, k, got, ref, numbers=False))


# =============================================================================================
# Task 5c: kmeans


def _kmeans_output(out, n, k, d):
    out = tuple_of(out, "kmeans", 2)
    centers = array_of_shape(out[0], "the centres returned by kmeans", (k, d))
    labels = _label_output(out[1], "kmeans", n, k)
    return centers, labels


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


def _kmeans_diagnosis(X, init, max_iter, centers, labels):
    """For a result that is not the reference's after max_iter iterations."""
    if close(centers, init, 0, 1e-12):
        return ("kmeans never moved the centres: after each assignment, move every centre to the mean of its points "
                "(the update step), and repeat")
    ref_centers, _ = _reference_kmeans_loop(X, init, max_iter)
    if close(centers, ref_centers, 1e-8, 1e-8):
        return ("kmeans: the returned labels must be those of the nearest returned centre (assign the points once "
                "more after the last update)")
    full, _ = _reference_kmeans_loop(X, init, 1000)
    if close(centers, full, 1e-8, 1e-8):
        return "kmeans must stop after max_iter iterations (one iteration = one assignment + one update)"
    for iterations in range(1, max_iter + 3):
        if iterations != max_iter and close(centers, _reference_kmeans_loop(X, init, iterations)[0], 1e-8, 1e-8):
            return (f"kmeans ran {iterations} iteration(s) where {max_iter} were due: one iteration is one "
                    "assignment and one update; stop after max_iter of them, or earlier when the labels no longer "
                    "change")
    return None


_KMEANS_CASE = (_np.array([[0.0], [1.0], [5.0], [6.0], [20.0]]), _np.array([[0.0], [1.0]]))


@visible(TASKS[2])
def visible_kmeans(kmeans):
    """Five 1-D points from centres 0 and 1: after one iteration, after two, and to convergence."""
    X, init = _KMEANS_CASE
    subs = _step_subs()
    for max_iter in (1, 2, 100):
        call = f"kmeans(X, init_centers, max_iter) with X = {fmt(X)}, init_centers = {fmt(init)}, max_iter = {max_iter}"
        ref_centers, ref_labels = _reference_kmeans_loop(X, init, max_iter)
        with about(call):
            centers, labels = _kmeans_output(call_student(kmeans, "kmeans", X, init, max_iter, substitutes=subs,
                                                          task=_T5C, unchanged=[(1, "init_centers")]),
                                             X.shape[0], 2, 1)
        if close(centers, ref_centers, 1e-9, 1e-9) and array_equal(labels, ref_labels):
            continue
        fail(f"{call}\n  returned centres {fmt(centers)} and labels {fmt(labels)}\n  expected centres "
             f"{fmt(ref_centers)} and labels {fmt(ref_labels)}\n"
             + (_kmeans_diagnosis(X, init, max_iter, centers, labels)
                or "one iteration is one assignment and one update, from the given centres"))


def _kmeans_instance(seed):
    X, _, generator = _blobs(seed, n=150)
    k = int(generator.integers(3, 6))
    init = X[generator.choice(X.shape[0], size=k, replace=False)]
    return X, init


@check
def check_kmeans_matches_reference(kmeans, seeds):
    """Run to convergence; same partition and centres as the reference (up to relabelling)."""
    subs = _step_subs()
    for seed in seeds:
        X, init = _kmeans_instance(seed)
        n, d = X.shape
        k = init.shape[0]
        ref_centers, ref_labels = _reference_kmeans_loop(X, init, 100)
        centers, labels = _kmeans_output(call_student(kmeans, "kmeans", X, init, 100, substitutes=subs, task=_T5C,
                                                      unchanged=[(1, "init_centers")]), n, k, d)
        if close(centers, init, 0, 1e-12) and not close(ref_centers, init, 0, 1e-12):
            fail("kmeans never moved the centres: after each assignment, move every centre to the mean of its "
                 "points (the update step), and repeat")
        perm = _match_permutation(labels, ref_labels, k)
        if perm is None:
            fail("kmeans: labels that differ only by a permutation are fine; these differ in membership (did it "
                 "run until the labels stop changing?)")
        used = perm >= 0
        if not close(centers[used], ref_centers[perm[used]], 1e-8, 1e-8):
            fail("kmeans: the returned centres are not the means of the returned clusters")
        nearest = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        if not array_equal(nearest, labels):
            fail("kmeans: the returned labels must be those of the nearest returned centre")


@check
def check_kmeans_max_iter(kmeans, seeds):
    """max_iter caps the number of iterations (assignment + update)."""
    subs = _step_subs()
    for seed in seeds:
        X, init = _kmeans_instance(seed)
        n, d = X.shape
        k = init.shape[0]
        full_centers, _ = _reference_kmeans_loop(X, init, 100)
        for max_iter in (1, 2):
            ref_centers, ref_labels = _reference_kmeans_loop(X, init, max_iter)
            if close(ref_centers, full_centers, 1e-12, 1e-12):
                continue  # converged already; this max_iter tells nothing
            centers, labels = _kmeans_output(call_student(kmeans, "kmeans", X, init, max_iter, substitutes=subs,
                                                          task=_T5C), n, k, d)
            if close(centers, ref_centers, 1e-8, 1e-8):
                continue
            fail(_kmeans_diagnosis(X, init, max_iter, centers, labels)
                 or "kmeans: after max_iter iterations (one iteration = one assignment + one update) the centres "
                    "are not where they should be")


# =============================================================================================
# Task 5d: quantize_colors


def _reference_kmeans():
    return reference_backed(lambda X, init, max_iter=100: _reference_kmeans_loop(X, init, int(max_iter)))


def _quantize_subs():
    subs = _step_subs()
    subs["kmeans"] = _reference_kmeans()
    return subs


def _quantize_output(value, image):
    if type(value) is not _np.ndarray:
        fail(f"quantize_colors must return a NumPy array (got {type(value).__name__})")
    if value.shape != image.shape:
        fail(f"quantize_colors must return an image of the same shape {image.shape} (got {value.shape})")
    if value.dtype != _np.uint8:
        fail(f"quantize_colors must return an image of dtype uint8 (got {value.dtype}): round the centres with "
             "np.rint, then convert with .astype(np.uint8)")
    return _np.array(value, dtype=_np.uint8, copy=True)


def _rounding_diagnosis(image, out):
    """None if every colour is the rounded mean of the pixels that carry it, else what is wrong."""
    pixels = image.reshape(-1, 3).astype(float)
    flat = out.reshape(-1, 3).astype(float)
    for colour in _unique(flat, axis=0):
        members = pixels[npall_rows(flat == colour)]
        mean = members.mean(axis=0)
        if array_equal(colour, _np.rint(mean)):
            continue
        if array_equal(colour, _np.floor(mean)):
            return (colour, mean, "the centres were truncated: .astype(np.uint8) drops the fraction; round them "
                                  "to the nearest integer with np.rint first")
        if array_equal(colour, _np.ceil(mean)):
            return (colour, mean, "the centres were rounded up (np.ceil): round them to the nearest integer with "
                                  "np.rint")
        if _np.max(_np.abs(colour - mean)) <= 1.0:
            return (colour, mean, "each centre must be rounded to the nearest integer with np.rint")
        return (colour, mean, "the colours are not the means of the pixels they replace: run k-means on the pixel "
                              "colours (as floats) until it converges, then round the centres with np.rint")
    return None


def npall_rows(mask):
    return _np.logical_and.reduce(mask, axis=1)


def _visible_image():
    image = _np.zeros((4, 4, 3), dtype=_np.uint8)
    image[:2] = [200, 100, 50]
    image[0, :2] = [201, 101, 51]  # the bright group's mean is [200.25, 100.25, 50.25]: np.rint rounds it down
    image[2:] = [11, 21, 31]
    image[2, :3] = [10, 20, 30]  # the dark group's mean is [10.625, 20.625, 30.625]: np.rint rounds it up
    return image


@visible(TASKS[3])
def visible_quantize_colors(quantize_colors):
    """A 4x4 image in two colour groups, with k = 2: their means have fractions .25 and .625."""
    image = _visible_image()
    call = ("quantize_colors(image, 2, np.random.default_rng(0)) with image a 4×4 image: 2 pixels [201, 101, 51], "
            "6 pixels [200, 100, 50], 3 pixels [10, 20, 30] and 5 pixels [11, 21, 31]")
    expected = image.copy()
    expected[:2] = [200, 100, 50]
    expected[2:] = [11, 21, 31]
    with about(call):
        out = _quantize_output(call_student(quantize_colors, "quantize_colors", image, 2, _rng(0),
                                            substitutes=_quantize_subs(), task=_T5D), image)
    if not array_equal(out, expected):
        found = _rounding_diagnosis(image, out)
        shown = ("  returned the colours " + fmt(_unique(out.reshape(-1, 3), axis=0)) + "\n  expected "
                 + fmt(_unique(expected.reshape(-1, 3), axis=0)))
        hint = f"\n{found[2]} (the mean {fmt(found[1])} became {fmt(found[0])})" if found else \
            "\neach pixel takes the rounded colour of its cluster's centre; the two groups are the two clusters"
        fail(f"{call}\n{shown}{hint}")
    # Sixteen different colours and k = 6: the result depends on the initial centres.
    image = _rng(5).integers(0, 256, size=(4, 4, 3)).astype(_np.uint8)
    call = "quantize_colors(image, 6, np.random.default_rng(0)) three times, with image 16 different colours"
    with about(call):
        runs = []
        for state in (1, 2, 3):
            _np.random.seed(state)
            runs.append(_quantize_output(call_student(quantize_colors, "quantize_colors", image, 6, _rng(0),
                                                      substitutes=_quantize_subs(), task=_T5D), image))
        if not (array_equal(runs[0], runs[1]) and array_equal(runs[0], runs[2])):
            fail("the same rng seed gave different images: draw the initial centres with rng (not np.random)")


def _test_image(seed, h=24, w=32):
    generator = _rng(seed)
    palette = generator.uniform(20, 235, size=(5, 3))
    rows = (_np.arange(h)[:, None] * 5 // h + _np.arange(w)[None, :] * 2 // w) % 5
    image = palette[rows] + generator.normal(scale=10.0, size=(h, w, 3))
    return _np.clip(_np.rint(image), 0, 255).astype(_np.uint8)


@check
def check_quantize_format(quantize_colors, seeds):
    for seed in seeds:
        image = _test_image(seed)
        for k in (3, 4):
            out = _quantize_output(call_student(quantize_colors, "quantize_colors", image, k, _rng(seed),
                                                substitutes=_quantize_subs(), task=_T5D), image)
            colours = _unique(out.reshape(-1, 3), axis=0)
            if colours.shape[0] > k:
                fail(f"quantize_colors returned {colours.shape[0]} distinct colours for k = {k}: each pixel must "
                     "take the colour of its cluster's centre")


@check
def check_quantize_kmeans(quantize_colors, seeds):
    """Every pixel takes the colour of its nearest centre; each colour is np.rint of its cluster's mean."""
    for seed in seeds:
        image = _test_image(seed)
        pixels = image.reshape(-1, 3).astype(float)
        for k in (3, 4):
            out = _quantize_output(call_student(quantize_colors, "quantize_colors", image, k, _rng(seed),
                                                substitutes=_quantize_subs(), task=_T5D), image)
            flat = out.reshape(-1, 3).astype(float)
            palette = _unique(flat, axis=0)
            if palette.shape[0] > k:
                fail(f"quantize_colors returned more than k = {k} distinct colours")
            d_own = _np.sqrt(((pixels - flat) ** 2).sum(axis=1))
            d_min = _np.sqrt(((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
            if _np.any(d_own > d_min + _np.sqrt(3.0) + 1e-9):
                fail("quantize_colors: some pixels did not take the colour of their nearest centre")
            found = _rounding_diagnosis(image, out)
            if found:
                fail(f"quantize_colors: {found[2]}")


@check
def check_quantize_reproducible(quantize_colors, seeds):
    for seed in seeds:
        image = _test_image(seed)
        first = _quantize_output(call_student(quantize_colors, "quantize_colors", image, 4, _rng(seed),
                                              substitutes=_quantize_subs(), task=_T5D), image)
        _np.random.seed(seed + 1)
        second = _quantize_output(call_student(quantize_colors, "quantize_colors", image, 4, _rng(seed),
                                               substitutes=_quantize_subs(), task=_T5D), image)
        if not array_equal(first, second):
            fail("quantize_colors: the same rng seed must give the same image: draw the initial centres with rng")


# =============================================================================================

VISIBLE = {"assign_clusters": visible_assign_clusters, "update_centers": visible_update_centers,
           "kmeans": visible_kmeans, "quantize_colors": visible_quantize_colors}


summary = summary_function(TITLE, TASKS, VISIBLE)
