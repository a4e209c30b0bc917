"""coursekit.plotting helpers for chapters 1-3: the plotted data are right, and every figure renders.

Each helper draws on a fresh headless figure, which is then rendered to PNG (a bad mathtext
label only fails at render time, and a book page would then show a traceback instead of a
figure).  The plotted data are read back from the artists and compared with scipy.stats / numpy.
"""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy import stats

from coursekit import datasets, gaussian, plotting

COV = np.array([[2.0, 0.6], [0.6, 1.0]])
MEAN = np.array([1.0, 2.0])


def _render(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue()[:4] == b"\x89PNG"


def _ax():
    fig = Figure()
    return fig, fig.add_subplot()


def test_all_helpers_are_exported():
    expected = {
        "plot_gaussian_ellipse", "plot_eigenvectors", "plot_density_contours", "density_grid",
        "plot_normal_pdf", "covariance_2d", "plot_clt", "plot_binomial_normal", "plot_covariance",
        "plot_marginal_conditional", "normal_posterior", "plot_posterior", "plot_affine_map",
        "log_likelihood_grid", "plot_log_likelihood", "plot_one_gaussian_fit", "plot_histogram_fit",
        "plot_bin_choices", "clt_means",
    }
    assert expected <= set(plotting.__all__)
    for name in expected:
        assert callable(getattr(plotting, name))


@pytest.mark.parametrize("n_std", [1.0, 2.5])
def test_plot_gaussian_ellipse_points_are_on_the_mahalanobis_contour(n_std):
    fig, ax = _ax()
    line = plotting.plot_gaussian_ellipse(ax, MEAN, COV, n_std=n_std, color="C3", lw=3)
    pts = np.column_stack(line.get_data())
    diff = pts - MEAN
    np.testing.assert_allclose(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(COV), diff), n_std**2, rtol=1e-10)
    assert line.get_color() == "C3" and line.get_linewidth() == 3
    np.testing.assert_allclose(pts[0], pts[-1])  # closed outline
    _render(fig)


def test_plot_eigenvectors_tips_are_sqrt_lambda_v():
    fig, ax = _ax()
    arrows = plotting.plot_eigenvectors(ax, MEAN, COV, n_std=2.0)
    values, vectors = np.linalg.eigh(COV)
    for arrow, j in zip(arrows, (1, 0)):  # long axis first
        np.testing.assert_allclose(arrow.xyann, MEAN)
        step = np.asarray(arrow.xy) - MEAN
        assert np.linalg.norm(step) == pytest.approx(2 * np.sqrt(values[j]))
        assert abs(step @ vectors[:, j]) == pytest.approx(2 * np.sqrt(values[j]))
    labels = [t.get_text() for t in ax.texts if t.get_text()]
    assert any(r"\max" in t for t in labels) and any(r"\min" in t for t in labels)
    _render(fig)


def _label_boxes_and_ellipses(fig, out_per_ax):
    """Draw ``fig``; per axes: its axes box, the eigenvector labels' boxes and the ellipses' points
    (display pixels, each ellipse sampled every few pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    found = []
    for ax, out in out_per_ax:
        boxes = [t.get_window_extent(renderer) for t in ax.texts if r"\lambda" in t.get_text()]
        ellipses = []
        for line in out["ellipses"]:
            pts = ax.transData.transform(np.column_stack(line.get_data()))
            t = np.linspace(0.0, 1.0, 20, endpoint=False)[:, None, None]
            ellipses.append((line.get_linestyle(), (pts[:-1] + t * (pts[1:] - pts[:-1])).reshape(-1, 2)))
        found.append((ax.bbox, boxes, ellipses))
    return found


def _covers(box, pts):
    return bool(np.any((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)))


def test_eigenvector_labels_leave_the_ellipses_visible():
    """Chapter 1's figure of the three covariance cases (same sizes as the book): each label is inside
    its axes, no label has a filled box that would hide a line, and at most one of the six crosses a
    dashed (2-std) ellipse (placed beyond the arrows' tips, as they once were, all six did; in these
    small panels one label has no clear place)."""
    fig = Figure(figsize=(8.5, 3.2), dpi=100, layout="constrained")
    axes = fig.subplots(1, 3)
    cases = [plotting.covariance_2d(1.0, 1.0, 0.0), plotting.covariance_2d(1.6, 0.7, 0.0),
             plotting.covariance_2d(1.5, 1.0, 0.6)]
    outs = [(ax, plotting.plot_covariance(ax, cov, lim=4.0)) for ax, cov in zip(axes, cases)]
    crossing = 0
    for frame, boxes, ellipses in _label_boxes_and_ellipses(fig, outs):
        assert len(boxes) == 2
        for box in boxes:
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            crossing += _covers(box, dict(ellipses)["--"])
    assert crossing <= 1, f"{crossing} of 6 labels cross the 2-std (dashed) ellipse"
    for ax, _ in outs:
        assert all(t.get_bbox_patch() is None for t in ax.texts)


def test_eigenvector_labels_stay_in_their_axes_over_the_widget_grid():
    """Over the covariance widget's static grid (5-inch figure, limits +-4.5) every label is inside
    the axes, and at most a tenth of the labels cross the dashed ellipse (placed beyond the arrows'
    tips, as they once were, 120 of 126 did)."""
    crossing = 0
    for s1 in (0.5, 1.0, 1.5):
        for s2 in (0.5, 1.0, 1.5):
            for rho in (-0.9, -0.6, -0.3, 0.0, 0.3, 0.6, 0.9):
                fig = Figure(figsize=(5.0, 5.0), dpi=80)
                ax = fig.add_subplot()
                out = plotting.plot_covariance(ax, plotting.covariance_2d(s1, s2, rho), lim=4.5)
                ((frame, boxes, ellipses),) = _label_boxes_and_ellipses(fig, [(ax, out)])
                for box in boxes:
                    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, \
                        (s1, s2, rho)
                    crossing += _covers(box, dict(ellipses)["--"])
    assert crossing <= 126 // 10, f"{crossing} of 126 labels cross the 2-std (dashed) ellipse"


def test_density_grid_and_contours():
    xx, yy, dens = plotting.density_grid(lambda P: gaussian.logpdf(P, MEAN, COV), (-2, 4), (0, 4), n_grid=30)
    assert xx.shape == yy.shape == dens.shape == (30, 30)
    expected = stats.multivariate_normal(MEAN, COV).pdf(np.dstack([xx, yy]))
    np.testing.assert_allclose(dens, expected, rtol=1e-10)
    fig, ax = _ax()
    cs = plotting.plot_density_contours(ax, lambda P: gaussian.logpdf(P, MEAN, COV), (-2, 4), (0, 4), levels=5)
    assert len(cs.levels) >= 3 and max(cs.levels) <= dens.max() * 1.01
    _render(fig)


def test_plot_normal_pdf_and_validation():
    fig, ax = _ax()
    line = plotting.plot_normal_pdf(ax, 1.0, 4.0)
    x, y = line.get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(x, 1.0, 2.0), rtol=1e-12)
    assert x.min() == pytest.approx(1 - 8) and x.max() == pytest.approx(1 + 8)
    with pytest.raises(ValueError, match="var"):
        plotting.plot_normal_pdf(ax, 0.0, -1.0)
    _render(fig)


def test_clt_helpers():
    means = plotting.clt_means(3, n_repeats=500, rng=0)
    assert means.shape == (500,)
    np.testing.assert_array_equal(means, plotting.clt_means(3, n_repeats=500, rng=0))  # seeded
    fig, ax = _ax()
    out = plotting.plot_clt(ax, 3, n_repeats=500, rng=0)
    x, y = out["normal"].get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(x, 0.5, np.sqrt(1 / 36)), rtol=1e-12)
    with pytest.raises(ValueError, match="n"):
        plotting.clt_means(0)
    with pytest.raises(TypeError, match="rng"):
        plotting.clt_means(2, rng="seed")
    _render(fig)


def test_binomial_validation():
    fig, ax = _ax()
    with pytest.raises(ValueError, match="p"):
        plotting.plot_binomial_normal(ax, 10, 1.0)
    with pytest.raises(ValueError, match="n"):
        plotting.plot_binomial_normal(ax, 0, 0.5)
    plotting.plot_binomial_normal(ax, 10, 0.5)
    _render(fig)


def test_plot_covariance():
    fig, ax = _ax()
    cov = plotting.covariance_2d(1.5, 1.0, 0.6)
    out = plotting.plot_covariance(ax, cov, n_samples=123, rng=1)
    assert out["samples"].get_offsets().shape == (123, 2)
    assert len(out["ellipses"]) == 2 and len(out["arrows"]) == 2
    _render(fig)
    with pytest.raises(ValueError, match="cov"):
        plotting.plot_covariance(ax, [[1.0, 2.0], [2.0, 1.0]])  # not positive definite


def test_plot_marginal_conditional_renders_and_validates():
    fig = Figure()
    out = plotting.plot_marginal_conditional(fig, [0.0, 1.0], plotting.covariance_2d(1.0, 2.0, -0.5), 0.5)
    assert out["conditional_mean"] == pytest.approx(1.0 + (-0.5) * 2.0 * 0.5)
    assert out["conditional_var"] == pytest.approx(4.0 * 0.75)
    np.testing.assert_allclose(out["slice"].get_xdata(), [0.5, 0.5])
    _render(fig)
    with pytest.raises(ValueError, match="mean"):
        plotting.plot_marginal_conditional(Figure(), [0.0, 0.0, 0.0], np.eye(2), 0.0)


def test_posterior_helpers():
    fig, ax = _ax()
    out = plotting.plot_posterior(ax, 0.0, 2.0, 0.5, [1.0, 1.4])
    t, y = out["posterior"].get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(t, out["post_mean"], np.sqrt(out["post_var"])), rtol=1e-12)
    t, y = out["likelihood"].get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(t, 1.2, np.sqrt(0.25)), rtol=1e-12)
    _render(fig)
    with pytest.raises(ValueError, match="noise_var"):
        plotting.normal_posterior(0.0, 1.0, 0.0, [1.0])


def test_plot_affine_map_validates_A():
    fig = Figure()
    axes = fig.subplots(1, 2)
    plotting.plot_affine_map(axes, np.eye(2), [0.0, 0.0], n_samples=50)
    _render(fig)
    with pytest.raises(ValueError, match="A"):
        plotting.plot_affine_map(axes, np.eye(3), [0.0, 0.0])


def test_plot_log_likelihood_markers():
    x = np.array([0.5, 1.5, 2.0, 3.5, 2.5])
    fig = Figure()
    out = plotting.plot_log_likelihood(fig, x, 1.0, 0.8)
    np.testing.assert_allclose(np.ravel(out["mle"].get_data()), [x.mean(), x.std()])
    np.testing.assert_allclose(np.ravel(out["current"].get_data()), [1.0, 0.8])
    assert out["ll"] == pytest.approx(stats.norm.logpdf(x, 1.0, 0.8).sum())
    _render(fig)
    with pytest.raises(ValueError, match="sigma"):
        plotting.plot_log_likelihood(Figure(), x, 1.0, 0.0)


def test_plot_one_gaussian_fit_on_old_faithful():
    X = datasets.old_faithful().data
    fig, ax = _ax()
    out = plotting.plot_one_gaussian_fit(ax, X)
    np.testing.assert_allclose(out["mean"], X.mean(axis=0))
    np.testing.assert_allclose(out["cov"], np.cov(X.T, bias=True))
    assert len(out["ellipses"]) == 3
    ax.legend()
    _render(fig)
    with pytest.raises(ValueError, match="2 columns"):
        plotting.plot_one_gaussian_fit(ax, np.zeros((5, 3)))


def test_plot_histogram_fit_and_bin_choices():
    x = datasets.old_faithful().data[:, 0]
    fig, ax = _ax()
    out = plotting.plot_histogram_fit(ax, x, bins=20, curves={"flat": lambda t: np.full_like(t, 0.1)})
    assert out["mean"] == pytest.approx(x.mean()) and out["var"] == pytest.approx(x.var())
    t, y = out["gaussian"].get_data()
    np.testing.assert_allclose(y, stats.norm.pdf(t, x.mean(), x.std()), rtol=1e-12)
    np.testing.assert_allclose(out["curves"][0].get_ydata(), 0.1)
    ax.legend()
    _render(fig)
    fig = Figure()
    axes = fig.subplots(1, 3)
    heights = plotting.plot_bin_choices(axes, x, bins=(4, 9, 30))
    assert [h.size for h in heights] == [4, 9, 30]
    for h in heights:
        width = (x.max() - x.min()) / h.size
        assert np.sum(h) * width == pytest.approx(1.0)
    _render(fig)
