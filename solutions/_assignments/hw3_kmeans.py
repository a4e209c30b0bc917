"""hw3_kmeans: k-means step by step, then colour quantisation with it (tasks 5a-5d)."""

from ._cells import answer, hidden, md, rules, setup_cell, signature, summary_cells, task_heading, task_table, visible_test

AID = "hw3_kmeans"

ASSIGN = r'''
def assign_clusters(X, centers):
    """Index of the nearest centre for every point.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        Points, one per row (shape (N, 1) when D = 1).
    centers : ndarray of float, shape (K, D)
        Cluster centres.

    Returns
    -------
    labels : ndarray of int, shape (N,)
        ``labels[n]`` in 0 .. K-1 minimises ``||X[n] - centers[k]||`` over k; on an exact tie,
        the lowest k (as np.argmin does).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    centers = np.asarray(centers, dtype=float)
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)   # (N, K) squared distances
    return np.argmin(d2, axis=1)
    ### END SOLUTION
    raise NotImplementedError("Task 5a: write assign_clusters here (replace this line with your code)")
'''

UPDATE = r'''
def update_centers(X, labels, k):
    """Move each centre to the mean of the points assigned to it.

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        Points (shape (N, 1) when D = 1).
    labels : ndarray of int, shape (N,)
        Cluster index in 0 .. K-1 of every point.
    k : int
        K, the number of clusters.

    Returns
    -------
    centers : ndarray of float, shape (K, D)
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
    N, D = X.shape
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, D))
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
    raise NotImplementedError("Task 5b: write update_centers here (replace this line with your code)")
'''

KMEANS = r'''
def kmeans(X, init_centers, max_iter):
    """k-means (Lloyd's algorithm) from given initial centres.

    One iteration is an assignment step (assign_clusters) followed by an update step
    (update_centers).  Run at most max_iter iterations; stop earlier after an iteration whose
    assignment gave exactly the labels of the previous iteration (the centres then no longer
    move).

    Parameters
    ----------
    X : ndarray of float, shape (N, D)
        Points (shape (N, 1) when D = 1).
    init_centers : ndarray of float, shape (K, D)
        Initial centres (do not modify this array).
    max_iter : int
        Maximum number of iterations, >= 1.

    Returns
    -------
    centers : ndarray of float, shape (K, D)
        The centres after the last update step.
    labels : ndarray of int, shape (N,)
        The nearest of the returned centres for every point (assign_clusters(X, centers)).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    centers = np.array(init_centers, dtype=float)
    K = centers.shape[0]
    previous = None
    for _ in range(max_iter):
        labels = assign_clusters(X, centers)
        if previous is not None and np.array_equal(labels, previous):
            break
        centers = update_centers(X, labels, K)
        previous = labels
    return centers, assign_clusters(X, centers)
    ### END SOLUTION
    raise NotImplementedError("Task 5c: write kmeans here (replace this line with your code)")
'''

QUANTIZE = r'''
def quantize_colors(image, k, rng):
    """Reduce an RGB image to (at most) k colours with k-means.

    Parameters
    ----------
    image : ndarray of uint8, shape (h, w, 3)
        An RGB image.
    k : int
        K, the number of colours, 1 <= K <= h * w.
    rng : numpy.random.Generator
        The only source of randomness (for the initial centres, e.g. K distinct pixels chosen
        with rng.choice); the same seed must give the same result.

    Returns
    -------
    ndarray of uint8, shape (h, w, 3)
        Run kmeans on the N = h*w pixel colours (as floats; max_iter = 100 is plenty) and give
        each pixel the centre of its cluster, rounded to the nearest integer with np.rint and
        then converted to uint8 (.astype(np.uint8) alone would truncate 10.6 to 10).
    """
    ### BEGIN SOLUTION
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    palette = np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    return palette[labels].reshape(np.shape(image))
    ### END SOLUTION
    raise NotImplementedError("Task 5d: write quantize_colors here (replace this line with your code)")
'''

SIGNATURES = {"assign_clusters": signature(ASSIGN), "update_centers": signature(UPDATE), "kmeans": signature(KMEANS),
              "quantize_colors": signature(QUANTIZE)}

CELLS = [
    md("intro", rf"""
# Homework 3: k-means

*Follows Chapter 5 (k-means, `book/05_kmeans.md`).*

**Due:** _DUE DATE_ · **Points:** 17 (all autograded)

{task_table(AID, SIGNATURES)}

Notation: $N$ points in $D$ dimensions, $X$ of shape $(N, D)$; $K$ clusters, centres of shape
$(K, D)$.

{rules(extra='''* The tasks build on each other: `kmeans` should call your `assign_clusters` and
  `update_centers`, and `quantize_colors` your `kmeans`. Each task is judged on its own, by its
  visible test as by its hidden ones: while `kmeans` is tested, correct versions of the two steps
  stand in for yours (and a correct `kmeans` while `quantize_colors` is tested), so one mistake
  does not cost you twice.
''')}"""),
    setup_cell(AID),
    task_heading(AID, "5a", r"""
Each point joins the cluster of its nearest centre (Euclidean distance); a point exactly as far
from two centres joins the one with the lower index.
"""),
    answer("assign_clusters", ASSIGN),
    visible_test(AID, "assign_clusters"),
    hidden(AID, "test_assign_clusters_reference", 2,
           "matches the reference on random data, D = 2..4, and on integer points with exact ties.",
           "_checks.check_assign_matches_reference(assign_clusters, seeds=[501, 502, 503])"),
    hidden(AID, "test_assign_clusters_1d", 1, "D = 1 (exact ties included).",
           "_checks.check_assign_one_dimensional(assign_clusters, seeds=[511, 512])"),
    task_heading(AID, "5b", r"""
Each centre jumps to the mean (centroid) of the points it owns. A cluster that owns no point has
no mean; the docstring says what to do then (the rule scikit-learn uses).
"""),
    answer("update_centers", UPDATE),
    visible_test(AID, "update_centers"),
    hidden(AID, "test_update_centers_reference", 2, "matches the reference on random labellings (no empty cluster).",
           "_checks.check_update_matches_reference(update_centers, seeds=[521, 522, 523])"),
    hidden(AID, "test_update_centers_empty", 1, "one empty cluster, handled as the docstring says.",
           "_checks.check_update_empty_cluster(update_centers, seeds=[531, 532, 533])"),
    task_heading(AID, "5c", r"""
Alternate the two steps, starting from the given centres, until the labels no longer change (or
`max_iter` iterations have run).
"""),
    answer("kmeans", KMEANS),
    visible_test(AID, "kmeans"),
    hidden(AID, "test_kmeans_reference", 3, "the same clusters and centres as the reference (up to relabelling).",
           "_checks.check_kmeans_matches_reference(kmeans, seeds=[541, 542, 543, 544])"),
    hidden(AID, "test_kmeans_max_iter", 1, "max_iter = 1 and 2 stop after that many iterations.",
           "_checks.check_kmeans_max_iter(kmeans, seeds=[551, 552, 553])"),
    task_heading(AID, "5d", r"""
Treat every pixel of an RGB image as a point in 3-D colour space, cluster the pixels into $K$
groups with your `kmeans`, and repaint each pixel with the colour of its cluster's centre, rounded
with `np.rint`.
"""),
    answer("quantize_colors", QUANTIZE),
    visible_test(AID, "quantize_colors"),
    hidden(AID, "test_quantize_colors_format", 1, "uint8 image of the same shape with at most K colours.",
           "_checks.check_quantize_format(quantize_colors, seeds=[561, 562])"),
    hidden(AID, "test_quantize_colors_kmeans", 1,
           "each pixel takes its nearest colour, and each colour is its cluster's mean rounded with np.rint.",
           "_checks.check_quantize_kmeans(quantize_colors, seeds=[571, 572])"),
    hidden(AID, "test_quantize_colors_reproducible", 1, "the same rng seed gives the same image.",
           "_checks.check_quantize_reproducible(quantize_colors, seeds=[581])"),
    *summary_cells(AID),
]
