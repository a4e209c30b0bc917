"""The chapter 4-7 plotting helpers draw what the library computes.

Each test reads the plotted data back from the artists and compares it with an independent
computation (scipy densities, direct distance computations, closed forms).
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy import stats
from scipy.spatial.distance import cdist

from coursekit import plotting

W = np.array([0.45, 0.35, 0.20])
M = np.array([[0.0, 0.0], [3.0, 3.0], [-2.5, 3.5]])
C = np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.8, -0.3], [-0.3, 0.5]], [[0.4, 0.0], [0.0, 1.2]]])


def _ax(projection=None):
    return Figure().add_subplot(projection=projection)


def test_plot_mixture_1d_components_and_sum():
    w, mu, var = np.array([0.3, 0.5, 0.2]), np.array([-2.0, 1.0, 4.0]), np.array([0.5, 1.0, 0.3])
    x = np.linspace(-5, 7, 101)
    out = plotting.plot_mixture_1d(_ax(), w, mu[:, None], var[:, None, None], x=x)
    comps = [wk * stats.norm(mk, np.sqrt(vk)).pdf(x) for wk, mk, vk in zip(w, mu, var)]
    for line, ref in zip(out["components"], comps):
        np.testing.assert_allclose(line.get_ydata(), ref, rtol=1e-9)
    np.testing.assert_allclose(out["sum"].get_ydata(), np.sum(comps, axis=0), rtol=1e-9)


def test_mixture_density_grid_and_contour():
    xx, yy, dens = plotting.mixture_density_grid(W, M, C, (-5, 6), (-3, 6.5), n=30)
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    ref = sum(w * stats.multivariate_normal(m, c).pdf(pts) for w, m, c in zip(W, M, C))
    np.testing.assert_allclose(dens.ravel(), ref, rtol=1e-9)
    contour = plotting.plot_mixture_contour(_ax(), W, M, C, (-5, 6), (-3, 6.5), n=30, levels=5)
    assert contour.zmax == pytest.approx(ref.max(), rel=1e-9)  # it contours that density
    ax = _ax("3d")
    surface = plotting.plot_mixture_surface(ax, W, M, C, (-5, 6), (-3, 6.5), n=20)
    assert surface is not None
    assert (ax.elev, ax.azim) == (35.0, -145.0) and ax.get_zlabel() == "p(x)"
    ax = _ax("3d")
    plotting.plot_mixture_surface(ax, W, M, C, (-5, 6), (-3, 6.5), n=20, zlabel=None, elev=20, azim=10)
    assert (ax.elev, ax.azim) == (20, 10) and ax.get_zlabel() == ""


def test_plot_cumulative_weights_segments():
    ax = _ax()
    u = np.array([0.1, 0.29, 0.31, 0.79, 0.81, 0.99])
    plotting.plot_cumulative_weights(ax, [0.3, 0.5, 0.2], u=u)
    np.testing.assert_allclose(ax.get_xticks(), [0.0, 0.3, 0.8, 1.0])
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, [0.2, 0.3, 0.5])
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], u)
    # Colour of each draw = colour of the segment [c_{k-1}, c_k) it lands in.
    expected = [0, 0, 1, 1, 2, 2]
    colors = ax.collections[0].get_colors()
    for col, k in zip(colors, expected):
        np.testing.assert_allclose(col[:3], np.array(
            [int(plotting.cluster_color(k)[i:i + 2], 16) / 255 for i in (1, 3, 5)]), atol=1e-6)


def test_plot_ellipses_have_mahalanobis_radius():
    lines = plotting.plot_ellipses(_ax(), M, C, n_std=1.5)
    assert len(lines) == 3
    for line, m, c in zip(lines, M, C):
        d = line.get_xydata() - m
        maha = np.einsum("ni,ij,nj->n", d, np.linalg.inv(c), d)
        np.testing.assert_allclose(maha, 1.5**2, rtol=1e-8)


def test_plot_kmeans_state_regions_and_points():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2)) * 3
    centers = X[:4]
    labels = np.argmin(cdist(X, centers, "sqeuclidean"), axis=1)
    ax = _ax()
    plotting.plot_kmeans_state(ax, X, centers, labels, next_centers=centers + 0.5,
                               xlim=(-10, 10), ylim=(-10, 10))
    owner = np.asarray(ax.images[0].get_array())
    xs = np.linspace(-10, 10, owner.shape[1])
    ys = np.linspace(-10, 10, owner.shape[0])
    gx, gy = np.meshgrid(xs, ys)
    ref = np.argmin(cdist(np.column_stack([gx.ravel(), gy.ravel()]), centers, "sqeuclidean"), axis=1)
    np.testing.assert_array_equal(owner.ravel(), ref)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), X)
    np.testing.assert_allclose(ax.collections[1].get_offsets(), centers)
    assert len(ax.texts) == 4  # one arrow per moving centre


def test_plot_quantization_1d_edges_are_midpoints():
    edges = plotting.plot_quantization_1d(_ax(), np.arange(100.0), [[80.0], [10.0], [40.0]])
    np.testing.assert_allclose(edges, [25.0, 60.0])


class _FixedPosterior:
    """A stand-in classifier with a known posterior: P(class 0 | x) = logistic(x1)."""

    def predict_proba(self, X):
        p = 1.0 / (1.0 + np.exp(-X[:, 0]))
        return np.column_stack([p, 1 - p])


def test_decision_grid_and_regions():
    grid = plotting.decision_grid(_FixedPosterior(), (-2, 2), (0, 1), n=41)
    xx, yy, proba = grid
    assert proba.shape == (41, 41, 2)
    np.testing.assert_allclose(proba[..., 0], 1 / (1 + np.exp(-xx)))
    ax = _ax()
    plotting.plot_decision_regions(ax, grid, X=np.array([[-1.0, 0.5], [1.0, 0.5]]), y_index=[1, 0],
                                   class_names=["a", "b"])
    owner = np.asarray(ax.images[0].get_array())
    np.testing.assert_array_equal(owner, (xx < 0).astype(int))
    image = plotting.plot_posterior_map(_ax(), grid, 1)
    np.testing.assert_allclose(np.asarray(image.get_array()), 1 - 1 / (1 + np.exp(-xx)))


def test_plot_loglik_and_information_criteria():
    ax = _ax()
    line = plotting.plot_loglik_curve(ax, [-3.0, -2.5, -2.4], current=1)
    np.testing.assert_allclose(line.get_xdata(), [0, 1, 2])  # after 0, 1, 2 iterations
    assert ax.get_lines()[-1].get_ydata()[0] == -2.5
    ax = _ax()
    plotting.plot_information_criteria(ax, [1, 2, 3], [10.0, 5.0, 7.0], [9.0, 4.0, 3.0])
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert [s.get_xdata()[0] for s in stars] == [2, 3]


def test_scatter_labels_colours():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    pc = plotting.scatter_labels(_ax(), X, [0, 2, 0])
    fc = pc.get_facecolors()
    np.testing.assert_allclose(fc[0], fc[2])
    assert not np.allclose(fc[0], fc[1])
    with pytest.raises(ValueError):
        plotting.plot_mixture_1d(_ax(), [0.5, 0.5], [[0.0], [1.0]], [[1.0]])


def test_decision_boundaries_trace_the_posterior_tie():
    # P(class 0 | x) = logistic(x1): the two posteriors tie on the line x1 = 0.
    grid = plotting.decision_grid(_FixedPosterior(), (-2, 2), (0, 1), n=41)
    lines = plotting.decision_boundaries(grid)
    assert lines and all(np.allclose(line[:, 0], 0.0, atol=1e-9) for line in lines)
    ys = np.concatenate([line[:, 1] for line in lines])
    assert ys.min() == pytest.approx(0.0) and ys.max() == pytest.approx(1.0)


def test_match_labels_maximises_agreement_like_brute_force():
    import itertools

    rng = np.random.default_rng(0)
    for _ in range(20):
        ref = rng.integers(0, 4, size=60)
        found = np.where(rng.random(60) < 0.7, rng.permutation(4)[ref], rng.integers(0, 4, size=60))
        out = plotting.match_labels(found, ref)
        best = max(np.sum(np.array(p)[found] == ref) for p in itertools.permutations(range(4)))
        assert np.sum(out == ref) == best
        # a renumbering: the same partition
        assert len({(a, b) for a, b in zip(found, out)}) == len(np.unique(found))
        again, mapping = plotting.match_labels(found, ref, return_mapping=True)
        np.testing.assert_array_equal(again, out)
        np.testing.assert_array_equal(mapping[found], out)


def test_match_labels_more_clusters_than_reference_and_bad_input():
    out = plotting.match_labels(np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]))
    assert sorted(out[[0, 1]]) in ([0, 2], [0, 3]) and set(out) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="same length"):
        plotting.match_labels([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="labels must be non-negative integers"):
        plotting.match_labels([0.5, 1.0], [0, 1])


def test_responsibility_colors_mix_component_colours():
    from matplotlib.colors import to_rgb

    c = plotting.responsibility_colors([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(c[0], to_rgb(plotting.cluster_color(0)))
    np.testing.assert_allclose(c[1], (np.array(to_rgb(plotting.cluster_color(0)))
                                      + to_rgb(plotting.cluster_color(1))) / 2)


def test_plot_em_state_and_bic_grid():
    ax = _ax()
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    pc = plotting.plot_em_state(ax, X, [0.5, 0.5], [[0.5, 0.0], [5.5, 5.0]], [np.eye(2)] * 2)
    assert len(pc.get_offsets()) == 4 and len(ax.get_lines()) == 4   # 2 components x (1, 2) std
    ax = _ax()
    plotting.plot_bic_grid(ax, [1, 2, 3], {"full": [10.0, 5.0, 7.0], "diag": [9.0, 6.0, 4.5]})
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert [(s.get_xdata()[0], s.get_markersize()) for s in stars] == [(2, 11), (3, 20)]
