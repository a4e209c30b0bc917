"""The chapter 5 kd-tree widget: its boxes, colours and counts against independent computations."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from scipy.spatial.distance import cdist

from coursekit import plotting, widgets


@pytest.fixture(scope="module")
def widget():
    return widgets.kdtree_filter_widget(n=1500, rng=7)


def test_controls_cover_every_iteration_and_depth(widget):
    assert set(widget.controls) == {"iteration", "depth"}
    assert widget.controls["iteration"].max == len(widget.history) - 1
    assert widget.controls["depth"].max == widget.traces[0].depth.max()
    # history[t] are k-means's centres: each is the mean of the points nearest the previous ones.
    X = np.column_stack(widget.fig.axes[0].collections[0].get_offsets().T)
    for t in range(len(widget.history) - 1):
        owner = np.argmin(cdist(X, widget.history[t], "sqeuclidean"), axis=1)
        for j in range(len(widget.history[t])):
            if np.any(owner == j):
                np.testing.assert_allclose(widget.history[t + 1][j], X[owner == j].mean(axis=0), rtol=1e-10)


def test_settled_boxes_hold_only_their_owners_points(widget):
    ax, ax_bar = widget.fig.axes
    X = np.asarray(ax.collections[0].get_offsets())
    palette = np.array([to_rgba(plotting.cluster_color(j)) for j in range(5)])
    for iteration in (0, 1, len(widget.history) - 1):
        depth = int(widget.controls["depth"].max)
        widget.update(iteration=iteration, depth=depth)
        nearest = np.argmin(cdist(X, widget.history[iteration], "sqeuclidean"), axis=1)
        settled = ax.collections[1]
        edges = settled.get_edgecolors()
        for poly, edge in zip(settled.get_paths(), edges):
            (x0, y0), (x1, y1) = poly.vertices[:4].min(axis=0), poly.vertices[:4].max(axis=0)
            inside = (X[:, 0] >= x0) & (X[:, 0] <= x1) & (X[:, 1] >= y0) & (X[:, 1] <= y1)
            owner = int(np.argmin(np.abs(palette[:, :3] - edge[:3]).sum(axis=1)))
            assert inside.any() and np.all(nearest[inside] == owner)
        # At full depth every point is coloured by its nearest centre.
        colours = ax.collections[0].get_facecolors()
        np.testing.assert_allclose(colours, palette[nearest], atol=1e-12)
        stats = widget.traces[iteration].stats
        heights = [p.get_height() for p in ax_bar.patches[1:]]
        assert heights == [stats.point_distances, stats.box_tests, stats.middle_distances]
        assert ax_bar.patches[0].get_height() == len(X) * 5  # Lloyd's N K
        assert sum(heights) < len(X) * 5


def test_deeper_walk_settles_more_points(widget):
    ax = widget.fig.axes[0]
    grey = np.array(to_rgba("0.75"))
    coloured = []
    for depth in range(widget.controls["depth"].max + 1):
        widget.update(iteration=1, depth=depth)
        colours = ax.collections[0].get_facecolors()
        coloured.append(int(np.sum(np.any(np.abs(colours - grey) > 1e-9, axis=1))))
    assert coloured[0] == 0 and coloured[-1] == len(colours)
    assert all(a <= b for a, b in zip(coloured, coloured[1:]))
    png = widget.png
    widget.update(iteration=0, depth=3)
    assert widget.png != png


def test_rejects_data_that_is_not_two_dimensional():
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        widgets.kdtree_filter_widget(X=np.zeros((50, 3)))


def test_chapter_alt_text_quotes_the_default_widgets_counts():
    # The page's alt text (static metadata) repeats the counts the default widget opens on.
    import pathlib
    import re

    page = (pathlib.Path(__file__).parents[1] / "book" / "05_kmeans.md").read_text()
    alt = next(line for line in page.splitlines() if "alt:" in line and "kd-tree" in line)
    quoted = re.search(r"N K = ([\d,]+) distance computations with the filter's ([\d,]+)", alt)
    assert quoted, alt
    nk, filt = (int(g.replace(",", "")) for g in quoted.groups())
    w = widgets.kdtree_filter_widget()
    trace = w.traces[w.controls["iteration"].value]
    assert (trace.n * trace.k, trace.stats.distance_computations) == (nk, filt)
    assert f"iteration {w.controls['iteration'].value}" in alt
