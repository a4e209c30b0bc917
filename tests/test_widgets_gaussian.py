"""The chapter 1-3 widgets: an update changes the figure's data, and the data are right.

Each test drives a widget without a browser (``update``), then reads the artists back from the
figure and checks them against an independent reference (scipy.stats, numpy's eigh, closed forms).
Redraw times are recorded but not asserted here (bench/bench_widgets.py measures them).
"""

import numpy as np
import pytest
from scipy import stats

from coursekit.widgets import (
    binomial_widget,
    clt_widget,
    covariance_widget,
    log_likelihood_widget,
    marginal_conditional_widget,
)
from coursekit.widgets import _gaussian as widgets_gaussian
from coursekit.widgets._base import FigureWidget


def _lines(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def _redraw_recorded(w):
    assert isinstance(w, FigureWidget)
    assert w.last_draw_seconds is not None and w.last_draw_seconds > 0


def test_clt_widget_overlay_is_the_limiting_normal():
    w = clt_widget(n=1)
    (line,) = _lines(w.fig.axes[0])
    before = np.array(line.get_ydata())
    w.update(n=10)
    _redraw_recorded(w)
    (line,) = _lines(w.fig.axes[0])
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert not np.allclose(before, y)
    # mean of 10 Uniform(0,1): mean 1/2, variance 1/(12*10)
    np.testing.assert_allclose(y, stats.norm.pdf(x, 0.5, np.sqrt(1 / 120)), rtol=1e-10)
    # the histogram is a density of the simulated means: it integrates to 1 and narrows with N
    hist = w.fig.axes[0].patches[0]
    values, edges = hist.get_data()[:2]  # StepPatch data: (values, edges, baseline)
    assert np.sum(values * np.diff(edges)) == pytest.approx(1.0)
    centres = (edges[:-1] + edges[1:]) / 2
    spread = np.sqrt(np.sum(values * np.diff(edges) * (centres - 0.5) ** 2))
    assert spread == pytest.approx(np.sqrt(1 / 120), rel=0.1)


def test_clt_widget_rejects_bad_n():
    with pytest.raises(ValueError, match="n"):
        clt_widget(n=0)


def test_binomial_widget_matches_scipy():
    w = binomial_widget(n=10, p=0.5)
    w.update(n=40, p=0.3)
    _redraw_recorded(w)
    ax = w.fig.axes[0]
    stems = ax.collections[0]
    heights = np.array([seg[1, 1] for seg in stems.get_segments()])
    np.testing.assert_allclose(heights, stats.binom.pmf(np.arange(41), 40, 0.3), rtol=1e-10)
    (line,) = _lines(ax)
    x = np.asarray(line.get_xdata())
    np.testing.assert_allclose(line.get_ydata(), stats.norm.pdf(x, 12, np.sqrt(40 * 0.3 * 0.7)), rtol=1e-10)


def _mahalanobis_sq(points, mean, cov):
    diff = np.asarray(points) - mean
    return np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff)


def test_covariance_widget_ellipse_eigenvectors_and_samples_update():
    w = covariance_widget(sigma1=1.5, sigma2=1.0, rho=0.6)
    ax = w.fig.axes[0]
    samples_before = ax.collections[0].get_offsets().copy()
    ellipse_before = np.column_stack(_lines(ax)[0].get_data())
    w.update(sigma1=0.8, sigma2=1.7, rho=-0.4)
    _redraw_recorded(w)
    ax = w.fig.axes[0]
    cov = np.array([[0.64, -0.4 * 0.8 * 1.7], [-0.4 * 0.8 * 1.7, 1.7**2]])
    one_std, two_std = (np.column_stack(line.get_data()) for line in _lines(ax)[:2])
    assert not np.allclose(ellipse_before, one_std)
    np.testing.assert_allclose(_mahalanobis_sq(one_std, 0, cov), 1.0, rtol=1e-9)
    np.testing.assert_allclose(_mahalanobis_sq(two_std, 0, cov), 4.0, rtol=1e-9)
    # arrows: sqrt(lambda) v, long axis first (numpy's eigh as the reference; sign-free check)
    values, vectors = np.linalg.eigh(cov)
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 2
    for arrow, j in zip(arrows, (1, 0)):
        tip = np.asarray(arrow.xy) - np.asarray(arrow.xyann)
        assert np.linalg.norm(tip) == pytest.approx(np.sqrt(values[j]), rel=1e-9)
        assert abs(tip @ vectors[:, j]) == pytest.approx(np.sqrt(values[j]), rel=1e-9)
    samples = ax.collections[0].get_offsets()
    assert samples.shape == samples_before.shape and not np.allclose(samples, samples_before)
    # the samples follow the new covariance (300 points: a loose, sound tolerance)
    np.testing.assert_allclose(np.cov(np.asarray(samples).T), cov, atol=0.35)


def test_marginal_conditional_widget_slice_moves_and_matches_closed_form():
    s1, s2 = 1.0, 1.2
    w = marginal_conditional_widget(x1=1.0, rho=0.7, sigma1=s1, sigma2=s2)
    w.update(x1=-1.5, rho=0.3)
    _redraw_recorded(w)
    joint, marg, cond = w.fig.axes[0], w.fig.axes[1], w.fig.axes[2]
    (slice_line,) = joint.get_lines()
    np.testing.assert_allclose(slice_line.get_xdata(), [-1.5, -1.5])
    (m_line,) = marg.get_lines()
    np.testing.assert_allclose(m_line.get_ydata(), stats.norm.pdf(m_line.get_xdata(), 0, s1), rtol=1e-10)
    (c_line,) = cond.get_lines()
    x2 = np.asarray(c_line.get_ydata())
    # closed form: x2 | x1 ~ N(rho s2/s1 x1, s2^2 (1 - rho^2))
    expected = stats.norm.pdf(x2, 0.3 * s2 / s1 * -1.5, s2 * np.sqrt(1 - 0.3**2))
    np.testing.assert_allclose(c_line.get_xdata(), expected, rtol=1e-10)


def test_log_likelihood_widget_marks_mle_and_reports_loglik():
    x = np.array([1.2, 2.5, 0.3, 3.1, 2.2, 1.9, 2.8, 0.9])
    w = log_likelihood_widget(x)
    ax_data, ax_ll = w.fig.axes[0], w.fig.axes[1]
    density_before = np.array(ax_data.get_lines()[1].get_ydata())
    w.update(mu=2.0, sigma=1.1)
    _redraw_recorded(w)
    ax_data, ax_ll = w.fig.axes[0], w.fig.axes[1]
    density = ax_data.get_lines()[1]
    assert not np.allclose(density_before, density.get_ydata())
    np.testing.assert_allclose(density.get_ydata(), stats.norm.pdf(density.get_xdata(), 2.0, 1.1), rtol=1e-10)
    mle, current = ax_ll.get_lines()[:2]
    np.testing.assert_allclose(np.ravel(current.get_data()), [2.0, 1.1])
    np.testing.assert_allclose(np.ravel(mle.get_data()), [x.mean(), x.std()], rtol=1e-10)
    ll = stats.norm.logpdf(x, 2.0, 1.1).sum()
    assert f"{ll:.1f}" in ax_data.get_title()


def test_log_likelihood_widget_rejects_2d_data():
    with pytest.raises(ValueError, match="x"):
        log_likelihood_widget(np.zeros((5, 2)))


@pytest.mark.parametrize("case", widgets_gaussian.BENCH_CASES, ids=lambda c: c[0])
def test_bench_cases_build_and_update(case):
    name, factory, update_kwargs = case
    w = factory()
    png_before = w.png
    w.update(**update_kwargs)
    _redraw_recorded(w)
    assert w.png != png_before


def test_posterior_widget_follows_the_closed_form_as_data_arrive():
    from coursekit.widgets import posterior_widget

    w = posterior_widget(n=3)
    before = np.array(w.fig.axes[0].get_lines()[2].get_ydata())
    w.update(n=20, prior_var=0.5, noise_var=2.0)
    _redraw_recorded(w)
    ax = w.fig.axes[0]
    prior, likelihood, posterior, rug = ax.get_lines()[:4]
    x = np.asarray(rug.get_xdata())
    assert x.size == 20
    assert not np.allclose(before, posterior.get_ydata())
    # closed form: precisions add, the mean is precision-weighted
    var = 1 / (1 / 0.5 + 20 / 2.0)
    mean = var * (0.0 / 0.5 + x.sum() / 2.0)
    theta = np.asarray(posterior.get_xdata())
    np.testing.assert_allclose(posterior.get_ydata(), stats.norm.pdf(theta, mean, np.sqrt(var)), rtol=1e-9)
    np.testing.assert_allclose(prior.get_ydata(), stats.norm.pdf(theta, 0.0, np.sqrt(0.5)), rtol=1e-12)
    # the observations are the same draws, rescaled: their first three are unchanged in z-units
    w.update(n=3, noise_var=1.0)
    x3 = np.asarray(w.fig.axes[0].get_lines()[3].get_xdata())
    np.testing.assert_allclose((x[:3] - 1.2) / np.sqrt(2.0), x3 - 1.2, rtol=1e-12)
