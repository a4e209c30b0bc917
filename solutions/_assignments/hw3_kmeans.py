"""hw3_kmeans: k-means step by step, then colour quantisation with it."""

from ._cells import answer, hidden, md, setup, tests

CELLS = [
    md("intro", r"""
# Homework 3 — k-means

*Follows Chapter 5 (k-means, `book/05_kmeans.md`).*

**Due:** _DUE DATE_ · **Points:** 17 (all autograded)

| task | function | points |
| --- | --- | --- |
| 5a | `assign_clusters(X, centers)` — the assignment step | 4 |
| 5b | `update_centers(X, labels, k)` — the update step | 4 |
| 5c | `kmeans(X, init_centers, max_iter)` — Lloyd's algorithm | 5 |
| 5d | `quantize_colors(image, k, rng)` — a k-colour palette for a photo | 4 |

Rules:

* Write each function in its cell, keeping its name and arguments; you may add helper functions.
* Use NumPy (and, if you like, `scipy.special` and `scipy.linalg`). A function that calls
  `coursekit`, `scipy.stats` or scikit-learn scores zero for that task.
* Each docstring is the function's contract: any implementation that meets it gets full marks.
* The tasks build on each other: `kmeans` should call your `assign_clusters` and
  `update_centers`, and `quantize_colors` your `kmeans`. Each task is graded on its own: while
  `kmeans` is graded, correct versions of the two steps stand in for yours (and a correct `kmeans`
  while `quantize_colors` is graded), so one mistake does not cost you twice.
* Before you submit: *Kernel → Restart & Run All*, and check that no cell raises an error.
"""),
    setup("setup", r"""
import numpy as np

from coursekit import autograde as _ag  # the graders' checks, used by the test cells
"""),
    md("task5a", r"""
## Task 5a — the assignment step (4 points)

Each point joins the cluster of its nearest centre (Euclidean distance).
"""),
    answer("assign_clusters", r'''
def assign_clusters(X, centers):
    """Index of the nearest centre for every point.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
        Points, one per row (shape (n, 1) when d = 1).
    centers : ndarray of float, shape (k, d)
        Cluster centres.

    Returns
    -------
    labels : ndarray of int, shape (n,)
        ``labels[i]`` in 0 .. k-1 minimises ``||X[i] - centers[j]||`` over j (on an exact tie,
        the lowest j, as np.argmin does).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    centers = np.asarray(centers, dtype=float)
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)   # (n, k) squared distances
    return np.argmin(d2, axis=1)
    ### END SOLUTION
'''),
    tests("test_assign_clusters_visible", 1, r"""
# Quick sanity checks (1 point).
with _ag.own_work():
    labels = assign_clusters(np.array([[0.0, 0.0], [4.0, 4.1], [0.9, 0.2]]), np.array([[0.0, 0.0], [4.0, 4.0]]))
labels = _ag.plain_array(labels, "the labels", shape=(3,))  # one label per point
assert _ag.array_equal(labels, [0, 1, 0]), "each point joins its nearest centre"
"""),
    tests("test_assign_clusters_reference", 2, hidden(
        "Hidden test (2 points): matches the reference on random data, d = 2..4.",
        "_ag.check_assign_matches_reference(assign_clusters, seeds=[501, 502, 503])")),
    tests("test_assign_clusters_1d", 1, hidden(
        "Hidden test (1 point): d = 1.",
        "_ag.check_assign_one_dimensional(assign_clusters, seeds=[511, 512])")),
    md("task5b", r"""
## Task 5b — the update step (4 points)

Each centre jumps to the mean (centroid) of the points it owns. A cluster that owns no point has
no mean; the docstring says what to do then (the rule scikit-learn uses).
"""),
    answer("update_centers", r'''
def update_centers(X, labels, k):
    """Move each centre to the mean of the points assigned to it.

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
        Points (shape (n, 1) when d = 1).
    labels : ndarray of int, shape (n,)
        Cluster index in 0 .. k-1 of every point.
    k : int
        Number of clusters.

    Returns
    -------
    centers : ndarray of float, shape (k, d)
        ``centers[j]`` is the mean of ``X[labels == j]``.

        Empty clusters (no point has label j) are never NaN.  First compute the means of the
        non-empty clusters and, for every point, its squared distance to the mean of its own
        cluster.  Then each empty cluster, in increasing order of j, takes the point with the
        largest such distance that has not been taken yet (on a tie, the lowest point index):
        its centre is that point, and the point leaves its old cluster, whose centre becomes
        the mean of its remaining points.  (The distances are computed once, before any
        point moves.)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    n, d = X.shape
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, d))
    np.add.at(sums, labels, X)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        means = sums / np.maximum(counts, 1)[:, None]
        dist = ((X - means[labels]) ** 2).sum(axis=1)
        farthest = np.argsort(-dist, kind="stable")[: empty.size]
        for j, i in zip(empty, farthest):
            sums[labels[i]] -= X[i]
            counts[labels[i]] -= 1
            sums[j] = X[i]
            counts[j] = 1
    return sums / counts[:, None]
    ### END SOLUTION
'''),
    tests("test_update_centers_visible", 1, r"""
# Quick sanity checks (1 point).
X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0]])
with _ag.own_work():
    centers = update_centers(X, np.array([0, 0, 1, 1]), 2)
centers = _ag.plain_array(centers, "the centres", shape=(2, 2))  # a (k, d) array
assert _ag.allclose(centers, [[1.0, 0.0], [11.0, 10.0]]), "each centre is the mean of its points"
"""),
    tests("test_update_centers_reference", 2, hidden(
        "Hidden test (2 points): matches the reference on random labellings (no empty cluster).",
        "_ag.check_update_matches_reference(update_centers, seeds=[521, 522, 523])")),
    tests("test_update_centers_empty", 1, hidden(
        "Hidden test (1 point): one empty cluster, handled as the docstring says.",
        "_ag.check_update_empty_cluster(update_centers, seeds=[531, 532, 533])")),
    md("task5c", r"""
## Task 5c — Lloyd's algorithm (5 points)

Alternate the two steps, starting from the given centres, until the labels no longer change.
"""),
    answer("kmeans", r'''
def kmeans(X, init_centers, max_iter):
    """k-means (Lloyd's algorithm) from given initial centres.

    One iteration is an assignment step (assign_clusters) followed by an update step
    (update_centers).  Run at most max_iter iterations; stop earlier after an iteration whose
    assignment gave exactly the labels of the previous iteration (the centres then no longer
    move).

    Parameters
    ----------
    X : ndarray of float, shape (n, d)
        Points (shape (n, 1) when d = 1).
    init_centers : ndarray of float, shape (k, d)
        Initial centres (do not modify this array).
    max_iter : int
        Maximum number of iterations, >= 1.

    Returns
    -------
    centers : ndarray of float, shape (k, d)
        The centres after the last update step.
    labels : ndarray of int, shape (n,)
        The nearest of the returned centres for every point (assign_clusters(X, centers)).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    k = centers.shape[0]
    previous = None
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
        if previous is not None and np.array_equal(labels, previous):
            break
        centers = update_centers(X, labels, k)
        previous = labels
    return centers, assign_clusters(X, centers)
    ### END SOLUTION
'''),
    tests("test_kmeans_visible", 1, r"""
# Quick sanity checks (1 point): two obvious clusters.
X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
with _ag.own_work():
    centers, labels = kmeans(X, np.array([[0.0, 0.0], [0.0, 1.0]]), 20)
centers = _ag.plain_array(centers, "the centres", shape=(2, 2))  # (k, d)
labels = _ag.plain_array(labels, "the labels", shape=(4,))  # (n,)
assert labels[0] == labels[1] != labels[2] == labels[3], "the two groups are the two clusters"
assert _ag.allclose(sorted(centers[:, 0]), [0.0, 10.0]), "the centres are the means of the clusters"
"""),
    tests("test_kmeans_reference", 3, hidden(
        "Hidden test (3 points): the same clusters and centres as the reference (up to relabelling).",
        "_ag.check_kmeans_matches_reference(kmeans, seeds=[541, 542, 543, 544])")),
    tests("test_kmeans_max_iter", 1, hidden(
        "Hidden test (1 point): max_iter = 1 and 2 stop after that many iterations.",
        "_ag.check_kmeans_max_iter(kmeans, seeds=[551, 552, 553])")),
    md("task5d", r"""
## Task 5d — colour quantisation (4 points)

Treat every pixel of an RGB image as a point in 3-D colour space, cluster the pixels into k
groups with your `kmeans`, and repaint each pixel with the colour of its cluster's centre.
"""),
    answer("quantize_colors", r'''
def quantize_colors(image, k, rng):
    """Reduce an RGB image to (at most) k colours with k-means.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 3)
        An RGB image.
    k : int
        Number of colours, 1 <= k <= h * w.
    rng : numpy.random.Generator
        The only source of randomness (for the initial centres, e.g. k distinct pixels chosen
        with rng.choice); the same seed must give the same result.

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)
        Run kmeans on the h*w pixel colours (as floats, max_iter = 100 is plenty) and give each
        pixel the centre of its cluster, rounded to the nearest integer (np.rint) and converted
        to uint8.
    """
    ### BEGIN SOLUTION
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    palette = np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    return palette[labels].reshape(np.shape(image))
    ### END SOLUTION
'''),
    tests("test_quantize_colors_visible", 1, r"""
# Quick sanity checks (1 point): a 2-colour image stays a 2-colour image.
img = np.zeros((4, 4, 3), dtype=np.uint8)
img[:, 2:] = [200, 100, 50]
with _ag.own_work():
    out = quantize_colors(img, 2, np.random.default_rng(0))
assert type(out) is np.ndarray and out.shape == img.shape, "the result is an image (np.ndarray) of the same shape"
assert out.dtype == np.uint8, "the result has dtype uint8"
assert _ag.array_equal(out, img), "two colours with k = 2 must come back unchanged"
"""),
    tests("test_quantize_colors_format", 1, hidden(
        "Hidden test (1 point): uint8 image of the same shape with at most k colours.",
        "_ag.check_quantize_format(quantize_colors, seeds=[561, 562])")),
    tests("test_quantize_colors_kmeans", 1, hidden(
        "Hidden test (1 point): each pixel takes its nearest colour, and the colours are cluster means.",
        "_ag.check_quantize_kmeans(quantize_colors, seeds=[571, 572])")),
    tests("test_quantize_colors_reproducible", 1, hidden(
        "Hidden test (1 point): the same rng seed gives the same image.",
        "_ag.check_quantize_reproducible(quantize_colors, seeds=[581])")),
]
