"""Widgets for chapters 4-7 (mixtures, k-means, Bayes classifier, GMM and EM).

Each factory returns a :class:`~coursekit.widgets._base.FigureWidget`.  Anything expensive (a
k-means or EM run, colour quantisation for every k, a classifier's posterior on a grid, ellipse
outlines) is computed once when the widget is built.  The figure's axes and artists are also
built once (:class:`_LiveFigure`); moving a control only changes their data and renders the PNG,
which keeps each redraw within the 100 ms budget (``bench/bench_widgets.py`` times
``BENCH_CASES``).
"""

from __future__ import annotations


import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.ticker import MaxNLocator

from .. import plotting
from .._validation import check_int
from ._base import FigureWidget, Step

__all__ = [
    "mixture_sampling_widget",
    "kmeans_widget",
    "quantize_widget",
    "bayes_classifier_widget",
    "em_widget",
    "BENCH_CASES",
]


class _LiveFigure(FigureWidget):
    """A :class:`FigureWidget` whose axes and artists are built once, then only updated.

    ``build(fig)`` makes the axes and artists and returns them (any object); ``update(artists,
    **values)`` sets their data for the control values.  Clearing the figure and rebuilding
    axes, ticks and labels at every redraw (the base class's way) costs more than the redraw
    budget on its own, so only the first draw does it.
    """

    def __init__(self, controls, build, update, **kwargs):
        self._build, self._update, self.artists = build, update, None
        super().__init__(controls, self._build_and_update, **kwargs)

    def _build_and_update(self, fig, **values):
        self.artists = self._build(fig)
        self._update(self.artists, **values)

    def draw_values(self, values):
        if self.artists is None:  # first draw: the base class clears the figure and builds it
            super().draw_values(values)
        else:
            self._update(self.artists, **values)


def _slider(value, lo, hi, step, description, integer=False):
    cls = widgets.IntSlider if integer else widgets.FloatSlider
    return cls(value=value, min=lo, max=hi, step=step, description=description,
               continuous_update=False, style={"description_width": "initial"})


def _fixed_layout(fig, **adjust):
    """Use fixed margins instead of the constrained layout: the layout solver alone costs more
    than the 100 ms redraw budget on a busy machine, and these figures' margins never change."""
    # None (not "none", a placeholder engine) really removes it, so savefig also skips the
    # extra draw it does for figures with a layout engine.
    fig.set_layout_engine(None)
    fig.subplots_adjust(**adjust)


def _lean(*axes, nbins=5):
    """At most ``nbins`` ticks per axis: tick labels are most of a redraw's rendering time."""
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins))
        ax.yaxis.set_major_locator(MaxNLocator(nbins))




# --------------------------------------------------------------------------------------------
# Chapter 4: sampling from a mixture, two ways
# --------------------------------------------------------------------------------------------
# Presets for the mixture-sampling widget: each shows one of the lecture's points (a rare
# component, overlapping or far-apart components).  Seven free sliders would be 7 dimensions to
# pre-render for the static page; three controls with a few settings each are 60 frames.
MIXTURE_WEIGHTS = {
    "0.3, 0.5, 0.2": (0.3, 0.5, 0.2),
    "equal (1/3 each)": (1 / 3, 1 / 3, 1 / 3),
    "one rare: 0.49, 0.49, 0.02": (0.49, 0.49, 0.02),
    "one very rare: 0.495, 0.5, 0.005": (0.495, 0.5, 0.005),
}
MIXTURE_MEANS = {
    "-2, 1, 4 (separated)": (-2.0, 1.0, 4.0),
    "-1, 0, 1.5 (overlapping)": (-1.0, 0.0, 1.5),
    "-5, 0, 5 (far apart)": (-5.0, 0.0, 5.0),
}
MIXTURE_N = (10, 20, 100, 500, 2000)


def _preset_dropdown(presets, value, description):
    """A dropdown over ``presets`` (label -> tuple), with ``value`` added first when it is new."""
    value = tuple(float(v) for v in value)
    options = [(label, tuple(float(v) for v in preset)) for label, preset in presets.items()]
    if not any(np.allclose(value, preset) for _, preset in options):
        options.insert(0, (", ".join(f"{v:g}" for v in value), value))
    current = next(preset for _, preset in options if np.allclose(value, preset))
    return widgets.Dropdown(options=options, value=current, description=description,
                            style={"description_width": "initial"})


def mixture_sampling_widget(weights=(0.3, 0.5, 0.2), means=(-2.0, 1.0, 4.0),
                            variances=(0.5, 1.0, 0.3), n=500, rng=0):
    """Sample a 1-D three-component mixture by both lecture procedures, side by side.

    Controls: ``weights`` and ``means`` (dropdowns of settings, :data:`MIXTURE_WEIGHTS` and
    :data:`MIXTURE_MEANS`; the arguments are added as a setting when they are not one) and ``n``
    (N, the number of samples, a selection slider over :data:`MIXTURE_N` and ``n``).
    Left: ``method="categorical"`` (a uniform number against the cumulative weights for each
    point); right: ``method="proportional"`` (``n_k = round(N pi_k)``).  Each panel shows the
    histogram, the mixture density and the counts per component.  The seed is fixed, so the
    figure changes only with the controls.
    """
    from .. import mixture

    variances = np.asarray(variances, dtype=float)
    n = check_int(n, "n", minimum=1)
    if len(weights) != 3 or len(means) != 3 or len(variances) != 3:
        raise ValueError("weights, means and variances must each have 3 entries (K = 3 components)")
    if min(weights) <= 0:
        raise ValueError(f"weights must be positive, got {tuple(weights)}")
    controls = {
        "weights": _preset_dropdown(MIXTURE_WEIGHTS, weights, "weights π"),
        "means": _preset_dropdown(MIXTURE_MEANS, means, "means μ"),
        "n": widgets.SelectionSlider(options=sorted(set(MIXTURE_N) | {n}), value=n, description="N",
                                     continuous_update=False),
    }

    # The means stay in [-6, 6], so one fixed x range and histogram grid serve every state.
    x = np.linspace(-9.0, 9.0, 361)
    edges = np.linspace(-9.0, 9.0, 61)

    def params_of(weights, means):
        pi = np.asarray(weights) / np.sum(weights)
        return pi, np.asarray(means, dtype=float).reshape(-1, 1), variances.reshape(-1, 1, 1)

    def build(fig):
        _fixed_layout(fig, left=0.07, right=0.98, bottom=0.13, top=0.82, wspace=0.08)
        axes = fig.subplots(1, 2, sharex=True, sharey=True)
        panels = []
        for ax, method in zip(axes, ("categorical", "proportional")):
            # One step polygon for the histogram: far cheaper to update than 60 bars.
            hist = ax.stairs(np.zeros(len(edges) - 1), edges, fill=True, color="0.8")
            comps = [ax.plot(x, np.zeros_like(x), "--", color=plotting.cluster_color(k), lw=1.5)[0]
                     for k in range(3)]
            (total,) = ax.plot(x, np.zeros_like(x), color="black", lw=2.2)
            ax.set_xlim(x[0], x[-1])
            ax.set_xlabel("x")
            panels.append((ax, method, hist, comps, total))
        axes[0].set_ylabel("density")
        _lean(*axes, nbins=6)
        return panels

    def update(panels, weights, means, n):
        params = params_of(weights, means)
        pi = params[0]
        density = np.exp(mixture.logpdf(x, *params))
        # pi_k N(x | mu_k, s_k^2) = p(x) P(z = k | x) (Bayes' rule).
        weighted = density[:, None] * mixture.responsibilities(x, *params)
        top = 0.0
        for ax, method, hist, comps, total in panels:
            X, z = mixture.sample(*params, n, rng=rng, method=method)
            heights, _ = np.histogram(X[:, 0], bins=edges, density=True)
            hist.set_data(heights, edges)
            for k, line in enumerate(comps):
                line.set_ydata(weighted[:, k])
            total.set_ydata(density)
            counts = np.bincount(z, minlength=3)
            ax.set_title(f"{method}: counts {counts.tolist()}\n"
                         f"($N\\pi$ = {np.round(n * pi, 1).tolist()})", fontsize="small")
            top = max(top, heights.max(), density.max())
        panels[0][0].set_ylim(0.0, 1.08 * top)

    def describe(weights, means, n):
        params = params_of(weights, means)
        counts = [np.bincount(mixture.sample(*params, n, rng=rng, method=method)[1], minlength=3).tolist()
                  for method in ("categorical", "proportional")]
        return (f"Histograms of N = {n} samples from the 1-D mixture with weights "
                f"{np.round(params[0], 3).tolist()} and means {list(means)}, with the mixture density and "
                f"its weighted components: left, drawn component by component from the categorical "
                f"distribution (counts {counts[0]}); right, N times each weight, rounded, "
                f"points per component (counts {counts[1]}); N π = {np.round(n * params[0], 1).tolist()}.")

    return _LiveFigure(controls, build, update, figsize=(9.0, 3.6),
                       title="Sampling a mixture: categorical vs proportional", describe=describe)


# --------------------------------------------------------------------------------------------
# Chapter 5: k-means step by step, and colour quantisation
# --------------------------------------------------------------------------------------------
# The chapter 5 example: five round blobs, as in the lecture's k = 5 demo (the page uses the same).
KMEANS_BLOBS = dict(centers=[[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0], [3.0, 11.0]],
                    cluster_std=1.1, rng=3)


def _default_kmeans_data():
    from .. import datasets

    X, _ = datasets.blobs(n=500, **KMEANS_BLOBS)
    return X


def kmeans_widget(X=None, k=5, init="random", rng=11):
    """Step through Lloyd's iterations of k-means on 2-D data (the lecture uses k = 5).

    The run (``coursekit.kmeans.kmeans``, its ``history`` of centres) is computed once.
    Controls: the ``iteration`` slider and a ``step`` button (next iteration; wraps to 0).
    Left: points coloured by their nearest centre (step 3), the centres' Voronoi cells and
    arrows to where each centre jumps next (steps 4-5).  Right: the within-cluster sum of
    squares after each assignment, decreasing to convergence.
    """
    from .. import kmeans as km

    X = _default_kmeans_data() if X is None else np.asarray(X, dtype=float)
    result = km.kmeans(X, k, init=init, rng=rng, keep_label_history=True)
    # history[t]: centres after t iterations (t = 0 the start); label_history[t]: who owns what.
    history = [np.asarray(c, dtype=float) for c in result.history]
    labels = [np.asarray(lab) for lab in result.label_history]
    wcss = np.asarray(result.inertia_history, dtype=float)
    pad_x, pad_y = 0.05 * np.ptp(X[:, 0]), 0.05 * np.ptp(X[:, 1])
    xlim = (X[:, 0].min() - pad_x, X[:, 0].max() + pad_x)
    ylim = (X[:, 1].min() - pad_y, X[:, 1].max() + pad_y)
    xx, yy = np.meshgrid(np.linspace(*xlim, 160), np.linspace(*ylim, 160))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    regions = [(xx, yy, km.assign(grid, c).reshape(xx.shape)) for c in history]

    iteration = _slider(0, 0, len(history) - 1, 1, "iteration", integer=True)
    controls = {"iteration": iteration}

    palette = np.array([to_rgb(plotting.cluster_color(j)) for j in range(k)])

    def build(fig):
        _fixed_layout(fig, left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.25)
        ax, ax_obj = fig.subplots(1, 2, width_ratios=[1.6, 1])
        points = plotting.plot_kmeans_state(ax, X, history[0], labels[0], xlim=xlim, ylim=ylim,
                                            regions_grid=regions[0])
        region_image, centres = ax.images[0], ax.collections[-1]
        ax_obj.plot(np.arange(len(wcss)), wcss, "o-", color="0.6", ms=3)
        (marker,) = ax_obj.plot([0], [wcss[0]], "o", color="#d62728", ms=9)
        ax_obj.set_xlabel("iteration")
        ax_obj.set_ylabel("within-cluster sum of squares")
        _lean(ax, ax_obj)
        return dict(ax=ax, ax_obj=ax_obj, image=region_image, points=points, centres=centres,
                    marker=marker, arrows=[])

    def update(a, iteration):
        a["image"].set_data(regions[iteration][2])
        a["points"].set_facecolors(palette[labels[iteration]])
        a["centres"].set_offsets(history[iteration])
        for arrow in a["arrows"]:
            arrow.remove()
        a["arrows"].clear()
        nxt = history[iteration + 1] if iteration + 1 < len(history) else None
        if nxt is not None:
            for j in range(k):
                if not np.allclose(history[iteration][j], nxt[j]):
                    a["arrows"].append(a["ax"].annotate(
                        "", xy=nxt[j], xytext=history[iteration][j], zorder=6,
                        arrowprops=dict(arrowstyle="->", color="black", lw=1.5)))
        done = " (converged)" if nxt is None else ""
        a["ax"].set_title(f"K = {k}, iteration {iteration}{done}", fontsize="medium")
        a["marker"].set_data([iteration], [wcss[iteration]])
        a["ax_obj"].set_title(f"WCSS = {wcss[iteration]:.1f}", fontsize="medium")

    def describe(iteration):
        nxt = history[iteration + 1] if iteration + 1 < len(history) else None
        if nxt is None:
            moves = "converged: no centre moves any more"
        else:
            moving = int(sum(not np.allclose(c, d) for c, d in zip(history[iteration], nxt)))
            moves = f"arrows show where {moving} of the {k} centres move next"
        return (f"k-means with k = {k} at iteration {iteration} of {len(history) - 1}: {len(X)} points coloured "
                f"by their nearest centre, the centres' ownership cells shaded, {moves}. Right: the "
                f"within-cluster sum of squares after each iteration, {wcss[iteration]:.1f} now, never increasing.")

    w = _LiveFigure(controls, build, update, figsize=(9.0, 4.0), title="k-means step by step",
                    buttons={"step": Step("iteration")}, describe=describe)
    w.history = history
    w.wcss = wcss
    return w


def quantize_widget(image=None, ks=(2, 4, 8, 16, 32), max_side=160, rng=0):
    """Quantise a photo to k colours with k-means (``coursekit.kmeans.quantize``).

    The photo (``coursekit.datasets.sample_image()`` by default) is shrunk to at most
    ``max_side`` pixels per side and quantised once for every k in ``ks`` when the widget is
    built.  Control: ``k`` (a selection slider over ``ks``).  Shows the original, the quantised
    image and its palette.
    """
    from .. import kmeans as km

    if image is None:
        from .. import datasets

        image = datasets.sample_image()
    image = np.asarray(image)
    stride = max(1, int(np.ceil(max(image.shape[:2]) / max_side)))
    small = image[::stride, ::stride, :3]
    cache = {int(k): km.quantize(small, int(k), rng=rng) for k in ks}
    k_control = widgets.SelectionSlider(options=[int(k) for k in ks], value=int(ks[len(ks) // 2]),
                                        description="colours K", continuous_update=False)

    def build(fig):
        _fixed_layout(fig, left=0.02, right=0.98, bottom=0.04, top=0.92, hspace=0.25, wspace=0.05)
        grid = fig.add_gridspec(2, 2, height_ratios=[8, 1])
        ax_o, ax_q = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        ax_p = fig.add_subplot(grid[1, :])
        ax_o.imshow(small, interpolation="nearest")
        ax_o.set_title("original", fontsize="medium")
        quantized = ax_q.imshow(small, interpolation="nearest")
        for ax in (ax_o, ax_q):
            ax.set_axis_off()
        plotting.plot_palette(ax_p, cache[k_control.value][1])
        ax_p.set_title("palette (the k cluster centres in RGB space)", fontsize="small")
        return dict(ax_q=ax_q, quantized=quantized, ax_p=ax_p, palette=ax_p.images[0])

    def update(a, k):
        quantized, palette = cache[k]
        a["quantized"].set_data(quantized)
        a["ax_q"].set_title(f"{k} colours", fontsize="medium")
        palette = np.asarray(palette, dtype=float)
        a["palette"].set_data(palette[None] / (255.0 if palette.max() > 1.0 else 1.0))
        a["palette"].set_extent((-0.5, len(palette) - 0.5, 0.5, -0.5))
        a["ax_p"].set_xlim(-0.5, len(palette) - 0.5)

    def describe(k):
        return (f"A photo ({small.shape[1]} by {small.shape[0]} pixels) next to its version with only k = {k} "
                f"colours, each pixel replaced by its k-means cluster centre; below, the palette of {k} colours.")

    w = _LiveFigure({"k": k_control}, build, update, figsize=(8.0, 3.8),
                    title="Colour quantisation with k-means", describe=describe)
    w.cache = cache
    return w


# --------------------------------------------------------------------------------------------
# Chapter 6: the Gaussian Bayes classifier's covariance switch
# --------------------------------------------------------------------------------------------
def bayes_classifier_widget(X=None, y=None, feature_names=("model year", "mpg"), grid_size=150):
    """Gaussian Bayes classifier with a covariance-structure switch (Auto MPG by default).

    For every covariance type ("full", "diag", "spherical") the classifier is fitted and its
    posterior evaluated on a grid once, at construction.  Control: ``covariance_type``
    (dropdown).  Shows the decision regions, the data and each class's 2-std ellipse; the title
    gives the training accuracy and the number of parameters.
    """
    from .. import gaussian
    from ..classifier import GaussianBayesClassifier

    if X is None:
        X, y = _auto_mpg_xy()
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    pad_x, pad_y = 0.05 * np.ptp(X[:, 0]), 0.05 * np.ptp(X[:, 1])
    xlim = (X[:, 0].min() - pad_x, X[:, 0].max() + pad_x)
    ylim = (X[:, 1].min() - pad_y, X[:, 1].max() + pad_y)
    fits = {}
    for cov_type in ("full", "diag", "spherical"):
        clf = GaussianBayesClassifier(covariance_type=cov_type).fit(X, y)
        fits[cov_type] = {
            "model": clf,
            "grid": plotting.decision_grid(clf, xlim, ylim, n=grid_size),
            "accuracy": clf.score(X, y),
            "n_parameters": clf.n_parameters(),
        }
    classes = list(fits["full"]["model"].classes_)
    y_index = np.searchsorted(np.asarray(classes), y)
    control = widgets.Dropdown(options=["full", "diag", "spherical"], value="full",
                               description="covariance")

    outlines = {t: [gaussian.ellipse(m, c, n_std=2.0).points
                    for m, c in zip(f["model"].means_, f["model"].covariances_)]
                for t, f in fits.items()}
    borders = {t: plotting.decision_boundaries(f["grid"]) for t, f in fits.items()}

    def build(fig):
        _fixed_layout(fig, left=0.1, right=0.98, bottom=0.11, top=0.93)
        ax = fig.subplots()
        plotting.plot_decision_regions(ax, fits["full"]["grid"], X, y_index, class_names=classes)
        ellipses = plotting.plot_ellipses(ax, fits["full"]["model"].means_,
                                          fits["full"]["model"].covariances_, n_std=2.0)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
        ax.legend(loc="upper left", fontsize="small", framealpha=0.8)
        _lean(ax)
        border_lines = [c for c in ax.collections if isinstance(c, LineCollection)][0]
        return dict(ax=ax, regions=ax.images[0], borders=border_lines, ellipses=ellipses)

    def update(a, covariance_type):
        fit = fits[covariance_type]
        a["regions"].set_data(np.argmax(fit["grid"][2], axis=-1))
        a["borders"].set_segments(borders[covariance_type])
        for line, points in zip(a["ellipses"], outlines[covariance_type]):
            line.set_data(points[:, 0], points[:, 1])
        a["ax"].set_title(f"{covariance_type} covariance: training accuracy {fit['accuracy']:.1%}, "
                          f"{fit['n_parameters']} parameters", fontsize="medium")

    def describe(covariance_type):
        fit = fits[covariance_type]
        return (f"Decision regions of the Gaussian Bayes classifier with {covariance_type} covariances on "
                f"{feature_names[0]} and {feature_names[1]}, the data points coloured by class "
                f"({', '.join(map(str, classes))}) and each class's 2-standard-deviation ellipse; training "
                f"accuracy {fit['accuracy']:.1%} with {fit['n_parameters']} parameters.")

    w = _LiveFigure({"covariance_type": control}, build, update, figsize=(6.5, 4.5),
                    title="Gaussian Bayes classifier: covariance structure", describe=describe)
    w.fits = fits
    return w


def _auto_mpg_xy():
    from .. import datasets

    X, y, _dropped = datasets.auto_mpg().xy(("model_year", "mpg"), "origin")
    return X, y


# --------------------------------------------------------------------------------------------
# Chapter 7: EM step by step on Old Faithful
# --------------------------------------------------------------------------------------------
def em_history(X, weights, means, covariances, max_iter=60, covariance_type="full",
               reg_covar=1e-6, tol=1e-6):
    """Run EM from the given parameters and keep every state (for the EM widget and figures).

    Each iteration is one call of the library's :func:`coursekit.mixture.em_step` (E-step,
    then M-step).  Stops after ``max_iter`` M-steps or when the log-likelihood rises by less
    than ``tol`` per point (by less than ``tol * N`` in all).

    Returns
    -------
    list of dict
        State t holds ``weights``, ``means``, ``covariances`` after t M-steps (t = 0 is the
        start), their responsibilities ``resp`` and ``log_likelihood``, the sum over the N points
        of ``log p(x_n)``.
    """
    from .. import mixture

    X = np.asarray(X, dtype=float)
    params = (np.asarray(weights, float), np.asarray(means, float), np.asarray(covariances, float))
    states = []
    for _ in range(max_iter + 1):
        step = mixture.em_step(X, *params, covariance_type=covariance_type, reg_covar=reg_covar)
        states.append({"weights": params[0], "means": params[1], "covariances": params[2],
                       "resp": step.resp, "log_likelihood": float(step.log_likelihood)})
        if len(states) > 1 and states[-1]["log_likelihood"] - states[-2]["log_likelihood"] < tol * len(X):
            break
        params = (step.weights, step.means, step.covariances)
    return states


def _default_em_start(X):
    from .. import gaussian

    _, cov = gaussian.fit_mle(X)
    # A deliberately poor start: two components near the middle of the data, both with the
    # whole data's covariance, so that the iterations visibly pull them apart (about 20 steps
    # on Old Faithful).
    means = np.array([[3.0, 60.0], [3.6, 75.0]])
    return np.array([0.5, 0.5]), means, np.array([cov, cov])


def _blend(resp):
    colors = np.array([to_rgb(plotting.cluster_color(j)) for j in range(resp.shape[1])])
    return np.clip(resp @ colors, 0.0, 1.0)


def em_widget(X=None, start=None, max_iter=60, covariance_type="full"):
    """Step through EM on Old Faithful: ellipses and the log-likelihood curve.

    The whole run is computed once (:func:`em_history`).  Controls: the ``iteration`` slider
    and a ``step`` button.  Left: the points, coloured by their responsibilities (a blend of
    the component colours), and each component's 1- and 2-std ellipses.  Right: the
    log-likelihood (sum over the points) after every iteration, the current one marked.
    """
    from .. import gaussian

    if X is None:
        from .. import datasets

        X = datasets.old_faithful().data
    X = np.asarray(X, dtype=float)
    start = _default_em_start(X) if start is None else start
    states = em_history(X, *start, max_iter=max_iter, covariance_type=covariance_type)
    lls = np.array([s["log_likelihood"] for s in states])
    colors = [_blend(s["resp"]) for s in states]
    iteration = _slider(0, 0, len(states) - 1, 1, "iteration", integer=True)
    xlim = (X[:, 0].min() - 0.5, X[:, 0].max() + 0.5)
    ylim = (X[:, 1].min() - 8, X[:, 1].max() + 8)

    n_comp = len(states[0]["weights"])
    outlines = [[[gaussian.ellipse(s["means"][j], s["covariances"][j], n_std=n_std).points
                  for n_std in (1.0, 2.0)] for j in range(n_comp)] for s in states]
    steps = np.arange(len(lls))

    def build(fig):
        _fixed_layout(fig, left=0.08, right=0.98, bottom=0.12, top=0.92, wspace=0.3)
        ax, ax_ll = fig.subplots(1, 2, width_ratios=[1.5, 1])
        points = ax.scatter(X[:, 0], X[:, 1], c=colors[0], s=12, linewidths=0)
        ellipses = [[ax.plot([], [], color=plotting.cluster_color(j), lw=2.0, ls=style)[0]
                     for style in ("-", "--")] for j in range(n_comp)]
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_xlabel("eruption (min)")
        ax.set_ylabel("waiting (min)")
        ax_ll.plot(steps, lls, "-", color="0.8")
        (done,) = ax_ll.plot([], [], "o-", color="0.3", ms=3)
        (marker,) = ax_ll.plot([], [], "o", color="#d62728", ms=9)
        ax_ll.set_xlabel("iteration")
        ax_ll.set_ylabel(r"log-likelihood $\ell(\theta)$")
        _lean(ax, ax_ll)
        return dict(ax=ax, ax_ll=ax_ll, points=points, ellipses=ellipses, done=done, marker=marker)

    def update(a, iteration):
        s = states[iteration]
        a["points"].set_facecolors(colors[iteration])
        for lines, outline in zip(a["ellipses"], outlines[iteration]):
            for line, pts in zip(lines, outline):
                line.set_data(pts[:, 0], pts[:, 1])
        a["ax"].set_title(f"iteration {iteration}: weights {np.round(s['weights'], 2).tolist()}",
                          fontsize="medium")
        a["done"].set_data(steps[:iteration + 1], lls[:iteration + 1])
        a["marker"].set_data([iteration], [lls[iteration]])
        a["ax_ll"].set_title(f"{lls[iteration]:.2f}", fontsize="medium")

    def describe(iteration):
        s = states[iteration]
        done = " (converged)" if iteration == len(states) - 1 else ""
        return (f"EM on Old Faithful at iteration {iteration} of {len(states) - 1}{done}: the eruptions coloured "
                f"by their responsibilities, each component's 1- and 2-standard-deviation ellipses, weights "
                f"{np.round(s['weights'], 2).tolist()}. Right: the log-likelihood after each iteration, "
                f"{lls[iteration]:.4g} now, never decreasing.")

    w = _LiveFigure({"iteration": iteration}, build, update, figsize=(9.0, 4.0),
                    title="EM on Old Faithful, step by step",
                    buttons={"step": Step("iteration")}, describe=describe)
    w.states = states
    return w


# (name, factory, update kwargs) for bench/bench_widgets.py: time one redraw of each widget.
BENCH_CASES = [
    ("mixture_sampling", mixture_sampling_widget, {"n": 2000, "weights": (1 / 3, 1 / 3, 1 / 3)}),
    ("kmeans_step", kmeans_widget, {"iteration": 2}),
    ("quantize", quantize_widget, {"k": 32}),
    ("bayes_classifier", bayes_classifier_widget, {"covariance_type": "diag"}),
    ("em_step", em_widget, {"iteration": 5}),
]
