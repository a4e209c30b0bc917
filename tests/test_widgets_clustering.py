"""The chapter 4-7 widgets: moving a control (or pressing "step") changes the figure's data.

The checks read the artists' data (line and scatter coordinates, image arrays, titles) and
compare them with independent computations (scipy densities, NumPy centroids, closed forms),
not only the PNG bytes.  No timing is asserted here (see bench/bench_widgets.py).
"""

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage
from scipy import stats
from scipy.spatial.distance import cdist

from coursekit import mixture, widgets
from coursekit.widgets import _clustering as wc


def _lines(ax):
    return [(line.get_xdata(), line.get_ydata()) for line in ax.get_lines()]


@pytest.fixture(scope="module")
def blobs5():
    means = [[0, 0], [6, 0], [0, 6], [6, 6], [3, 11]]
    X, _ = mixture.sample([0.2] * 5, means, [np.eye(2) * 0.8] * 5, 250, rng=3)
    return X


# ------------------------------------------------------------------- mixture sampling (ch 4)
def test_mixture_sampling_both_methods_and_counts():
    w = widgets.mixture_sampling_widget()
    assert set(w.controls) == {"weights", "means", "n"}
    w.update(n=2000, weights=(0.3, 0.5, 0.2))
    left, right = w.fig.axes
    assert left.get_title().startswith("categorical") and right.get_title().startswith("proportional")
    assert "[600, 1000, 400]" in right.get_title()  # round(N pi_k), independent of the draws
    # N times the weights is written with the Greek letter (mathtext), in the title and the alt text.
    assert r"($N\pi$ = [600.0, 1000.0, 400.0])" in right.get_title() and "N pi" not in right.get_title()
    alt = w.frame_description(w.values())
    assert "N π = [600.0, 1000.0, 400.0]" in alt and "N pi" not in alt
    before = _lines(left)
    png_before = w.png
    w.update(weights=wc.MIXTURE_WEIGHTS["one rare: 0.49, 0.49, 0.02"], n=100)
    expected = np.floor(100 * np.array([0.49, 0.49, 0.02]) + 0.5).astype(int).tolist()
    assert str(expected) in w.fig.axes[1].get_title()
    after = _lines(w.fig.axes[0])
    assert not np.allclose(before[-1][1], after[-1][1])  # the density curve changed
    assert w.png != png_before


def test_mixture_sampling_density_curve_is_the_mixture():
    w = widgets.mixture_sampling_widget()
    means = wc.MIXTURE_MEANS["-1, 0, 1.5 (overlapping)"]
    w.update(means=means)
    x, y = _lines(w.fig.axes[1])[-1]
    pi = np.array([0.3, 0.5, 0.2])
    ref = sum(p * stats.norm(m, np.sqrt(v)).pdf(x) for p, m, v in zip(pi, means, [0.5, 1.0, 0.3]))
    np.testing.assert_allclose(y, ref, rtol=1e-9)


def test_mixture_sampling_moving_the_means_moves_the_samples():
    w = widgets.mixture_sampling_widget()
    patch_before = w.fig.axes[0].patches[0].get_path().vertices.copy()
    w.update(means=wc.MIXTURE_MEANS["-5, 0, 5 (far apart)"])
    patch_after = w.fig.axes[0].patches[0].get_path().vertices
    assert patch_before.shape != patch_after.shape or not np.allclose(patch_before, patch_after)


def test_mixture_sampling_arguments_become_a_setting():
    w = widgets.mixture_sampling_widget(weights=(0.1, 0.1, 0.8), means=(-3.0, 0.0, 2.0), n=70)
    assert w.controls["weights"].value == (0.1, 0.1, 0.8)
    assert w.controls["means"].value == (-3.0, 0.0, 2.0)
    assert w.controls["n"].value == 70 and 70 in w.controls["n"].options
    assert "[7, 7, 56]" in w.fig.axes[1].get_title()


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": (0.5, 0.5)}, "3 entries"),
    ({"weights": (0.5, 0.5, 0.0)}, "positive"),
    ({"n": 0}, "n"),
])
def test_mixture_sampling_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.mixture_sampling_widget(**kwargs)


# ------------------------------------------------------------------- k-means step (ch 5)
def _center_offsets(ax):
    # The centres are the scatter drawn with marker "X" and size 160 (the last collection).
    collections = [c for c in ax.collections if isinstance(c, PathCollection)]
    return collections[-1].get_offsets()


def test_kmeans_step_button_moves_centres_to_centroids(blobs5):
    w = widgets.kmeans_widget(X=blobs5, k=5, rng=1)
    assert w.controls["iteration"].value == 0
    c0 = np.array(_center_offsets(w.fig.axes[0]))
    w.press("step")
    assert w.controls["iteration"].value == 1
    c1 = np.array(_center_offsets(w.fig.axes[0]))
    # Independent Lloyd step: centroids of the points nearest to each starting centre.
    owner = np.argmin(cdist(blobs5, c0, "sqeuclidean"), axis=1)
    ref = np.array([blobs5[owner == j].mean(axis=0) if np.any(owner == j) else c1[j] for j in range(5)])
    np.testing.assert_allclose(c1, ref, rtol=1e-9)
    assert not np.allclose(c0, c1)


def test_kmeans_slider_to_end_and_wrap(blobs5):
    w = widgets.kmeans_widget(X=blobs5, k=5, rng=1)
    last = w.controls["iteration"].max
    assert last >= 2
    w.update(iteration=last)
    assert "converged" in w.fig.axes[0].get_title()
    wcss_marker = w.fig.axes[1].get_lines()[-1].get_ydata()[0]
    centers = np.array(_center_offsets(w.fig.axes[0]))
    ref = np.sum(np.min(cdist(blobs5, centers, "sqeuclidean"), axis=1))
    assert wcss_marker == pytest.approx(ref, rel=1e-9)
    w.press("step")
    assert w.controls["iteration"].value == 0
    assert np.all(np.diff(w.wcss) <= 1e-9)


# ------------------------------------------------------------------- colour quantisation (ch 5)
def _photo():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:60, 0:80]
    img = np.stack([xx / 80, yy / 60, 0.5 + 0.5 * np.sin(xx / 9.0)], axis=-1)
    return (np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1) * 255).astype(np.uint8)


def test_quantize_widget_k_changes_the_colours():
    w = widgets.quantize_widget(image=_photo(), ks=(2, 4, 16))
    assert w.controls["k"].value == 4
    images = [a for ax in w.fig.axes for a in ax.get_children() if isinstance(a, AxesImage)]
    quantized = np.asarray(images[1].get_array())
    assert len(np.unique(quantized.reshape(-1, 3), axis=0)) <= 4
    w.update(k=16)
    images = [a for ax in w.fig.axes for a in ax.get_children() if isinstance(a, AxesImage)]
    quantized16 = np.asarray(images[1].get_array())
    n_colours = len(np.unique(quantized16.reshape(-1, 3), axis=0))
    assert 4 < n_colours <= 16
    palette = np.asarray(images[2].get_array())
    assert palette.shape[1] == 16
    assert "16 colours" in w.fig.axes[1].get_title()


# ------------------------------------------------------------------- Bayes classifier (ch 6)
def _classes():
    X0, _ = mixture.sample([1.0], [[0.0, 0.0]], [[[1.0, 0.8], [0.8, 1.0]]], 80, rng=7)
    X1, _ = mixture.sample([1.0], [[3.0, 1.0]], [[[0.3, 0.0], [0.0, 2.0]]], 60, rng=8)
    X2, _ = mixture.sample([1.0], [[0.5, 4.0]], [[[1.5, -0.4], [-0.4, 0.8]]], 70, rng=9)
    return np.vstack([X0, X1, X2]), np.repeat(["USA", "Europe", "Japan"], [80, 60, 70])


def test_bayes_widget_switch_changes_boundaries_and_ellipses():
    X, y = _classes()
    w = widgets.bayes_classifier_widget(X, y, grid_size=60)
    ax = w.fig.axes[0]
    regions_full = np.asarray([a for a in ax.get_children() if isinstance(a, AxesImage)][0].get_array())
    title_full = ax.get_title()
    assert "full" in title_full and f"{mixture.n_parameters(3, 2, 'full')} parameters" in title_full
    w.update(covariance_type="spherical")
    ax = w.fig.axes[0]
    regions_sph = np.asarray([a for a in ax.get_children() if isinstance(a, AxesImage)][0].get_array())
    assert not np.array_equal(regions_full, regions_sph)
    assert f"{mixture.n_parameters(3, 2, 'spherical')} parameters" in ax.get_title()
    # Spherical covariances draw circles: every ellipse point is equally far from its centre.
    model = w.fits["spherical"]["model"]
    ellipses = [line for line in ax.get_lines() if len(line.get_xdata()) > 20]
    assert len(ellipses) == 3
    for line, mean in zip(ellipses, model.means_):
        r = np.hypot(line.get_xdata() - mean[0], line.get_ydata() - mean[1])
        assert np.ptp(r) < 1e-8 * r.mean()
    # The accuracy in the title is the share of correct predictions.
    acc = np.mean(model.predict(X) == y)
    assert f"{acc:.1%}" in ax.get_title()


# ------------------------------------------------------------------- EM step (ch 7)
@pytest.fixture(scope="module")
def faithful_like():
    X, _ = mixture.sample([0.35, 0.65], [[2.0, 54.0], [4.3, 80.0]],
                          [[[0.07, 0.4], [0.4, 34.0]], [[0.17, 0.9], [0.9, 36.0]]], 272, rng=5)
    return X


def test_em_widget_step_moves_ellipses_and_tracks_loglik(faithful_like):
    w = widgets.em_widget(X=faithful_like)
    ax, ax_ll = w.fig.axes
    ell0 = [line.get_xydata().copy() for line in ax.get_lines()]
    w.press("step")
    ax, ax_ll = w.fig.axes
    ell1 = [line.get_xydata() for line in ax.get_lines()]
    assert not all(np.allclose(a, b) for a, b in zip(ell0, ell1))
    # The marked log-likelihood is the sum of the log mixture density (scipy) at this state.
    s = w.states[1]
    dens = sum(p * stats.multivariate_normal(m, c).pdf(faithful_like)
               for p, m, c in zip(s["weights"], s["means"], s["covariances"]))
    marker = ax_ll.get_lines()[-1].get_ydata()[0]
    assert marker == pytest.approx(np.sum(np.log(dens)), rel=1e-9)
    lls = [st["log_likelihood"] for st in w.states]
    assert np.all(np.diff(lls) >= -1e-10)
    assert len(w.states) > 3


def test_em_history_matches_hand_em(faithful_like):
    start = wc._default_em_start(faithful_like)
    states = wc.em_history(faithful_like, *start, max_iter=3)
    params = start
    for s in states:
        np.testing.assert_allclose(s["means"], params[1], rtol=1e-10)
        params = mixture.m_step(faithful_like, mixture.responsibilities(faithful_like, *params))


# ------------------------------------------------------------------- bench cases
def test_bench_cases_name_real_controls():
    names = {name for name, _, _ in wc.BENCH_CASES}
    assert {"mixture_sampling", "kmeans_step", "quantize", "bayes_classifier", "em_step"} <= names
    for _name, factory, kwargs in wc.BENCH_CASES:
        assert callable(factory) and isinstance(kwargs, dict)
    # Only the cheap one is built here (the others need the book's data sets).
    name, factory, kwargs = wc.BENCH_CASES[0]
    w = factory()
    assert set(kwargs) <= set(w.controls)
    w.update(**kwargs)
    assert w.last_draw_seconds is not None


def test_live_widgets_reuse_their_artists(blobs5):
    # Redraws update the artists built once: stepping through a whole run leaves one arrow per
    # moving centre at most, one scatter of points and one of centres.
    w = widgets.kmeans_widget(X=blobs5, k=5, rng=1)
    ax = w.fig.axes[0]
    for _ in range(w.controls["iteration"].max + 1):
        w.press("step")
    assert w.fig.axes[0] is ax
    assert len(ax.texts) <= 5
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 2


def test_static_bundle_has_the_default_figure():
    w = widgets.mixture_sampling_widget()
    bundle = w._repr_mimebundle_()
    assert bundle["image/png"] == w.png
    assert "make lab" in bundle["text/plain"]
