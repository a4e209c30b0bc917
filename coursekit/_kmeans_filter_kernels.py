"""Compiled kernels (numba) of the kd-tree filtering algorithm; see ``coursekit/kmeans_filter.py``.

Two kernels: :func:`build_tree` (the kd-tree, once per data set) and :func:`filter_pass` (one
assignment pass of Lloyd's algorithm over the tree).  The readable description, the exactness
argument and the public entry points are in ``coursekit/kmeans_filter.py``.

Floating point
    The pruning margins bound the rounding of *any* way of summing the d squares of a distance
    (in any order, with or without fused multiply-adds: the error is at most about
    ``(d + 2) u`` times the distance), so a pruned centre is never the one Lloyd's kernel picks,
    and a leaf point whose two nearest candidates are clearly apart gets the nearer one.  A
    point in an exact or near tie is handed to Lloyd's own per-point code
    (``coursekit._kmeans_kernels.nearest``, all K centres), so it gets the label Lloyd's loop
    computes, tie rule included.  The fastmath flags leave out ``nnan``/``ninf``: a pruning test
    may overflow to inf (and then prunes nothing).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kmeans_kernels import nearest

# Value-safe flags only: no "nnan"/"ninf" (see the module docstring).
_FLAGS = {"nsz", "arcp"}
# The tree's construction only compares, takes minima and maxima and halves finite numbers.
_BUILD_FLAGS = {"nnan", "ninf", "nsz"}
# Unit roundoff of float64.
_U = 2.0**-53
# Below this a pruning margin is replaced by this absolute floor: products of subnormal numbers
# lose their relative accuracy, and a node that small is settled point by point instead.
_TINY = 1e-300


def _jit(**options):
    """``numba.njit(cache=True, nogil=True, fastmath=_FLAGS)``, uncached when there is nowhere to
    write the cache (see ``coursekit/_kmeans_kernels.py``)."""
    options.setdefault("fastmath", _FLAGS)

    def decorate(func):
        try:
            return njit(cache=True, nogil=True, **options)(func)
        except RuntimeError:
            return njit(cache=False, nogil=True, **options)(func)

    return decorate


# --------------------------------------------------------------------------------------------
# Tree construction


@_jit()
def _grow_int(a, size):  # pragma: no cover
    out = np.empty((size,) + a.shape[1:], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@_jit()
def _grow_float(a, size):  # pragma: no cover
    out = np.empty((size,) + a.shape[1:], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@_jit(inline="always", fastmath=_BUILD_FLAGS)
def _bounding_box(Xt, s0, s1, lo, hi, d):  # pragma: no cover
    """Tight box of rows s0:s1.  One coordinate at a time, with the running minimum and maximum
    in registers (branch-free, vectorised; 2.5x faster than updating lo/hi arrays per row)."""
    for t in range(d):
        mn = Xt[s0, t]
        mx = mn
        for i in range(s0 + 1, s1):
            v = Xt[i, t]
            mn = min(mn, v)
            mx = max(mx, v)
        lo[t] = mn
        hi[t] = mx


@_jit(inline="always", fastmath=_BUILD_FLAGS)
def _build(X, leaf_size, d):  # pragma: no cover
    n = X.shape[0]
    Xt = X.copy()
    perm = np.arange(n)
    cap = max(16, 4 * (n // max(leaf_size, 1)) + 16)
    lo = np.empty((cap, d))
    hi = np.empty((cap, d))
    start = np.empty(cap, dtype=np.int64)
    end = np.empty(cap, dtype=np.int64)
    left = np.empty(cap, dtype=np.int64)
    right = np.empty(cap, dtype=np.int64)
    # Pending nodes: (range start, range end, parent id, is right child, depth), and their box
    # (found by the parent's partition, so that each level reads the points once).
    stack = np.empty((64, 5), dtype=np.int64)
    stack_box = np.empty((64, 2 * d))
    stack[0, 0] = 0
    stack[0, 1] = n
    stack[0, 2] = -1
    stack[0, 3] = 0
    stack[0, 4] = 0
    llo = np.empty(d)
    lhi = np.empty(d)
    rlo = np.empty(d)
    rhi = np.empty(d)
    _bounding_box(Xt, 0, n, llo, lhi, d)
    for t in range(d):
        stack_box[0, t] = llo[t]
        stack_box[0, d + t] = lhi[t]
    top = 1
    m = 0
    max_depth = 0
    while top > 0:
        top -= 1
        s0 = stack[top, 0]
        s1 = stack[top, 1]
        parent = stack[top, 2]
        is_right = stack[top, 3]
        level = stack[top, 4]
        if m == cap:
            cap *= 2
            lo = _grow_float(lo, cap)
            hi = _grow_float(hi, cap)
            start = _grow_int(start, cap)
            end = _grow_int(end, cap)
            left = _grow_int(left, cap)
            right = _grow_int(right, cap)
        u = m
        m += 1
        if parent >= 0:
            if is_right:
                right[parent] = u
            else:
                left[parent] = u
        if level > max_depth:
            max_depth = level
        start[u] = s0
        end[u] = s1
        left[u] = -1
        right[u] = -1
        widest = 0
        width = -1.0
        for t in range(d):
            lo[u, t] = stack_box[top, t]
            hi[u, t] = stack_box[top, d + t]
            w = hi[u, t] - lo[u, t]
            if w > width:
                width = w
                widest = t
        if s1 - s0 <= leaf_size or not (width > 0.0):
            continue
        # Middle of the widest side, strictly below its top so that both sides get points.
        mid = 0.5 * lo[u, widest] + 0.5 * hi[u, widest]
        if not (mid < hi[u, widest]):
            mid = lo[u, widest]
        # Branch-free Lomuto partition (a branching one mispredicts about every other point):
        # [s0, store) holds the rows with x[widest] <= mid, [store, i] the others.
        store = s0
        for i in range(s0, s1):
            goes_left = Xt[i, widest] <= mid
            for t in range(d):
                v = Xt[i, t]
                Xt[i, t] = Xt[store, t]
                Xt[store, t] = v
            p = perm[i]
            perm[i] = perm[store]
            perm[store] = p
            store += goes_left
        _bounding_box(Xt, s0, store, llo, lhi, d)
        _bounding_box(Xt, store, s1, rlo, rhi, d)
        i = store
        split = i
        if top + 2 > stack.shape[0]:
            stack = _grow_int(stack, 2 * stack.shape[0])
            stack_box = _grow_float(stack_box, 2 * stack_box.shape[0])
        # Right pushed first so that the left child is numbered next (pre-order).
        stack[top, 0] = split
        stack[top, 1] = s1
        stack[top, 2] = u
        stack[top, 3] = 1
        stack[top, 4] = level + 1
        stack[top + 1, 0] = s0
        stack[top + 1, 1] = split
        stack[top + 1, 2] = u
        stack[top + 1, 3] = 0
        stack[top + 1, 4] = level + 1
        for t in range(d):
            stack_box[top, t] = rlo[t]
            stack_box[top, d + t] = rhi[t]
            stack_box[top + 1, t] = llo[t]
            stack_box[top + 1, d + t] = lhi[t]
        top += 2
    return (Xt, perm, lo[:m].copy(), hi[:m].copy(), start[:m].copy(), end[:m].copy(),
            left[:m].copy(), right[:m].copy(), max_depth)


# One compiled copy per dimension, d = 1, 2, 3 with d a constant (unrolled coordinates), chosen in
# Python: numba compiles a function with all its branches, so a dispatch inside one compiled
# function would compile all four copies on the first call (most of a cold start's ~45 s of CPU).


@_jit(fastmath=_BUILD_FLAGS)
def _build_d1(X, leaf_size):  # pragma: no cover
    return _build(X, leaf_size, 1)


@_jit(fastmath=_BUILD_FLAGS)
def _build_d2(X, leaf_size):  # pragma: no cover
    return _build(X, leaf_size, 2)


@_jit(fastmath=_BUILD_FLAGS)
def _build_d3(X, leaf_size):  # pragma: no cover
    return _build(X, leaf_size, 3)


@_jit(fastmath=_BUILD_FLAGS)
def _build_any(X, leaf_size):  # pragma: no cover
    return _build(X, leaf_size, X.shape[1])


def build_tree(X, leaf_size):
    """kd-tree over the rows of X, nodes numbered in depth-first (pre-)order.

    Each node covers a contiguous range ``start:end`` of ``Xt = X[perm]``.  Its box is the
    tight bounding box of its points; an internal node is split at the middle of the box's
    widest side (Pelleg and Moore; Kanungo et al.'s cells are the same boxes), points with
    ``x[s] <= middle`` going left.  A node becomes a leaf when it has at most ``leaf_size``
    points or all its points are equal (a box of zero width cannot be split).

    Returns ``(Xt, perm, lo, hi, start, end, left, right, depth)``; ``left[u] = -1`` for a leaf,
    ``depth`` is the largest number of edges from the root to a leaf.
    """
    build = (_build_d1, _build_d2, _build_d3)[X.shape[1] - 1] if X.shape[1] <= 3 else _build_any
    return build(X, leaf_size)


@_jit()
def node_moments(Xt, start, end, left, right):  # pragma: no cover
    """Count, vector sum, mean and scatter ``sum ||x - mean||^2`` of every node.

    Leaves from their points (two passes); internal nodes from their children, children
    first (they have larger ids), combining the scatters with Chan et al.'s pairwise formula
    ``S = S_l + S_r + n_l n_r / n ||m_l - m_r||^2`` (no cancellation).
    """
    m = start.shape[0]
    d = Xt.shape[1]
    count = np.empty(m)
    sums = np.empty((m, d))
    mean = np.empty((m, d))
    scatter = np.empty(m)
    for u in range(m - 1, -1, -1):
        if left[u] < 0:
            c = end[u] - start[u]
            for t in range(d):
                acc = 0.0
                for i in range(start[u], end[u]):
                    acc += Xt[i, t]
                sums[u, t] = acc
                mean[u, t] = acc / c
            ss = 0.0
            for i in range(start[u], end[u]):
                for t in range(d):
                    diff = Xt[i, t] - mean[u, t]
                    ss += diff * diff
            count[u] = c
            scatter[u] = ss
        else:
            a = left[u]
            b = right[u]
            na = count[a]
            nb = count[b]
            c = na + nb
            gap = 0.0
            for t in range(d):
                sums[u, t] = sums[a, t] + sums[b, t]
                mean[u, t] = sums[u, t] / c
                diff = mean[a, t] - mean[b, t]
                gap += diff * diff
            count[u] = c
            scatter[u] = scatter[a] + scatter[b] + na * nb / c * gap
    return count, sums, mean, scatter


# --------------------------------------------------------------------------------------------
# One assignment pass


@_jit(inline="always")
def _sq_dist(X, i, C, j, d):  # pragma: no cover
    acc = 0.0
    for t in range(d):
        diff = X[i, t] - C[j, t]
        acc += diff * diff
    return acc


@_jit(inline="always")
def _nearest_candidate(Xt, i, C, cand, off, nc, coef, d):  # pragma: no cover
    """Nearest of the candidates ``cand[off:off + nc]`` to point i, as Lloyd's loop decides it:
    ``(label, squared distance)``.

    When the two smallest distances are apart by more than the rounding of any order of
    summing the squares (and of this computation), every way of computing them ranks them
    alike, and the smallest is the answer.  Otherwise (an exact or near tie) the point is
    given to Lloyd's own kernel, which compares it with all K centres exactly as Lloyd's loop
    does (same code, so the same bits and the same tie rule).
    """
    j_best = cand[off]
    d_best = _sq_dist(Xt, i, C, j_best, d)
    d_second = np.inf
    for q in range(1, nc):
        j = cand[off + q]
        dist = _sq_dist(Xt, i, C, j, d)
        if dist < d_best:
            d_second = d_best
            d_best = dist
            j_best = j
        elif dist < d_second:
            d_second = dist
    if d_second - d_best > coef * _U * (d_best + d_second) + _TINY:
        return j_best, d_best
    return _lloyd_nearest(Xt, i, C)


@_jit()
def _lloyd_nearest(Xt, i, C):  # pragma: no cover
    # A function of its own (not inlined): it is rarely called, and Lloyd's four unrolled
    # variants inlined into the leaf loop would crowd the hot code.
    return nearest(Xt, i, C)


@_jit(inline="always")
def _filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth,
                 C, labels, stamp_iter, stamp_owner, it, trace, node_state, node_owner,
                 node_ncand, stats, d):  # pragma: no cover
    """One Lloyd assignment pass over the tree (the filtering algorithm).

    ``labels`` (tree order) is updated in place; ``stamp_iter[u] == it`` and
    ``stamp_owner[u] == j`` record that node u was settled whole to centre j in pass ``it``,
    which lets the next pass skip rewriting (and re-checking) the labels of a node settled
    again to the same centre.  With ``trace``, ``node_state[u]`` becomes 1 (settled whole),
    2 (split: several candidates left, children visited), 3 (a leaf whose points were each
    given their nearest candidate) or stays 0 (not visited: an ancestor was settled);
    ``node_owner[u]`` is the owner of a settled node and ``node_ncand[u]`` the number of
    candidates left after pruning.

    ``stats`` (int64, length 6) is incremented by: point-centre distances computed, box tests
    (one candidate against one box), distances from a box's middle to a candidate, nodes
    visited, nodes settled whole, points settled whole (never looked at one by one).

    Returns ``(new_sums (k, d), new_counts (k,), objective, n_changed)``.
    """
    k = C.shape[0]
    out_sums = np.zeros((k, d))
    out_counts = np.zeros(k)
    objective = 0.0
    changed = 0
    cand = np.empty((depth + 2) * k + k, dtype=np.int64)
    for j in range(k):
        cand[j] = j
    # Frames: (node, offset of its candidate list in `cand`, number of candidates).
    frames = np.empty((depth + 3, 3), dtype=np.int64)
    frames[0, 0] = 0
    frames[0, 1] = 0
    frames[0, 2] = k
    nf = 1
    mid = np.empty(d)
    coef = 4.0 * d + 20.0
    # Work counters in locals (registers), written to `stats` once at the end.
    n_point = 0
    n_tests = 0
    n_middle = 0
    n_visited = 0
    n_settled = 0
    n_points_settled = 0
    while nf > 0:
        nf -= 1
        u = frames[nf, 0]
        off = frames[nf, 1]
        nc = frames[nf, 2]
        n_visited += 1
        new_off = off + nc
        # The candidate closest to the middle of the box is the one that prunes the others.
        if nc > 1:
            for t in range(d):
                mid[t] = 0.5 * lo[u, t] + 0.5 * hi[u, t]
            best = cand[off]
            best_d = np.inf
            for q in range(nc):
                j = cand[off + q]
                acc = 0.0
                for t in range(d):
                    diff = mid[t] - C[j, t]
                    acc += diff * diff
                if acc < best_d:
                    best_d = acc
                    best = j
            n_middle += nc
            # Largest squared distance from `best` to the box (at the farthest corner).
            reach = 0.0
            for t in range(d):
                a = lo[u, t] - C[best, t]
                b = hi[u, t] - C[best, t]
                reach += max(a * a, b * b)
            kept = 0
            for q in range(nc):
                j = cand[off + q]
                if j == best:
                    cand[new_off + kept] = j
                    kept += 1
                    continue
                # min over the box of ||x - c_j||^2 - ||x - c_best||^2 = at the box's corner v
                # farthest in the direction c_j - c_best: sum_t (c_best - c_j)_t (2 v - c_j - c_best)_t.
                delta = 0.0
                sep = 0.0
                for t in range(d):
                    a = C[best, t] - C[j, t]
                    v = hi[u, t] if a < 0.0 else lo[u, t]
                    delta += a * ((v - C[j, t]) + (v - C[best, t]))
                    sep += a * a
                # Pruned only if every point of the box is, in the computed distances, strictly
                # closer to `best`: the margin bounds the rounding of this test and of both
                # distances for any point of the box (kmeans_filter.py, "Exactness").
                margin = coef * _U * (3.0 * reach + 2.0 * sep)
                if margin < _TINY:
                    margin = _TINY
                if not (delta > margin):
                    cand[new_off + kept] = j
                    kept += 1
            n_tests += nc - 1
        else:
            cand[new_off] = cand[off]
            kept = 1
        if trace:
            node_ncand[u] = kept
        settle = -1
        if kept == 1:
            settle = cand[new_off]
        elif left[u] < 0:
            flat = True
            for t in range(d):
                if lo[u, t] != hi[u, t]:
                    flat = False
                    break
            if flat:
                # All the leaf's points are equal: the nearest candidate of one is everyone's.
                settle, _ = _nearest_candidate(Xt, start[u], C, cand, new_off, kept, coef, d)
                n_point += kept
        if settle >= 0:
            j = settle
            s0 = start[u]
            s1 = end[u]
            if not (stamp_iter[u] == it - 1 and stamp_owner[u] == j):
                for i in range(s0, s1):
                    if labels[i] != j:
                        changed += 1
                        labels[i] = j
            stamp_iter[u] = it
            stamp_owner[u] = j
            gap = 0.0
            for t in range(d):
                out_sums[j, t] += sums[u, t]
                diff = mean[u, t] - C[j, t]
                gap += diff * diff
            out_counts[j] += count[u]
            objective += scatter[u] + count[u] * gap
            n_settled += 1
            n_points_settled += s1 - s0
            if trace:
                node_state[u] = 1
                node_owner[u] = j
            continue
        if left[u] >= 0:
            if trace:
                node_state[u] = 2
            frames[nf, 0] = right[u]
            frames[nf, 1] = new_off
            frames[nf, 2] = kept
            frames[nf + 1, 0] = left[u]
            frames[nf + 1, 1] = new_off
            frames[nf + 1, 2] = kept
            nf += 2
            continue
        # A leaf with several candidates left: each point takes its nearest candidate, ties to
        # the lowest index (the candidates are in increasing order, and the comparison is strict).
        if trace:
            node_state[u] = 3
        s0 = start[u]
        s1 = end[u]
        n_point += (s1 - s0) * kept
        for i in range(s0, s1):
            j_best, d_best = _nearest_candidate(Xt, i, C, cand, new_off, kept, coef, d)
            if labels[i] != j_best:
                changed += 1
                labels[i] = j_best
            for t in range(d):
                out_sums[j_best, t] += Xt[i, t]
            out_counts[j_best] += 1.0
            objective += d_best
    stats[0] += n_point
    stats[1] += n_tests
    stats[2] += n_middle
    stats[3] += n_visited
    stats[4] += n_settled
    stats[5] += n_points_settled
    return out_sums, out_counts, objective, changed


@_jit()
def _filter_pass_d1(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                    stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats):  # pragma: no cover
    return _filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                        stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats, 1)


@_jit()
def _filter_pass_d2(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                    stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats):  # pragma: no cover
    return _filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                        stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats, 2)


@_jit()
def _filter_pass_d3(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                    stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats):  # pragma: no cover
    return _filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                        stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats, 3)


@_jit()
def _filter_pass_any(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                     stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats):  # pragma: no cover
    return _filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                        stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats,
                        C.shape[1])


def filter_pass(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth,
                C, labels, stamp_iter, stamp_owner, it, trace, node_state, node_owner,
                node_ncand, stats):
    """One Lloyd assignment pass over the tree (the filtering algorithm); see ``_filter_pass``.

    d = 1, 2, 3 get their own compiled copy of the loop with d a constant (unrolled coordinates).
    """
    d = C.shape[1]
    kernel = (_filter_pass_d1, _filter_pass_d2, _filter_pass_d3)[d - 1] if d <= 3 else _filter_pass_any
    return kernel(Xt, lo, hi, start, end, left, right, count, sums, mean, scatter, depth, C, labels,
                  stamp_iter, stamp_owner, it, trace, node_state, node_owner, node_ncand, stats)
