"""Widgets for chapters 1-3 (the Gaussian, likelihood, one Gaussian is not enough).

Each function returns a :class:`~coursekit.widgets._base.FigureWidget`: sliders whose values are
passed to a ``draw(fig, **values)`` built from the helpers in :mod:`coursekit.plotting`.  In a
notebook, make the widget the last expression of a cell; in a test, call ``w.update(...)``.

``BENCH_CASES`` lists ``(name, factory, update_kwargs)`` for ``bench/bench_widgets.py``: each
case builds the widget with the book's data sizes and times a redraw after ``update``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .. import plotting
from .._validation import check_int, check_X
from ._base import FigureWidget

__all__ = [
    "clt_widget",
    "binomial_widget",
    "covariance_widget",
    "marginal_conditional_widget",
    "posterior_widget",
    "log_likelihood_widget",
]

_SLIDER = dict(continuous_update=False, style={"description_width": "initial"})


def _fixed_layout(fig, **margins):
    """Fixed subplot margins instead of constrained layout.

    Constrained layout measures every tick label on each redraw (about half of a redraw's
    time); a widget's layout never changes, so fixed margins keep redraws under 100 ms.
    """
    fig.set_layout_engine(None)
    fig.subplotpars.update(**margins)


def _few_ticks(fig, nbins=5):
    """At most ``nbins`` ticks per axis: every tick is two lines and a text to lay out and render."""
    for ax in fig.axes:
        ax.locator_params(nbins=nbins)


def _widget(controls, draw, **kw):
    """A :class:`FigureWidget` whose figure keeps one Agg canvas across redraws.

    Without a canvas, every ``savefig`` makes a fresh Agg canvas and renderer, losing the
    renderer's caches (mathtext, glyphs); keeping one makes each redraw about 25% faster.
    """
    w = FigureWidget(controls, draw, **kw)
    FigureCanvasAgg(w.fig)
    return w


def _int_slider(value, lo, hi, description, step=1):
    return widgets.IntSlider(value=value, min=lo, max=hi, step=step, description=description, **_SLIDER)


def _float_slider(value, lo, hi, description, step=0.05):
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=".2f", **_SLIDER)


def clt_widget(n=1, n_repeats=20_000, rng=0, max_n=50):
    """The central limit theorem: the mean of N Uniform(0, 1) variables, N on a slider.

    Parameters
    ----------
    n : int
        Initial N.
    n_repeats : int
        How many means the histogram shows.
    rng : int
        Seed; every redraw uses the same seed so only N changes the picture.
    max_n : int
        Largest N on the slider.

    Returns
    -------
    FigureWidget
        Control ``n``; the figure has one axes with the histogram (``stairs``) and the normal
        density line.
    """
    n = check_int(n, "n", minimum=1, maximum=max_n)

    def draw(fig, n):
        _fixed_layout(fig, left=0.1, right=0.97, bottom=0.17, top=0.9)
        ax = fig.add_subplot()
        plotting.plot_clt(ax, n, n_repeats=n_repeats, rng=rng)
        _few_ticks(fig)
        ax.legend(loc="upper left", fontsize=8, frameon=False)

    def describe(n):
        shape = ("flat" if n == 1 else "a triangle" if n == 2 else
                 "rounded, already close to a bell" if n < 5 else "a bell that matches the curve")
        return (f"Histogram of {n_repeats:,} means of N = {n} Uniform(0, 1) numbers with the normal density "
                f"N(1/2, 1/(12N)) overlaid (standard deviation {np.sqrt(1 / (12 * n)):.3f}): the histogram "
                f"is {shape}.")

    # Every N on the slider (the int slider's positions are the static grid).
    return _widget({"n": _int_slider(n, 1, max_n, "N (uniforms averaged)")}, draw,
                   figsize=(6.0, 3.4), title="Central limit theorem: mean of N uniforms", describe=describe)


def binomial_widget(n=10, p=0.5, max_n=200):
    """Binomial(N, p) against the normal N(Np, Np(1-p)), with N and p on sliders.

    Returns
    -------
    FigureWidget
        Controls ``n`` and ``p``.
    """
    n = check_int(n, "n", minimum=1, maximum=max_n)

    def draw(fig, n, p):
        _fixed_layout(fig, left=0.11, right=0.97, bottom=0.15, top=0.95)
        ax = fig.add_subplot()
        plotting.plot_binomial_normal(ax, n, p)
        _few_ticks(fig)
        ax.legend(loc="upper right", fontsize=8, frameon=False)

    def describe(n, p):
        mean, var = n * p, n * p * (1 - p)
        fit = ("the bars pile up against an end and the bell does not fit them"
               if min(mean, n - mean) < 5 else "the bell follows the bars closely")
        return (f"Probabilities of 0 to {n} heads in N = {n} flips with p = {p:.2f} as bars, and the normal "
                f"density with mean Np = {mean:.1f} and variance Np(1-p) = {var:.2f}: {fit}.")

    controls = {"n": _int_slider(n, 1, max_n, "N (trials)"), "p": _float_slider(p, 0.05, 0.95, "p (heads)")}
    # Static page: N on a roughly logarithmic scale, p from lopsided to fair and back (48 frames).
    grid = {"n": [1, 2, 5, 10, 20, 50, 100, 200], "p": [0.05, 0.1, 0.2, 0.5, 0.8, 0.95]}
    return _widget(controls, draw, figsize=(6.0, 3.4), title="Binomial(N, p) and its normal approximation",
                   grid=grid, describe=describe)


def covariance_widget(sigma1=1.5, sigma2=1.0, rho=0.6, n_samples=300, rng=0, lim=4.5):
    r"""A 2-D Gaussian: sliders for :math:`\sigma_1, \sigma_2, \rho`.

    The samples (always the same standard-normal draws, transformed), the 1- and 2-standard-deviation
    ellipses and the eigenvector arrows :math:`\sqrt{\lambda}\mathbf{v}` update together.

    Returns
    -------
    FigureWidget
        Controls ``sigma1``, ``sigma2``, ``rho``.
    """

    def draw(fig, sigma1, sigma2, rho):
        _fixed_layout(fig, left=0.12, right=0.97, bottom=0.1, top=0.93)
        ax = fig.add_subplot()
        cov = plotting.covariance_2d(sigma1, sigma2, rho)
        plotting.plot_covariance(ax, cov, n_samples=n_samples, rng=rng, lim=lim)
        _few_ticks(fig)
        ax.set_title(f"σ₁ = {sigma1:.2f},  σ₂ = {sigma2:.2f},  ρ = {rho:.2f}", fontsize=11)

    def describe(sigma1, sigma2, rho):
        cov = plotting.covariance_2d(sigma1, sigma2, rho)
        values, vectors = np.linalg.eigh(cov)
        v = vectors[:, 1] * np.sign(vectors[0, 1] or 1.0)
        angle = np.degrees(np.arctan2(v[1], v[0]))
        if rho == 0 and sigma1 == sigma2:
            shape = "circles"
        elif rho == 0:
            shape = f"ellipses aligned with the {'x₁' if sigma1 > sigma2 else 'x₂'} axis"
        else:
            shape = f"ellipses whose long axis points {angle:+.0f} degrees from the x₁ axis"
        return (f"{n_samples} samples of a 2-D Gaussian with σ₁ = {sigma1:.2f}, σ₂ = {sigma2:.2f} and "
                f"correlation ρ = {rho:.2f}, with its 1- and 2-standard-deviation {shape}; the eigenvector "
                f"arrows have lengths √λ = {np.sqrt(values[1]):.2f} and {np.sqrt(values[0]):.2f}.")

    controls = {
        "sigma1": _float_slider(sigma1, 0.2, 2.0, "σ₁"),
        "sigma2": _float_slider(sigma2, 0.2, 2.0, "σ₂"),
        "rho": _float_slider(rho, -0.95, 0.95, "ρ (correlation)"),
    }
    # Static page: circles (σ₁ = σ₂, ρ = 0), axis-aligned (ρ = 0) and tilted ellipses (63 frames).
    grid = {"sigma1": [0.5, 1.0, 1.5], "sigma2": [0.5, 1.0, 1.5], "rho": [-0.9, -0.6, -0.3, 0.0, 0.3, 0.6, 0.9]}
    return _widget(controls, draw, figsize=(5.0, 5.0), title="Covariance ellipse with eigenvectors and samples",
                   grid=grid, describe=describe)


def marginal_conditional_widget(x1=1.0, rho=0.7, sigma1=1.0, sigma2=1.2):
    r"""A 2-D Gaussian with its marginal :math:`p(x_1)` and the conditional :math:`p(x_2 \mid x_1)`.

    Controls: the slice position ``x1`` and the correlation ``rho``.

    Returns
    -------
    FigureWidget
    """

    def draw(fig, x1, rho):
        _fixed_layout(fig, left=0.1, right=0.97, bottom=0.11, top=0.97, wspace=0.1, hspace=0.05)
        cov = plotting.covariance_2d(sigma1, sigma2, rho)
        plotting.plot_marginal_conditional(fig, [0.0, 0.0], cov, x1, n_grid=100)
        _few_ticks(fig)

    def describe(x1, rho):
        mean = rho * sigma2 / sigma1 * x1
        var = sigma2**2 * (1 - rho**2)
        return (f"Filled contours of a 2-D Gaussian (σ₁ = {sigma1:g}, σ₂ = {sigma2:g}, ρ = {rho:.2f}) with a "
                f"vertical slice at x₁ = {x1:.2f}; above, the marginal p(x₁) = N(0, {sigma1**2:g}); at the "
                f"right, the conditional p(x₂ | x₁) = N({mean:.2f}, {var:.3f}), the renormalised slice.")

    controls = {"x1": _float_slider(x1, -3.0, 3.0, "slice at x₁ ="), "rho": _float_slider(rho, -0.95, 0.95, "ρ")}
    # Static page: the slice every 0.5; negative, no, positive and strong correlation (44 frames).
    grid = {"x1": [-2.5 + 0.5 * i for i in range(11)], "rho": [-0.7, 0.0, 0.7, 0.9]}
    return _widget(controls, draw, figsize=(6.0, 5.0), title="Joint density, marginal and conditional slice",
                   grid=grid, describe=describe)


def posterior_widget(n=3, prior_var=1.0, noise_var=1.0, prior_mean=0.0, theta_true=1.2, max_n=50, rng=0):
    r"""Gaussian prior times Gaussian likelihood: the posterior of a mean as data arrive.

    The observations are the first ``n`` of ``max_n`` fixed draws from
    :math:`\mathcal{N}(\theta_\text{true}, \sigma^2)` (drawn once with a standard normal stream and
    scaled, so moving the noise slider rescales the same draws).

    Returns
    -------
    FigureWidget
        Controls ``n`` (number of observations), ``prior_var`` (:math:`\tau^2`) and
        ``noise_var`` (:math:`\sigma^2`).
    """
    from .. import gaussian

    max_n = check_int(max_n, "max_n", minimum=1)
    n = check_int(n, "n", minimum=1, maximum=max_n)
    z = gaussian.sample([0.0], [[1.0]], max_n, rng=rng)[:, 0]
    theta = np.linspace(prior_mean - 4.0, prior_mean + 4.0, 400)

    def draw(fig, n, prior_var, noise_var):
        _fixed_layout(fig, left=0.1, right=0.97, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        x = theta_true + np.sqrt(noise_var) * z[:n]
        out = plotting.plot_posterior(ax, prior_mean, prior_var, noise_var, x, theta=theta)
        ax.set_title(f"N = {n}: posterior mean {out['post_mean']:.3f}, variance {out['post_var']:.4f}",
                     fontsize=10)
        _few_ticks(fig)

    def describe(n, prior_var, noise_var):
        x = theta_true + np.sqrt(noise_var) * z[:n]
        post_mean, post_var = plotting.normal_posterior(prior_mean, prior_var, noise_var, x)
        return (f"The prior N({prior_mean:g}, τ² = {prior_var:.2f}), the likelihood of N = {n} observations "
                f"with noise variance σ² = {noise_var:.2f} (their mean {x.mean():.3f}) and the posterior "
                f"N({post_mean:.3f}, {post_var:.4f}), with the observations marked on the axis.")

    controls = {
        "n": _int_slider(n, 1, max_n, "N (observations)"),
        "prior_var": _float_slider(prior_var, 0.1, 4.0, "τ² (prior variance)"),
        "noise_var": _float_slider(noise_var, 0.1, 4.0, "σ² (noise variance)"),
    }
    # Static page: N roughly doubling, each variance small, equal and large (54 frames).
    grid = {"n": [1, 2, 5, 10, 20, 50], "prior_var": [0.25, 1.0, 4.0], "noise_var": [0.25, 1.0, 4.0]}
    return _widget(controls, draw, figsize=(6.5, 3.4), title="Gaussian prior times likelihood: the posterior",
                   grid=grid, describe=describe)


def log_likelihood_widget(x, mu=None, sigma=None):
    r"""Move :math:`\mu` and :math:`\sigma` and watch the log-likelihood of a 1-D data set.

    Left: the data and the candidate density :math:`\mathcal{N}(\mu, \sigma^2)` (the MLE dashed);
    right: the surface :math:`\ell(\mu, \sigma)` (computed once) with the current point and the MLE.

    Parameters
    ----------
    x : array-like of shape (N,)
        The data set.
    mu, sigma : float, optional
        Initial values (default: a deliberately poor guess away from the MLE).

    Returns
    -------
    FigureWidget
        Controls ``mu`` and ``sigma``.
    """
    from .. import gaussian

    X = check_X(x, name="x", min_samples=2)
    if X.shape[1] != 1:
        raise ValueError(f"x must be 1-D data, got {X.shape[1]} columns")
    mean, cov = gaussian.fit_mle(X)
    mu_hat, sd_hat = float(mean[0]), float(np.sqrt(cov[0, 0]))
    mus = np.linspace(mu_hat - 3 * sd_hat, mu_hat + 3 * sd_hat, 90)
    sigmas = np.linspace(0.3 * sd_hat, 3 * sd_hat, 90)
    grid = (mus, sigmas, plotting.log_likelihood_grid(X, mus, sigmas))
    mu = mu_hat - 1.5 * sd_hat if mu is None else float(mu)
    sigma = 0.6 * sd_hat if sigma is None else float(sigma)

    def draw(fig, mu, sigma):
        _fixed_layout(fig, left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.22)
        plotting.plot_log_likelihood(fig, X, mu, sigma, grid=grid)
        _few_ticks(fig)

    def describe(mu, sigma):
        ll = gaussian.log_likelihood(X, [mu], [[sigma * sigma]])
        ll_hat = gaussian.log_likelihood(X, mean, cov)
        return (f"Left: the {X.shape[0]} data points and the normal density with μ = {mu:.2f}, σ = {sigma:.2f} "
                f"(log-likelihood {ll:.1f}), the maximum-likelihood density (μ̂ = {mu_hat:.2f}, "
                f"σ̂ = {sd_hat:.2f}, log-likelihood {ll_hat:.1f}) dashed. Right: the log-likelihood surface "
                "over μ and σ with the current point and the maximum marked.")

    step = round(sd_hat / 50, 3) or 0.001
    controls = {
        "mu": _float_slider(mu, float(mus[0]), float(mus[-1]), "μ", step=step),
        "sigma": _float_slider(sigma, float(sigmas[0]), float(sigmas[-1]), "σ", step=step),
    }
    # Static page: μ every 0.75 σ̂ around μ̂, σ from 0.3 σ̂ to 2 σ̂; both include the MLE (63 frames).
    static_grid = {"mu": [mu_hat + sd_hat * 0.75 * k for k in range(-4, 5)],
                   "sigma": [sd_hat * f for f in (0.3, 0.45, 0.6, 0.8, 1.0, 1.4, 2.0)]}
    return _widget(controls, draw, figsize=(8.4, 3.4), title="Log-likelihood explorer", grid=static_grid,
                   describe=describe)


def _book_data_ch2():
    """The chapter 2 data set (also used by the benchmark)."""
    from .. import gaussian

    return gaussian.sample([2.0], [[1.5**2]], 30, rng=1)[:, 0]


BENCH_CASES = [
    ("clt_widget", clt_widget, {"n": 10}),
    ("binomial_widget", binomial_widget, {"n": 120, "p": 0.3}),
    ("covariance_widget", covariance_widget, {"sigma1": 0.8, "sigma2": 1.7, "rho": -0.4}),
    ("marginal_conditional_widget", marginal_conditional_widget, {"x1": -1.5, "rho": 0.3}),
    ("posterior_widget", posterior_widget, {"n": 20, "prior_var": 0.5, "noise_var": 2.0}),
    ("log_likelihood_widget", lambda: log_likelihood_widget(_book_data_ch2()), {"mu": 2.2, "sigma": 1.3}),
]
