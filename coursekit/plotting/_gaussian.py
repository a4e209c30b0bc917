"""Plotting for chapters 1-3 (the Gaussian, likelihood, one Gaussian is not enough).

Every helper draws on a matplotlib ``Axes`` (or ``Figure``) it is given and returns the artists
it made, so a widget can redraw cheaply and a test can read the plotted data back.  The numbers
all come from :mod:`coursekit.gaussian`; these helpers only arrange them on axes.

The ellipse and contour helpers (:func:`plot_gaussian_ellipse`, :func:`plot_eigenvectors`,
:func:`plot_density_contours`) are shared with chapters 4-7.
"""

from __future__ import annotations

import functools

import numpy as np

from .._validation import check_cov, check_int, check_mean, check_positive_float, check_rng, check_X

__all__ = [
    "covariance_2d",
    "density_grid",
    "plot_density_contours",
    "plot_gaussian_ellipse",
    "plot_eigenvectors",
    "plot_normal_pdf",
    "clt_means",
    "plot_clt",
    "plot_binomial_normal",
    "plot_covariance",
    "plot_marginal_conditional",
    "normal_posterior",
    "plot_posterior",
    "plot_affine_map",
    "log_likelihood_grid",
    "plot_log_likelihood",
    "plot_one_gaussian_fit",
    "plot_histogram_fit",
    "plot_bin_choices",
]

# Colours used consistently across chapters 1-3 (matplotlib's default cycle, named).
DATA_COLOR = "0.35"
MODEL_COLOR = "C0"
MLE_COLOR = "C3"
VMAX_COLOR = "C3"
VMIN_COLOR = "C2"


def _gaussian():
    # Imported lazily so that ``coursekit.plotting`` imports even while the library is edited.
    from .. import gaussian

    return gaussian


# -- generic helpers (also used by chapters 4-7) ----------------------------------------------
def covariance_2d(sigma1, sigma2, rho):
    r"""The 2-D covariance matrix with standard deviations and correlation.

    .. math:: \Sigma = \begin{pmatrix}\sigma_1^2 & \rho\sigma_1\sigma_2\\
              \rho\sigma_1\sigma_2 & \sigma_2^2\end{pmatrix}

    Parameters
    ----------
    sigma1, sigma2 : float
        Standard deviations of the two coordinates (> 0).
    rho : float
        Correlation, strictly between -1 and 1.

    Returns
    -------
    cov : ndarray of shape (2, 2)
    """
    sigma1 = check_positive_float(sigma1, "sigma1")
    sigma2 = check_positive_float(sigma2, "sigma2")
    if not -1.0 < float(rho) < 1.0:
        raise ValueError(f"rho must be strictly between -1 and 1, got {rho}")
    off = float(rho) * sigma1 * sigma2
    return np.array([[sigma1**2, off], [off, sigma2**2]])


def density_grid(logpdf_fn, xlim, ylim, n_grid=100):
    """Evaluate a 2-D density on a regular grid.

    Parameters
    ----------
    logpdf_fn : callable
        Maps an (m, 2) array of points to their (m,) log-densities, e.g.
        ``lambda P: gaussian.logpdf(P, mean, cov)``.
    xlim, ylim : (float, float)
        Range of the grid along each axis.
    n_grid : int
        Grid points per axis.

    Returns
    -------
    xx, yy, density : ndarrays of shape (n_grid, n_grid)
        ``density[i, j]`` is the density at ``(xx[i, j], yy[i, j])``.
    """
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    xs = np.linspace(float(xlim[0]), float(xlim[1]), n_grid)
    ys = np.linspace(float(ylim[0]), float(ylim[1]), n_grid)
    xx, yy = np.meshgrid(xs, ys)
    logp = np.asarray(logpdf_fn(np.column_stack([xx.ravel(), yy.ravel()])), dtype=float)
    return xx, yy, np.exp(logp).reshape(xx.shape)


def plot_density_contours(ax, logpdf_fn, xlim, ylim, n_grid=100, levels=8, filled=False, **kw):
    """Contours of a 2-D density given by its log-density function.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    logpdf_fn : callable
        (m, 2) points -> (m,) log-densities (see :func:`density_grid`).
    xlim, ylim : (float, float)
        Region to draw.
    n_grid : int
        Grid resolution per axis.
    levels : int or array-like
        Number of contour levels or the density values to draw.
    filled : bool
        ``contourf`` instead of ``contour``.
    **kw
        Passed to ``ax.contour`` / ``ax.contourf`` (e.g. ``cmap``, ``colors``, ``alpha``).

    Returns
    -------
    matplotlib.contour.QuadContourSet
    """
    xx, yy, density = density_grid(logpdf_fn, xlim, ylim, n_grid)
    kw.setdefault("cmap", "viridis")
    draw = ax.contourf if filled else ax.contour
    return draw(xx, yy, density, levels=levels, **kw)


def _ellipse(mean, cov, n_std):
    """:func:`coursekit.gaussian.ellipse` (eigenvalues in decreasing order, closed outline)."""
    return _gaussian().ellipse(mean, cov, n_std=n_std)


def plot_gaussian_ellipse(ax, mean, cov, n_std=2.0, **kw):
    r"""Draw the constant-density ellipse of a 2-D Gaussian.

    The ellipse is :math:`(\mathbf{x}-\boldsymbol\mu)^\top\Sigma^{-1}(\mathbf{x}-\boldsymbol\mu)
    = n_\text{std}^2`: centred at the mean, axes along the eigenvectors of :math:`\Sigma`, with
    half-lengths :math:`n_\text{std}\sqrt{\lambda_j}`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    mean : array-like of shape (2,)
    cov : array-like of shape (2, 2)
    n_std : float
        Size of the ellipse in standard deviations (Mahalanobis radius).
    **kw
        Passed to ``ax.plot`` (``color``, ``lw``, ``label``, ...).

    Returns
    -------
    matplotlib.lines.Line2D
        The closed outline; its data are the ellipse points.
    """
    mean = check_mean(mean, d=2)
    cov = check_cov(cov, d=2)
    points = _ellipse(mean, cov, n_std).points
    kw.setdefault("color", MODEL_COLOR)
    kw.setdefault("lw", 1.5)
    (line,) = ax.plot(points[:, 0], points[:, 1], **kw)
    return line


def plot_eigenvectors(ax, mean, cov, n_std=1.0, labels=True, colors=(VMAX_COLOR, VMIN_COLOR), avoid=()):
    r"""Draw the ellipse's semi-axes :math:`n_\text{std}\sqrt{\lambda}\,\mathbf{v}` as arrows.

    The long axis (largest eigenvalue) is drawn in ``colors[0]``, the short one in ``colors[1]``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    mean : array-like of shape (2,)
    cov : array-like of shape (2, 2)
    n_std : float
        Arrow length in standard deviations (1 draws :math:`\sqrt{\lambda}\,\mathbf{v}`).
    labels : bool
        Write :math:`\sqrt{\lambda_{\max}}\,\mathbf{v}_{\max}` etc. next to the arrows.
    colors : (str, str)
    avoid : sequence of matplotlib.lines.Line2D
        Lines the labels must not cover (e.g. the ellipses).  Each label goes beyond its arrow's
        tip; when there it would cover one of these lines, the other label or leave the axes, it
        goes further out along the arrow, past the lines.  The place is chosen when the figure is
        drawn, from the labels' real sizes on screen.

    Returns
    -------
    list of matplotlib.text.Annotation
        ``[long, short]``; each arrow runs from ``ann.xyann`` (the mean) to ``ann.xy`` (the tip).
    """
    mean = check_mean(mean, d=2)
    cov = check_cov(cov, d=2)
    geometry = _ellipse(mean, cov, n_std)
    names = (r"\max", r"\min")
    prefix = "" if n_std == 1 else f"{n_std:g}"
    arrows, texts, rays = [], [], []
    for j in range(2):
        direction = geometry.eigenvectors[:, j]
        # -v is as much an eigenvector as v: point both arrows upwards (or right), so the two
        # labels sit on opposite sides instead of on top of each other.
        if direction[1] < -1e-12 or (abs(direction[1]) <= 1e-12 and direction[0] < 0):
            direction = -direction
        tip = mean + geometry.half_lengths[j] * direction
        ann = ax.annotate(
            "", xy=tuple(tip), xytext=tuple(mean),
            arrowprops=dict(arrowstyle="-|>", color=colors[j], lw=2, shrinkA=0, shrinkB=0),
        )
        arrows.append(ann)
        if labels:
            label = rf"${prefix}\sqrt{{\lambda_{{{names[j]}}}}}\,\mathbf{{v}}_{{{names[j]}}}$"
            # A thin white outline keeps the label legible over the samples without hiding lines
            # behind it (a filled box would); the artist below places it when the figure is drawn.
            text = ax.text(*tip, label, color=colors[j], fontsize=9, clip_on=False,
                           path_effects=[_patheffects().withStroke(linewidth=2, foreground="white")])
            text.set_in_layout(False)
            texts.append(text)
            rays.append((mean, tip))
    if texts:
        ax.add_artist(_eigen_labels_class()(texts, rays, list(avoid)))
    return arrows


def _patheffects():
    from matplotlib import patheffects

    return patheffects


@functools.cache
def _eigen_labels_class():
    """The artist that places eigenvector labels (defined on first use: matplotlib is imported
    only when something is drawn)."""
    from matplotlib.artist import Artist

    class EigenLabels(Artist):
        """Places the eigenvector labels when the figure is drawn, before the labels are drawn.

        Each label goes just beyond its arrow's tip, aligned away from it.  If there its box would
        cover one of the ``avoid`` lines or an arrow, overlap a label placed before it or leave the
        axes, the next place out along the arrow is tried: just past each ``avoid`` line (for an
        ellipse centred on the arrow's start, the box then lies beyond the ellipse's tangent).
        When no place is clear, the one covering the fewest line points is kept.  Drawn at a zorder
        just below the texts' own (3), so the axes draws it first.
        """

        zorder = 2.99

        def __init__(self, texts, rays, avoid):
            super().__init__()
            self.texts, self.rays, self.avoid = texts, rays, avoid
            self.set_in_layout(False)

        def draw(self, renderer):
            ax = self.axes
            to_display = ax.transData
            frame = ax.bbox
            # The lines' points, four per segment, so that a box a line crosses holds one of them.
            lines = []
            for line in self.avoid:
                pts = to_display.transform(np.column_stack(line.get_data()))
                t = np.linspace(0.0, 1.0, 4, endpoint=False)[:, None, None]
                lines.append((pts[:-1] + t * (pts[1:] - pts[:-1])).reshape(-1, 2) if len(pts) > 1 else pts)
            # The arrows as dense point lists, so a box across a shaft is seen.
            shafts = [to_display.transform(np.linspace(start, tip, 24)) for start, tip in self.rays]
            taken = []
            for text, (start, tip) in zip(self.texts, self.rays):
                start_px, tip_px = to_display.transform([start, tip])
                step = tip_px - start_px
                length = float(np.hypot(*step))
                if length < 1e-9:
                    direction = np.array([0.0, 1.0])
                else:
                    direction = step / length
                # Distances (pixels from the arrow's start) where a label can go: the tip, then just
                # past the furthest reach of each line along the arrow's direction, then half-way
                # along the arrow.  At each, the label goes on along the arrow, or beside it (on
                # either side).
                reaches = sorted({float(np.max((pts - start_px) @ direction)) for pts in lines if len(pts)})
                stops = [length] + [r for r in reaches if r > length] + [0.5 * length]
                normal = np.array([-direction[1], direction[0]])
                gap = renderer.points_to_pixels(4.0)
                best = None
                for rank, (stop, side) in enumerate((stop, side) for stop in stops
                                                    for side in (direction, normal, -normal)):
                    anchor = start_px + stop * direction + gap * side
                    text.set_horizontalalignment("left" if side[0] > 0.3 else "right" if side[0] < -0.3 else "center")
                    text.set_verticalalignment("bottom" if side[1] > 0.3 else "top" if side[1] < -0.3 else "center")
                    text.set_position(to_display.inverted().transform(anchor))
                    box = text.get_window_extent(renderer).padded(renderer.points_to_pixels(1.0))
                    hits = [int(np.count_nonzero((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
                                                 & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)))
                            for pts in lines + shafts]
                    covered = sum(hits)
                    # Crossing a line listed later in ``avoid`` (for plot_covariance: the outer,
                    # dashed ellipse) is worse than crossing an earlier one or an arrow.
                    crossed = tuple(h > 0 for h in reversed(hits[:len(lines)]))
                    overflow = (max(0.0, frame.x0 - box.x0) + max(0.0, box.x1 - frame.x1)
                                + max(0.0, frame.y0 - box.y0) + max(0.0, box.y1 - frame.y1))
                    clash = any(box.overlaps(other) for other in taken)
                    score = (overflow > 0, clash, crossed, covered > 0, overflow, covered, rank)
                    if best is None or score < best[0]:
                        best = (score, anchor, box, text.get_horizontalalignment(), text.get_verticalalignment())
                    if not (score[0] or score[1] or any(crossed) or score[3]):
                        break
                text.set_horizontalalignment(best[3])
                text.set_verticalalignment(best[4])
                text.set_position(to_display.inverted().transform(best[1]))
                taken.append(best[2])
            self.stale = False

    return EigenLabels


def plot_normal_pdf(ax, mean, var, x=None, **kw):
    """Draw the 1-D normal density :math:`\\mathcal{N}(x \\mid \\mu, \\sigma^2)`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    mean, var : float
        Mean and variance (not standard deviation).
    x : array-like of shape (m,), optional
        Where to evaluate; default mean +- 4 standard deviations.
    **kw
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib.lines.Line2D
    """
    var = check_positive_float(var, "var")
    if x is None:
        sd = np.sqrt(var)
        x = np.linspace(mean - 4 * sd, mean + 4 * sd, 200)
    x = np.asarray(x, dtype=float)
    y = _gaussian().pdf(x[:, None], [mean], [[var]])
    kw.setdefault("color", MODEL_COLOR)
    (line,) = ax.plot(x, y, **kw)
    return line


# -- chapter 1: the central limit theorem --------------------------------------------------------
def clt_means(n, n_repeats=20_000, rng=0):
    """Means of ``n`` iid Uniform(0, 1) variables, repeated ``n_repeats`` times.

    Parameters
    ----------
    n : int
        How many uniforms are averaged (N in the text).
    n_repeats : int
        How many such means are drawn.
    rng : Generator, int or None

    Returns
    -------
    means : ndarray of shape (n_repeats,)
    """
    n = check_int(n, "n", minimum=1)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    rng = check_rng(rng)
    return rng.random((n_repeats, n)).mean(axis=1)


def plot_clt(ax, n, n_repeats=20_000, rng=0, bins=60):
    r"""Histogram of the mean of ``n`` Uniform(0,1) variables with its limiting normal.

    The mean of N iid Uniform(0,1) variables has mean 1/2 and variance 1/(12N); the overlay is
    :math:`\mathcal{N}(1/2, 1/(12N))`.

    Returns
    -------
    dict
        ``"hist"`` (the histogram patch), ``"normal"`` (the density line), ``"means"`` (the data).
    """
    means = clt_means(n, n_repeats, rng)
    counts, edges = np.histogram(means, bins=bins, range=(0.0, 1.0), density=True)
    hist = ax.stairs(counts, edges, fill=True, color=DATA_COLOR, alpha=0.45, label=f"means of N = {n} uniforms")
    normal = plot_normal_pdf(ax, 0.5, 1.0 / (12 * n), x=np.linspace(0, 1, 300), lw=2,
                             label=r"$\mathcal{N}(\frac{1}{2}, \frac{1}{12N})$")
    ax.set_xlim(0, 1)
    ax.set_xlabel(r"$\bar u = \frac{1}{N} \sum_{i=1}^N u_i$")
    ax.set_ylabel("density")
    ax.set_title(f"N = {n}", fontsize=11)
    return {"hist": hist, "normal": normal, "means": means}


def plot_binomial_normal(ax, n, p):
    r"""The Binomial(N, p) pmf with the normal :math:`\mathcal{N}(Np, Np(1-p))` overlaid.

    Returns
    -------
    dict
        ``"pmf"`` (a ``LineCollection`` of stems), ``"normal"`` (the density line).
    """
    from scipy import stats

    n = check_int(n, "n", minimum=1)
    p = float(p)
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p}")
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, p)
    stems = ax.vlines(k, 0, pmf, color=DATA_COLOR, lw=max(1.0, 120.0 / (n + 1)), label=f"Binomial(N = {n}, p = {p:.2f})")
    mean, var = n * p, n * p * (1 - p)
    lo, hi = max(-0.5, mean - 5 * np.sqrt(var)), min(n + 0.5, mean + 5 * np.sqrt(var))
    normal = plot_normal_pdf(ax, mean, var, x=np.linspace(lo, hi, 300), lw=2,
                             label=r"$\mathcal{N}(Np,\ Np(1-p))$")
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 1.15 * max(pmf.max(), normal.get_ydata().max()))
    ax.set_xlabel("number of heads $k$")
    ax.set_ylabel("probability")
    return {"pmf": stems, "normal": normal}


# -- chapter 1: covariance ellipses, marginals, conditionals, posteriors -------------------------
def plot_covariance(ax, cov, mean=(0.0, 0.0), n_samples=300, rng=0, n_stds=(1.0, 2.0), lim=None):
    r"""Samples of a 2-D Gaussian, its 1- and 2-sigma ellipses and its eigenvectors.

    Returns
    -------
    dict
        ``"samples"`` (PathCollection), ``"ellipses"`` (list of Line2D), ``"arrows"`` (the two
        eigenvector arrows :math:`\sqrt{\lambda}\mathbf{v}`).
    """
    g = _gaussian()
    mean = check_mean(mean, d=2)
    cov = check_cov(cov, d=2)
    X = g.sample(mean, cov, n_samples, rng=rng)
    samples = ax.scatter(X[:, 0], X[:, 1], s=6, color=DATA_COLOR, alpha=0.5, lw=0)
    ellipses = [
        plot_gaussian_ellipse(ax, mean, cov, n_std=s, lw=1.5, ls="-" if s == 1 else "--",
                              label=f"{s:g} std" + ("" if s == 1 else " (dashed)"))
        for s in n_stds
    ]
    arrows = plot_eigenvectors(ax, mean, cov, n_std=1.0, avoid=ellipses)
    if lim is None:
        lim = 1.1 * max(n_stds) * np.sqrt(np.max(np.diag(cov))) + np.abs(mean).max()
    ax.set_xlim(mean[0] - lim, mean[0] + lim) if np.ndim(lim) == 0 else ax.set_xlim(*lim)
    ax.set_ylim(mean[1] - lim, mean[1] + lim) if np.ndim(lim) == 0 else ax.set_ylim(*lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return {"samples": samples, "ellipses": ellipses, "arrows": arrows}


def plot_marginal_conditional(fig, mean, cov, x1, lim=4.0, n_grid=160):
    r"""A 2-D Gaussian with its marginal :math:`p(x_1)` and the conditional :math:`p(x_2\mid x_1)`.

    Numerical quantities (integrating the joint density down each column; renormalising the
    slice at ``x1``) are drawn as filled shapes, the closed forms from
    :func:`coursekit.gaussian.marginal` and :func:`coursekit.gaussian.conditional` as lines, so
    the figure shows they agree.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An empty figure; three axes are added.
    mean : array-like of shape (2,)
    cov : array-like of shape (2, 2)
    x1 : float
        Position of the slice.
    lim : float
        Half-width of the plotted square around the mean (in units of the coordinates).
    n_grid : int

    Returns
    -------
    dict
        Axes ``"joint"``, ``"marginal"``, ``"conditional"``; lines ``"slice"``,
        ``"marginal_formula"``, ``"conditional_formula"``, ``"conditional_numeric"``.
    """
    g = _gaussian()
    mean = check_mean(mean, d=2)
    cov = check_cov(cov, d=2)
    grid = fig.add_gridspec(2, 2, width_ratios=(3, 1.2), height_ratios=(1.2, 3))
    # Not shared axes: limits are set explicitly, and sharing doubles the tick work of a redraw.
    ax = fig.add_subplot(grid[1, 0])
    ax_m = fig.add_subplot(grid[0, 0])
    ax_c = fig.add_subplot(grid[1, 1])
    xlim = (mean[0] - lim, mean[0] + lim)
    ylim = (mean[1] - lim, mean[1] + lim)
    xx, yy, dens = density_grid(lambda P: g.logpdf(P, mean, cov), xlim, ylim, n_grid)
    ax.contourf(xx, yy, dens, levels=10, cmap="Blues")
    (slice_line,) = ax.plot([x1, x1], ylim, color=MLE_COLOR, lw=2)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")

    xs, ys = xx[0], yy[:, 0]
    dy, dx = ys[1] - ys[0], xs[1] - xs[0]
    # Marginal: integrate the joint down each column (sum over x2 times the cell height).
    ax_m.fill_between(xs, dens.sum(axis=0) * dy, color="C0", alpha=0.3, lw=0)
    m_mean, m_cov = g.marginal(mean, cov, [0])
    # No legend (slow to redraw in a widget): shaded = column integrals, line = formula.
    marginal_line = plot_normal_pdf(ax_m, m_mean[0], m_cov[0, 0], x=xs, color="C0", lw=2)
    ax_m.set_ylabel("$p(x_1)$")
    ax_m.set_xlim(*xlim)
    ax_m.set_xticks([])
    ax_m.set_ylim(0, None)
    ax_m.locator_params(axis="y", nbins=3)

    # Conditional: the joint along the vertical line x1 = const, renormalised to integrate to 1.
    slice_dens = np.exp(g.logpdf(np.column_stack([np.full_like(ys, x1), ys]), mean, cov))
    slice_dens /= slice_dens.sum() * dy
    cond_numeric = ax_c.fill_betweenx(ys, slice_dens, color=MLE_COLOR, alpha=0.3, lw=0)
    c_mean, c_cov = g.conditional(mean, cov, [0], [x1])
    cond_y = g.pdf(ys[:, None], c_mean, c_cov)
    (cond_line,) = ax_c.plot(cond_y, ys, color=MLE_COLOR, lw=2)
    ax_c.set_xlabel(f"p(x₂ | x₁ = {x1:.2f})")
    ax_c.set_ylim(*ylim)
    ax_c.set_yticks([])
    ax_c.locator_params(axis="x", nbins=3)
    ax_c.set_xlim(0, None)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return {
        "joint": ax, "marginal": ax_m, "conditional": ax_c, "slice": slice_line,
        "marginal_formula": marginal_line, "conditional_formula": cond_line,
        "conditional_numeric": cond_numeric, "conditional_mean": float(c_mean[0]),
        "conditional_var": float(c_cov[0, 0]),
    }


def normal_posterior(prior_mean, prior_var, noise_var, x):
    r"""Posterior of an unknown mean :math:`\theta` from noisy observations, via conditioning.

    Model: :math:`\theta \sim \mathcal{N}(\mu_0, \tau^2)` and, given :math:`\theta`, the
    observations :math:`x_i = \theta + \varepsilon_i` with :math:`\varepsilon_i \sim
    \mathcal{N}(0, \sigma^2)` iid.  Then :math:`(\theta, x_1, \dots, x_n)` is jointly Gaussian
    (an affine map of independent Gaussians) and the posterior :math:`p(\theta \mid x)` is the
    conditional of that joint, computed with :func:`coursekit.gaussian.conditional`.

    Parameters
    ----------
    prior_mean, prior_var : float
        :math:`\mu_0` and :math:`\tau^2`.
    noise_var : float
        :math:`\sigma^2`.
    x : array-like of shape (N,)
        The observations.

    Returns
    -------
    post_mean, post_var : float
    """
    prior_var = check_positive_float(prior_var, "prior_var")
    noise_var = check_positive_float(noise_var, "noise_var")
    x = check_X(x, name="x")[:, 0]
    n = x.shape[0]
    joint_mean = np.full(n + 1, float(prior_mean))
    # Cov(theta, x_i) = tau^2, Cov(x_i, x_j) = tau^2 + sigma^2 [i = j].
    joint_cov = np.full((n + 1, n + 1), prior_var) + noise_var * np.diag(np.r_[0.0, np.ones(n)])
    post_mean, post_cov = _gaussian().conditional(joint_mean, joint_cov, list(range(1, n + 1)), x)
    return float(post_mean[0]), float(post_cov[0, 0])


def plot_posterior(ax, prior_mean, prior_var, noise_var, x, theta=None):
    r"""Prior, likelihood (normalised in :math:`\theta`) and posterior of a Gaussian mean.

    Returns
    -------
    dict
        Lines ``"prior"``, ``"likelihood"``, ``"posterior"``; floats ``"post_mean"``, ``"post_var"``.
    """
    x = check_X(x, name="x")[:, 0]
    n = x.shape[0]
    post_mean, post_var = normal_posterior(prior_mean, prior_var, noise_var, x)
    if theta is None:
        sd = np.sqrt(prior_var)
        theta = np.linspace(min(prior_mean - 4 * sd, x.min() - 1), max(prior_mean + 4 * sd, x.max() + 1), 400)
    # As a function of theta, prod_i N(x_i | theta, s^2) is proportional to N(theta | xbar, s^2 / n).
    prior = plot_normal_pdf(ax, prior_mean, prior_var, x=theta, color="C0", lw=2, label=r"prior $p(\theta)$")
    like = plot_normal_pdf(ax, x.mean(), noise_var / n, x=theta, color="C1", lw=2, ls="--",
                           label=r"likelihood $p(x \mid \theta)$ (normalised)")
    post = plot_normal_pdf(ax, post_mean, post_var, x=theta, color="C3", lw=2.5, label=r"posterior $p(\theta \mid x)$")
    ax.plot(x, np.zeros_like(x), "|", color="k", ms=12, label="observations")
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, frameon=False)
    return {"prior": prior, "likelihood": like, "posterior": post, "post_mean": post_mean, "post_var": post_var}


def plot_affine_map(axes, A, b, n_samples=400, rng=0, n_std=2.0):
    r"""Samples of :math:`\mathbf{z} \sim \mathcal{N}(\mathbf{0}, I)` and of :math:`A\mathbf{z} + \mathbf{b}`.

    The right panel's ellipse is the predicted :math:`\mathcal{N}(\mathbf{b}, AA^\top)`, drawn over
    the transformed samples: an affine map of a Gaussian is Gaussian.

    Parameters
    ----------
    axes : (Axes, Axes)
    A : array-like of shape (2, 2)
    b : array-like of shape (2,)

    Returns
    -------
    dict
        ``"Z"``, ``"Y"`` (the samples), ``"mean"``, ``"cov"`` (the predicted parameters).
    """
    g = _gaussian()
    A = np.asarray(A, dtype=float)
    b = check_mean(b, d=2)
    if A.shape != (2, 2):
        raise ValueError(f"A must have shape (2, 2), got {A.shape}")
    Z = g.sample(np.zeros(2), np.eye(2), n_samples, rng=rng)
    Y = Z @ A.T + b
    mean, cov = A @ np.zeros(2) + b, A @ A.T
    ax_z, ax_y = axes
    ax_z.scatter(Z[:, 0], Z[:, 1], s=6, color=DATA_COLOR, alpha=0.5, lw=0)
    plot_gaussian_ellipse(ax_z, np.zeros(2), np.eye(2), n_std=n_std, label=f"{n_std:g} std")
    ax_z.set_title(r"$\mathbf{z} \sim \mathcal{N}(\mathbf{0}, I)$")
    ax_y.scatter(Y[:, 0], Y[:, 1], s=6, color=DATA_COLOR, alpha=0.5, lw=0)
    plot_gaussian_ellipse(ax_y, mean, cov, n_std=n_std, color=MLE_COLOR,
                          label=rf"{n_std:g} std of $\mathcal{{N}}(\mathbf{{b}}, AA^\top)$")
    ax_y.set_title(r"$\mathbf{y} = A\mathbf{z} + \mathbf{b}$")
    for ax, name in zip(axes, "zy"):
        ax.set_xlabel(f"${name}_1$")
        ax.set_ylabel(f"${name}_2$")
        ax.set_aspect("equal")
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    return {"Z": Z, "Y": Y, "mean": mean, "cov": cov}


# -- chapter 2: the log-likelihood ----------------------------------------------------------------
def log_likelihood_grid(x, mus, sigmas):
    r"""The log-likelihood :math:`\ell(\mu, \sigma)` of 1-D data on a grid of parameters.

    Parameters
    ----------
    x : array-like of shape (N,)
    mus : array-like of shape (a,)
    sigmas : array-like of shape (b,)
        Standard deviations (> 0).

    Returns
    -------
    ll : ndarray of shape (b, a)
        ``ll[i, j]`` is :func:`coursekit.gaussian.log_likelihood` at ``(mus[j], sigmas[i])``.
    """
    g = _gaussian()
    X = check_X(x, name="x")
    mus = np.asarray(mus, dtype=float)
    sigmas = np.asarray(sigmas, dtype=float)
    # N(x | mu, s^2) = N(x - mu | 0, s^2): one logpdf call per sigma covers every mu at once.
    shifted = (X[:, 0][None, :] - mus[:, None]).ravel()
    return np.array([g.logpdf(shifted, [0.0], [[s * s]]).reshape(mus.size, -1).sum(axis=1) for s in sigmas])


def plot_log_likelihood(fig, x, mu, sigma, grid=None):
    r"""Data with a candidate normal density (left) and the log-likelihood surface (right).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        An empty figure; two axes are added.
    x : array-like of shape (N,)
        The data set.
    mu, sigma : float
        The candidate parameters (sigma is the standard deviation).
    grid : (mus, sigmas, ll), optional
        A precomputed :func:`log_likelihood_grid` (widgets compute it once).

    Returns
    -------
    dict
        ``"density"`` (Line2D of the candidate density), ``"current"`` and ``"mle"`` (the markers
        on the surface), ``"ll"`` (the log-likelihood at (mu, sigma)), ``"mle_params"``.
    """
    g = _gaussian()
    X = check_X(x, name="x")
    xs = X[:, 0]
    sigma = check_positive_float(sigma, "sigma")
    mle_mean, mle_cov = g.fit_mle(X)
    mu_hat, sigma_hat = float(mle_mean[0]), float(np.sqrt(mle_cov[0, 0]))
    if grid is None:
        spread = max(3 * sigma_hat, 1e-3)
        mus = np.linspace(mu_hat - spread, mu_hat + spread, 60)
        sigmas = np.linspace(0.3 * sigma_hat, 3 * sigma_hat, 60)
        grid = (mus, sigmas, log_likelihood_grid(X, mus, sigmas))
    mus, sigmas, ll_grid = grid
    ll = g.log_likelihood(X, [mu], [[sigma * sigma]])
    ll_hat = g.log_likelihood(X, mle_mean, mle_cov)

    ax, ax_ll = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.25, 1)})
    lo, hi = min(xs.min(), mu - 3 * sigma), max(xs.max(), mu + 3 * sigma)
    grid_x = np.linspace(lo - 0.5 * sigma_hat, hi + 0.5 * sigma_hat, 300)
    plot_normal_pdf(ax, mu_hat, sigma_hat**2, x=grid_x, color=MLE_COLOR, lw=1.5, ls="--",
                    label=f"MLE: μ = {mu_hat:.2f}, σ = {sigma_hat:.2f}")
    # Changing numbers are plain (unicode) text: re-parsing mathtext on every redraw is slow.
    density = plot_normal_pdf(ax, mu, sigma**2, x=grid_x, lw=2, label=f"μ = {mu:.2f}, σ = {sigma:.2f}")
    ax.plot(xs, np.zeros_like(xs), "|", color="k", ms=14)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    # The title does the legend's job (a legend is the slowest artist to redraw in a widget).
    ax.set_title(f"solid: μ = {mu:.2f}, σ = {sigma:.2f}, ℓ = {ll:.1f}\n"
                 f"dashed (MLE): μ = {mu_hat:.2f}, σ = {sigma_hat:.2f}, ℓ = {ll_hat:.1f}", fontsize=10)

    # Clip the surface from below so the contours near the maximum are visible.
    levels = ll_hat - np.array([40.0, 20.0, 10.0, 5.0, 2.0, 0.5])
    ax_ll.imshow(np.maximum(ll_grid, ll_hat - 60), origin="lower", aspect="auto", cmap="viridis",
                 extent=(mus[0], mus[-1], sigmas[0], sigmas[-1]), interpolation="nearest")
    ax_ll.contour(mus, sigmas, ll_grid, levels=np.sort(levels), colors="w", linewidths=0.6)
    (mle_marker,) = ax_ll.plot([mu_hat], [sigma_hat], "*", color=MLE_COLOR, ms=14, mec="w", label="MLE")
    (current,) = ax_ll.plot([mu], [sigma], "o", color="w", ms=8, mec="k", label=r"$(\mu, \sigma)$")
    ax_ll.set_xlim(mus[0], mus[-1])
    ax_ll.set_ylim(sigmas[0], sigmas[-1])
    ax_ll.set_xlabel(r"$\mu$")
    ax_ll.set_ylabel(r"$\sigma$")
    # No legend here (legends are the slowest artist to redraw): the text names the star and dot.
    ax_ll.set_title(r"log-likelihood $\ell(\mu, \sigma)$: ★ MLE, ○ $(\mu, \sigma)$", fontsize=11)
    return {"density": density, "current": current, "mle": mle_marker, "ll": float(ll),
            "mle_params": (mu_hat, sigma_hat)}


# -- chapter 3: one Gaussian is not enough --------------------------------------------------------
def plot_one_gaussian_fit(ax, X, n_stds=(1.0, 2.0, 3.0), labels=("$x_1$", "$x_2$")):
    """Scatter 2-D data with the single maximum-likelihood Gaussian's ellipses and mean.

    Returns
    -------
    dict
        ``"mean"``, ``"cov"`` (the fit), ``"ellipses"`` (Line2D list), ``"mean_marker"``.
    """
    g = _gaussian()
    X = check_X(X, min_samples=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns, got {X.shape[1]}")
    mean, cov = g.fit_mle(X)
    ax.scatter(X[:, 0], X[:, 1], s=10, color=DATA_COLOR, alpha=0.6, lw=0, label="data")
    stds = ", ".join(f"{s:g}" for s in n_stds)
    ellipses = [plot_gaussian_ellipse(ax, mean, cov, n_std=s, color=MODEL_COLOR, lw=1.5,
                                      alpha=1.0 - 0.25 * i, label=f"{stds} std" if i == 0 else None)
                for i, s in enumerate(n_stds)]
    (marker,) = ax.plot(*mean, "X", color=MLE_COLOR, ms=12, mec="w", label=r"fitted mean $\hat{\mu}$")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return {"mean": mean, "cov": cov, "ellipses": ellipses, "mean_marker": marker}


def plot_histogram_fit(ax, x, bins=30, curves=None, fit_gaussian=True, xlabel="$x$"):
    """Histogram of 1-D data with the maximum-likelihood Gaussian (and other densities) overlaid.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array-like of shape (N,)
    bins : int
    curves : dict[str, callable], optional
        Label -> density function of an (m,) array of points, drawn as extra lines (e.g. fitted
        mixtures: ``lambda t: np.exp(mixture.logpdf(t, ...))``).
    fit_gaussian : bool
        Overlay the single Gaussian fitted by :func:`coursekit.gaussian.fit_mle`, with its mean.
    xlabel : str

    Returns
    -------
    dict
        ``"mean"``, ``"var"`` (the single-Gaussian fit, or None), ``"gaussian"`` (its Line2D or None),
        ``"curves"`` (Line2D list), ``"hist"`` (the histogram patch).
    """
    g = _gaussian()
    X = check_X(x, name="x", min_samples=2)
    xs = X[:, 0]
    counts, edges = np.histogram(xs, bins=check_int(bins, "bins", minimum=1), density=True)
    hist = ax.stairs(counts, edges, fill=True, color=DATA_COLOR, alpha=0.4, label="data (histogram)")
    pad = 0.1 * (edges[-1] - edges[0])
    grid = np.linspace(edges[0] - pad, edges[-1] + pad, 400)
    out = {"mean": None, "var": None, "gaussian": None, "curves": [], "hist": hist}
    if fit_gaussian:
        mean, cov = g.fit_mle(X)
        out["mean"], out["var"] = float(mean[0]), float(cov[0, 0])
        out["gaussian"] = plot_normal_pdf(ax, out["mean"], out["var"], x=grid, lw=2, color=MODEL_COLOR,
                                          label="one Gaussian (MLE)")
        ax.axvline(out["mean"], color=MLE_COLOR, lw=1.5, ls=":", label=r"its mean $\hat\mu$")
    for i, (label, density) in enumerate((curves or {}).items()):
        (line,) = ax.plot(grid, density(grid), lw=2, color=f"C{i + 1}", label=label)
        out["curves"].append(line)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    return out


def plot_bin_choices(axes, x, bins=(6, 15, 40), xlabel="$x$"):
    """The same 1-D data as histograms with different numbers of bins (how many bumps?).

    Returns
    -------
    list of ndarray
        The histogram densities, one per axes.
    """
    X = check_X(x, name="x")
    heights = []
    for ax, b in zip(axes, bins):
        counts, edges = np.histogram(X[:, 0], bins=check_int(b, "bins", minimum=1), density=True)
        ax.stairs(counts, edges, fill=True, color=DATA_COLOR, alpha=0.55)
        ax.set_title(f"{b} bins")
        ax.set_xlabel(xlabel)
        heights.append(counts)
    axes[0].set_ylabel("density")
    return heights
