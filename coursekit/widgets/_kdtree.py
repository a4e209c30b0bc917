"""Widget for chapter 5: one pass of the kd-tree filtering algorithm, node by node.

:func:`kdtree_filter_widget` runs k-means with the filtering algorithm
(:mod:`coursekit.kmeans_filter`) on 2-D data once, then replays the assignment pass of each
iteration with ``KDTree.assign(centers, trace=True)``: which boxes of the tree were settled whole
(given to one centre without looking at their points), which were split, and which leaves had
their points compared one by one, with the number of distance computations against Lloyd's
N K.  Everything is computed when the widget is built; a control change only updates artists.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba

from .. import plotting
from ._clustering import _fixed_layout, _lean, _LiveFigure, _slider

__all__ = ["kdtree_filter_widget"]

# The chapter's five blobs, with more points: a tree needs many points per cell to show pruning.
KDTREE_BLOBS = dict(centers=[[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0], [3.0, 11.0]],
                    cluster_std=1.1, rng=3)


def _default_data(n):
    from .. import datasets

    X, _ = datasets.blobs(n=n, **KDTREE_BLOBS)
    return X


def _boxes(lo, hi, pad):
    """Rectangles (as closed polygons) for boxes (lo, hi); degenerate boxes get a little width."""
    lo = lo - pad
    hi = hi + pad
    return np.stack([np.column_stack([lo[:, 0], lo[:, 1]]), np.column_stack([hi[:, 0], lo[:, 1]]),
                     np.column_stack([hi[:, 0], hi[:, 1]]), np.column_stack([lo[:, 0], hi[:, 1]])], axis=1)


def kdtree_filter_widget(X=None, k=5, n=4000, leaf_size=16, init="random", rng=7):
    """Watch the kd-tree filtering algorithm settle whole boxes of points (2-D data).

    k-means runs once with ``algorithm="filter"`` from ``init`` (the chapter's five blobs, 4000
    points, by default); each iteration's assignment pass is then traced node by node.

    Controls: ``iteration`` (whose pass: the centres after that many iterations) and ``depth``
    (how far down the tree the walk is shown).  Left: the points (coloured once their node is
    decided), the centres (X), the boxes settled whole at depth <= ``depth`` filled with their
    owner's colour, the leaves whose points were compared one by one (grey, hatched) and, dashed,
    the boxes at depth ``depth`` still split between several candidates.  Right: the distance
    computations of the whole pass (point-centre distances, box tests, distances from a box's
    middle to a candidate) against Lloyd's N K.

    Returns
    -------
    FigureWidget
        With ``traces`` (one :class:`coursekit.kmeans_filter.FilterTrace` per iteration),
        ``history`` (the centres) and ``tree``.
    """
    from .. import kmeans as km
    from ..kmeans_filter import LEAF_POINTS, SETTLED, SPLIT, build_tree

    X = _default_data(n) if X is None else np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) (the widget draws the plane), got {np.shape(X)}")
    result = km.kmeans(X, k, init=init, rng=rng, algorithm="filter")
    history = [np.asarray(c, dtype=float) for c in result.history]
    tree = build_tree(X, leaf_size=leaf_size)
    traces = [tree.assign(c, trace=True) for c in history]
    depth_of = traces[0].depth
    max_depth = int(depth_of.max())
    n_points, nk = X.shape[0], X.shape[0] * k

    pad_x, pad_y = 0.04 * np.ptp(X[:, 0]), 0.04 * np.ptp(X[:, 1])
    xlim = (X[:, 0].min() - pad_x, X[:, 0].max() + pad_x)
    ylim = (X[:, 1].min() - pad_y, X[:, 1].max() + pad_y)
    # Zero-width boxes (equal points, or one point) are drawn a hair wide so they show.
    box_pad = 0.003 * max(np.ptp(X[:, 0]), np.ptp(X[:, 1]))
    polygons = _boxes(tree.lo, tree.hi, box_pad)
    point_node = np.empty(n_points, dtype=np.int64)  # the leaf holding each point
    leaves = np.flatnonzero(tree.left < 0)
    for u in leaves:
        point_node[tree.perm[tree.start[u]:tree.end[u]]] = u
    # ancestors[u] lists u's ancestors (root first), to find where a point's fate was decided.
    parent = np.full(tree.n_nodes, -1)
    for u in range(tree.n_nodes):
        if tree.left[u] >= 0:
            parent[tree.left[u]] = parent[tree.right[u]] = u
    decided_at = []  # per iteration: depth at which each point's node was settled or compared
    for tr in traces:
        deciding = np.flatnonzero((tr.state == SETTLED) | (tr.state == LEAF_POINTS))
        node_depth = np.full(tree.n_nodes, -1)
        node_depth[deciding] = depth_of[deciding]
        at = np.empty(n_points, dtype=np.int64)
        for u in deciding:
            at[tree.perm[tree.start[u]:tree.end[u]]] = depth_of[u]
        decided_at.append(at)

    # The boundaries between the centres' cells (where the nearest centre changes), as a thin
    # black line on a transparent image: boxes are settled away from them.
    gx, gy = np.meshgrid(np.linspace(*xlim, 320), np.linspace(*ylim, 320))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    borders = []
    for c in history:
        owner = km.assign(grid, c).reshape(gx.shape)
        edge = np.zeros(owner.shape, dtype=bool)
        edge[:, 1:] |= owner[:, 1:] != owner[:, :-1]
        edge[1:, :] |= owner[1:, :] != owner[:-1, :]
        image = np.zeros(owner.shape + (4,))
        image[edge] = (0.0, 0.0, 0.0, 0.8)
        borders.append(image)

    palette = np.array([to_rgba(plotting.cluster_color(j)) for j in range(k)])
    grey = np.array(to_rgba("0.75"))
    last = len(history) - 1
    # Opens on the whole walk of the second pass (the first one's centres are the random start).
    controls = {
        "iteration": _slider(min(1, last), 0, last, 1, "iteration", integer=True),
        "depth": _slider(max_depth, 0, max_depth, 1, "tree depth shown", integer=True),
    }

    def build(fig):
        _fixed_layout(fig, left=0.06, right=0.98, bottom=0.12, top=0.9, wspace=0.28)
        ax, ax_bar = fig.subplots(1, 2, width_ratios=[1.55, 1])
        points = ax.scatter(X[:, 0], X[:, 1], s=4, c=[grey], linewidths=0, zorder=2)
        settled = PolyCollection([], closed=True, linewidths=0.6, zorder=3)
        leaf_points = PolyCollection([], closed=True, facecolors=to_rgba("0.55", 0.35), edgecolors="0.3",
                                     linewidths=0.6, zorder=3)
        boundaries = ax.imshow(borders[0], origin="lower", extent=(*xlim, *ylim), aspect="auto",
                               interpolation="nearest", zorder=1)
        frontier = LineCollection([], colors="black", linewidths=1.0, linestyles="--", zorder=4)
        for coll in (settled, leaf_points, frontier):
            ax.add_collection(coll)
        centres = ax.scatter(history[0][:, 0], history[0][:, 1], c=palette, marker="X", s=150,
                             edgecolors="black", linewidths=1.2, zorder=6)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_aspect("auto")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        names = ["Lloyd: N K", "filter"]
        lloyd_bar = ax_bar.bar([0], [nk], color="0.6", width=0.6)
        parts = [ax_bar.bar([1], [0], bottom=[0], width=0.6, color=c, label=lab)[0]
                 for c, lab in (("#1f77b4", "point-centre distances"), ("#ff7f0e", "box tests"),
                                ("#2ca02c", "middle-of-box distances"))]
        ax_bar.set_xticks([0, 1], names)
        ax_bar.set_ylim(0, 1.08 * nk)
        ax_bar.set_ylabel("distance computations in this pass")
        ax_bar.legend(loc="upper right", fontsize=9, framealpha=0.9)
        label = ax_bar.text(1, 0, "", ha="center", va="bottom", fontsize=9)
        _lean(ax)
        return dict(ax=ax, ax_bar=ax_bar, points=points, settled=settled, leaf_points=leaf_points,
                    frontier=frontier, centres=centres, parts=parts, label=label, lloyd=lloyd_bar,
                    boundaries=boundaries)

    def update(a, iteration, depth):
        tr = traces[iteration]
        shown = depth_of <= depth
        is_settled = shown & (tr.state == SETTLED)
        is_leaf = shown & (tr.state == LEAF_POINTS)
        # Nodes at this depth still split, or leaves deeper down not yet reached, are open.
        open_here = (depth_of == depth) & (tr.state == SPLIT)
        a["settled"].set_verts(polygons[is_settled])
        owners = tr.owner[is_settled]
        a["settled"].set_facecolors(np.column_stack([palette[owners, :3], np.full(len(owners), 0.22)]))
        a["settled"].set_edgecolors(palette[owners])
        a["leaf_points"].set_verts(polygons[is_leaf])
        a["frontier"].set_segments([np.vstack([p, p[:1]]) for p in polygons[open_here]])
        colours = np.where((decided_at[iteration] <= depth)[:, None], palette[tr.labels], grey)
        a["points"].set_facecolors(colours)
        a["centres"].set_offsets(history[iteration])
        a["boundaries"].set_data(borders[iteration])
        s = tr.stats
        bottom = 0
        for bar, value in zip(a["parts"], (s.point_distances, s.box_tests, s.middle_distances)):
            bar.set_y(bottom)
            bar.set_height(value)
            bottom += value
        a["label"].set_position((1, bottom))
        a["label"].set_text(f"{s.distance_computations:,}\n({s.distance_computations / nk:.1%} of N K)")
        done = " (converged)" if iteration == last else ""
        a["ax"].set_title(
            f"iteration {iteration}{done}, depth <= {depth}: {int(is_settled.sum())} boxes settled whole "
            f"({int(tr.count[is_settled].sum()):,} of {n_points:,} points)", fontsize=9)
        a["ax_bar"].set_title(f"whole pass: {s.nodes_visited} of {tree.n_nodes} nodes visited",
                              fontsize=9)

    def describe(iteration, depth):
        tr = traces[iteration]
        shown = depth_of <= depth
        is_settled = shown & (tr.state == SETTLED)
        n_leaves = int((shown & (tr.state == LEAF_POINTS)).sum())
        n_open = int(((depth_of == depth) & (tr.state == SPLIT)).sum())
        done = " (converged)" if iteration == last else ""
        s = tr.stats
        return (f"The kd-tree pass of k-means iteration {iteration} of {last}{done}, shown down to depth {depth} of "
                f"{max_depth}: {int(is_settled.sum())} boxes settled whole, filled with their centre's colour "
                f"({int(tr.count[is_settled].sum()):,} of {n_points:,} points given to one centre without comparing "
                f"them), {n_leaves} leaves whose points were compared one by one (grey), {n_open} boxes at this "
                f"depth still split (dashed). Right: the whole pass took {s.distance_computations:,} distance "
                f"computations, {s.distance_computations / nk:.1%} of Lloyd's N K.")

    # Static page: every iteration, the walk every second level down to the whole tree (about 40
    # frames: each frame draws 4000 points and is the heaviest figure of the book).
    grid = {"depth": sorted({d for d in (0, 2, 4, 6, 8) if d < max_depth} | {max_depth})}
    w = _LiveFigure(controls, build, update, figsize=(9.5, 4.3),
                    title="k-means on a kd-tree: boxes settled whole", grid=grid, describe=describe)
    w.traces, w.history, w.tree = traces, history, tree
    return w


# (name, factory, update kwargs) for bench/bench_widgets.py.
BENCH_CASES = [("kdtree_filter", kdtree_filter_widget, {"iteration": 1, "depth": 8})]
