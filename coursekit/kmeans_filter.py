"""Exact k-means with a kd-tree: the filtering algorithm of Pelleg and Moore / Kanungo et al.

Lloyd's assignment step computes all N K point-centre distances.  The filtering algorithm
(D. Pelleg and A. Moore, KDD 1999; T. Kanungo, D. Mount, N. Netanyahu, C. Piatko, R. Silverman
and A. Wu, IEEE TPAMI 24(7), 2002) gets the *same* assignment from far fewer:

1. Once per data set, the points go into a **kd-tree** (:func:`build_tree`).  Every node holds a
   contiguous range of the (permuted) points, its **bounding box** (the smallest axis-aligned
   box around them), their **count**, **vector sum** and scatter.  An internal node is split at
   the middle of its box's widest side.
2. Each assignment pass walks down the tree carrying a list of **candidate** centres, at the
   root all K of them.  At a node, the candidate ``z*`` closest to the middle of the box is
   found, and every other candidate ``z`` is tested against it (:func:`prunes`): if ``z`` is
   farther than ``z*`` from *every* point of the box, ``z`` owns none of them and leaves the
   list.  The test needs one corner of the box only: ``||x - z||^2 - ||x - z*||^2`` is linear
   in ``x`` (the squares of ``x`` cancel), so its minimum over the box is at the corner ``v``
   farthest in the direction ``z - z*``.
3. When one candidate is left, it owns the whole node: its count and vector sum are added to
   that centre's new sum in one go, without visiting the points (the node is *settled*).
   Otherwise the children are visited with the shortened list; at a leaf with several
   candidates left, each point takes its nearest candidate.

Exactness
    ``kmeans(..., algorithm="filter")`` returns the same labels, iterations and (to rounding)
    centres and inertia as ``algorithm="lloyd"`` from the same initial centres.  Every path of
    ``coursekit.kmeans`` computes a distance with one formula, ``sum_t (x_t - c_t)^2`` summed in
    order t = 0, ..., d - 1 without fused multiply-adds, and gives a point to the centre of
    smallest computed distance, ties to the lowest index.  The filter keeps this rule:

    * a candidate is pruned only when the box test shows it farther than ``z*`` by more than
      a margin, ``(4 d + 20) u (3 R + 2 ||z - z*||^2)`` with ``u = 2^-53`` and ``R`` the squared
      distance from ``z*`` to the box's farthest corner.  That margin exceeds the rounding error
      of the test plus that of both computed distances for any point of the box, so a pruned
      centre is, in the computed distances too, strictly farther than ``z*`` for every point of
      the box: Lloyd's computation would never pick it;
    * the candidate lists keep increasing centre order, and points in leaves compare their
      candidates with the same formula and the same strict ``<``, so exact ties go to the
      lowest index as in Lloyd's loop;
    * a settled node's sum and count are its points' sum and count, so the new centres are the
      same means, summed in another order (they agree to rounding, ~1e-16 relative).

    A near-tie therefore costs a few more distance computations, never a different answer.

Cost
    A node far from every boundary between two centres' cells is settled high up, in one test
    per candidate; the work is spent near the boundaries.  In low dimension (d <= 8 or so) with
    many points per cell this is far less than N K; in high dimension boxes are rarely
    separated from the boundaries, and Lloyd's plain loop is faster.  ``algorithm="auto"`` in
    :func:`coursekit.kmeans.kmeans` chooses between them (``bench/bench_kmeans.py`` measures
    where; ``bench/README.md`` reports it).  Building the tree costs about as much as a few
    Lloyd iterations (it sorts the points, O(N log N)) and is done once per :func:`kmeans` call.

Use :func:`build_tree` and :meth:`KDTree.assign` to look inside one pass (the book's widget
does): ``KDTree.assign(centers, trace=True)`` returns a :class:`FilterTrace` with the state of
every node and the number of distance computations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_X

__all__ = ["KDTree", "FilterTrace", "FilterStats", "build_tree", "prunes", "DEFAULT_LEAF_SIZE"]

# Points per leaf at most.  Smaller leaves prune closer to the boundaries but make a deeper
# tree (more box tests and a longer build).  Whole fits (build + 20 passes, CPU time, median of 7,
# leaf sizes interleaved) with 32 took 0.86-1.02x the time with 16 at n = 3 10^4 .. 10^6,
# d = 2 .. 8, k = 50, blobs and uniform data (a wider single run, d = 1 .. 8, k = 10 .. 200,
# agreed); 8 was never faster, 64 went either way.
DEFAULT_LEAF_SIZE = 32

# node states in FilterTrace.state
NOT_VISITED, SETTLED, SPLIT, LEAF_POINTS = 0, 1, 2, 3


def prunes(lo, hi, best, other):
    """The pruning rule: is ``other`` farther than ``best`` from every point of the box?

    Parameters
    ----------
    lo, hi : array_like, shape (D,)
        Opposite corners of an axis-aligned box (``lo <= hi``).
    best, other : array_like, shape (D,)
        Two centres.

    Returns
    -------
    bool
        True when ``||x - other|| > ||x - best||`` for every ``x`` in the box (exact arithmetic).
        Only the corner ``v`` of the box farthest in the direction ``other - best`` is checked:
        ``||x - other||^2 - ||x - best||^2 = 2 x.(best - other) + ||other||^2 - ||best||^2`` is
        linear in ``x``, so over a box it is smallest at that corner.  (The compiled kernel adds
        a rounding margin to this test; see the module docstring.)
    """
    lo, hi, best, other = (np.asarray(a, dtype=float) for a in (lo, hi, best, other))
    v = np.where(other > best, hi, lo)
    return bool(np.sum((v - other) ** 2) > np.sum((v - best) ** 2))


@dataclass
class FilterStats:
    """Work done by one assignment pass of the filtering algorithm.

    Attributes
    ----------
    point_distances : int
        Point-centre distances computed (in leaves; Lloyd's loop computes N K of them).
    box_tests : int
        Candidate-against-box pruning tests.
    middle_distances : int
        Distances from a box's middle to a candidate (to choose ``z*``).
    nodes_visited, nodes_settled : int
        Nodes reached by the walk, and those settled whole (one owner for all their points).
    points_settled : int
        Points inside settled nodes: given their centre without being looked at one by one.
    """

    point_distances: int
    box_tests: int
    middle_distances: int
    nodes_visited: int
    nodes_settled: int
    points_settled: int

    @property
    def distance_computations(self):
        """All distance-like computations: point-centre distances, box tests (each about the
        cost of one distance) and middle-of-box distances."""
        return self.point_distances + self.box_tests + self.middle_distances


@dataclass
class FilterTrace:
    """One assignment pass, node by node (from :meth:`KDTree.assign` with ``trace=True``).

    Attributes
    ----------
    labels : ndarray of int64, shape (N,)
        Nearest centre of every point (in the order of the data).
    lo, hi : ndarray, shape (M, D)
        Bounding box of each of the M nodes (nodes in depth-first order, 0 is the root).
    depth : ndarray of int64, shape (M,)
        Depth of each node (root 0).
    is_leaf : ndarray of bool, shape (M,)
    count : ndarray of int64, shape (M,)
        Points in each node.
    state : ndarray of int8, shape (M,)
        0: not visited (an ancestor was settled), 1: settled whole, 2: split (several
        candidates left, children visited), 3: leaf whose points were compared one by one.
    owner : ndarray of int64, shape (M,)
        The centre a settled node went to (-1 for other nodes).
    candidates : ndarray of int64, shape (M,)
        Candidates left at each visited node after pruning (0 if not visited).
    stats : FilterStats
    n, k : int
        N and K, so ``n * k`` is Lloyd's number of distance computations.
    """

    labels: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    depth: np.ndarray
    is_leaf: np.ndarray
    count: np.ndarray
    state: np.ndarray
    owner: np.ndarray
    candidates: np.ndarray
    stats: FilterStats
    n: int
    k: int


class KDTree:
    """The kd-tree of the filtering algorithm over the rows of X (see :func:`build_tree`).

    Attributes
    ----------
    n, d : int
        N and D of the data.
    n_nodes, depth : int
        Number of nodes, and the largest depth of a leaf.
    leaf_size : int
    perm : ndarray of int64, shape (N,)
        The tree's order of the points: node ranges index ``X[perm]``.
    lo, hi : ndarray, shape (n_nodes, D)
        Bounding boxes.
    left, right : ndarray of int64, shape (n_nodes,)
        Children (-1 for a leaf).
    start, end : ndarray of int64, shape (n_nodes,)
        Range of each node in the tree's order.
    count : ndarray, shape (n_nodes,)
    sums : ndarray, shape (n_nodes, D)
        Vector sum of each node's points.
    """

    def __init__(self, X, leaf_size=DEFAULT_LEAF_SIZE):
        from ._kmeans_filter_kernels import build_tree as _build, node_moments

        # Validated here, not only in build_tree: the class is public and is built directly too.
        X = np.ascontiguousarray(check_X(X), dtype=np.float64)
        leaf_size = check_int(leaf_size, "leaf_size", minimum=1)
        self.n, self.d = X.shape
        self.leaf_size = leaf_size
        (self._Xt, self.perm, self.lo, self.hi, self.start, self.end, self.left, self.right,
         self.depth) = _build(X, leaf_size)
        self.depth = int(self.depth)
        self.count, self.sums, self._mean, self._scatter = node_moments(
            self._Xt, self.start, self.end, self.left, self.right)
        self.n_nodes = self.start.shape[0]
        # Labels in the tree's order, and the pass in which each node was last settled whole.
        self._labels = np.zeros(self.n, dtype=np.int64)
        self._stamp_iter = np.full(self.n_nodes, -2, dtype=np.int64)
        self._stamp_owner = np.full(self.n_nodes, -1, dtype=np.int64)
        self._pass = 0
        self._stats = np.zeros(6, dtype=np.int64)

    @property
    def nbytes(self):
        """Memory held by the tree (bytes), the permuted copy of the data included."""
        return sum(a.nbytes for a in (self._Xt, self.perm, self.lo, self.hi, self.start, self.end,
                                      self.left, self.right, self.count, self.sums, self._mean,
                                      self._scatter, self._labels, self._stamp_iter, self._stamp_owner))

    def _pass_kernel(self, centers, trace):
        from ._kmeans_filter_kernels import filter_pass

        centers = np.ascontiguousarray(centers, dtype=np.float64)
        m = self.n_nodes if trace else 1
        state = np.zeros(m, dtype=np.int8)
        owner = np.full(m, -1, dtype=np.int64)
        ncand = np.zeros(m, dtype=np.int64)
        self._pass += 1
        stats = np.zeros(6, dtype=np.int64)
        sums, counts, objective, changed = filter_pass(
            self._Xt, self.lo, self.hi, self.start, self.end, self.left, self.right, self.count,
            self.sums, self._mean, self._scatter, self.depth, centers, self._labels,
            self._stamp_iter, self._stamp_owner, self._pass, trace, state, owner, ncand, stats)
        self._stats = stats
        return sums, counts, float(objective), int(changed), (state, owner, ncand)

    def step(self, centers):
        """One assignment pass for Lloyd's loop: ``(objective, sums (K, D), counts (K,), n_changed)``.

        ``n_changed`` counts the points whose label differs from the previous pass's.
        """
        sums, counts, objective, changed, _ = self._pass_kernel(centers, False)
        return objective, sums, counts, changed

    def set_labels(self, labels):
        """Make ``labels`` (int64, shape (N,), in the order of the data) the latest pass's labels,
        so that the next :meth:`step` counts its changes against them (another algorithm's pass)."""
        self._labels[:] = labels[self.perm]
        self._stamp_iter[:] = -2  # no node is known to be settled to its points' labels

    @property
    def last_stats(self):
        """:class:`FilterStats` of the latest pass."""
        return FilterStats(*(int(v) for v in self._stats))

    def labels(self, out=None):
        """Labels of the latest pass, in the order of the data (int64, shape (N,))."""
        out = np.empty(self.n, dtype=np.int64) if out is None else out
        out[self.perm] = self._labels
        return out

    def node_depths(self):
        """Depth of every node (root 0), shape (n_nodes,)."""
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for u in range(self.n_nodes):  # children have larger ids than their parent
            if self.left[u] >= 0:
                depth[self.left[u]] = depth[u] + 1
                depth[self.right[u]] = depth[u] + 1
        return depth

    def assign(self, centers, trace=False):
        """Nearest-centre labels (ties to the lowest index) by one pass of the filtering algorithm.

        Parameters
        ----------
        centers : array_like, shape (K, D)
        trace : bool
            Return a :class:`FilterTrace` (state of every node, counts) instead of the labels.

        Returns
        -------
        ndarray of int64, shape (N,), or FilterTrace
        """
        from .kmeans import _check_centers

        centers = _check_centers(centers, self.d, name="centers")
        _, _, _, _, (state, owner, ncand) = self._pass_kernel(centers, bool(trace))
        labels = self.labels()
        if not trace:
            return labels
        return FilterTrace(
            labels=labels, lo=self.lo.copy(), hi=self.hi.copy(), depth=self.node_depths(),
            is_leaf=self.left < 0, count=self.count.astype(np.int64), state=state, owner=owner,
            candidates=ncand, stats=self.last_stats, n=self.n, k=centers.shape[0])


def build_tree(X, leaf_size=DEFAULT_LEAF_SIZE):
    """Build the kd-tree of the filtering algorithm.

    Parameters
    ----------
    X : array_like, shape (N, D) or (N,)
        Data points.
    leaf_size : int
        Most points in a leaf (a leaf of equal points may hold more).

    Returns
    -------
    KDTree
    """
    return KDTree(X, leaf_size)
