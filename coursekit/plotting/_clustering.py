"""Plotting for chapters 4-7 (mixtures, k-means, Bayes classifier, GMM and EM).

Every helper draws on a matplotlib ``Axes`` it is given (no pyplot state), so the same code
serves the book's static figures and the widgets' headless figures.  The numbers come from the
library (``coursekit.mixture``, ``coursekit.kmeans``, ...); these helpers only draw them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, to_rgba

from ._gaussian import density_grid, plot_gaussian_ellipse

__all__ = [
    "cluster_color",
    "scatter_labels",
    "plot_mixture_1d",
    "mixture_density_grid",
    "plot_mixture_surface",
    "plot_mixture_contour",
    "plot_cumulative_weights",
    "plot_ellipses",
    "plot_kmeans_state",
    "plot_quantization_1d",
    "plot_palette",
    "decision_grid",
    "decision_boundaries",
    "plot_decision_regions",
    "plot_posterior_map",
    "plot_loglik_curve",
    "plot_information_criteria",
    "plot_bic_grid",
    "match_labels",
    "responsibility_colors",
    "scatter_responsibilities",
    "plot_em_state",
]

# One colour per cluster/component/class, the same in every figure of chapters 4-7.
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def cluster_color(k):
    """The colour of cluster (component, class) ``k``; cycles after ten."""
    return _COLORS[int(k) % len(_COLORS)]


def match_labels(labels, reference, return_mapping=False):
    """Renumber cluster ``labels`` so that they agree as much as possible with ``reference``.

    Cluster numbers are arbitrary (k-means and EM return them in whatever order the start gave);
    to colour found clusters like the true groups, or to compare two fits, each found cluster is
    given the reference label it shares most points with, one-to-one: the assignment that
    maximises the number of agreeing points (Hungarian algorithm on the (K, K) contingency table,
    ``scipy.optimize.linear_sum_assignment``).

    Parameters
    ----------
    labels : array-like of int, shape (N,)
        Found clusters, 0 .. K-1.
    reference : array-like of int, shape (N,)
        Labels to agree with (true groups, or another fit's clusters), 0 .. K'-1.
    return_mapping : bool
        Also return ``mapping`` (K,), the new number of each found cluster: reorder per-cluster
        arrays with ``new = np.empty_like(old); new[mapping] = old`` (e.g. k-means centres, so
        that centre j keeps the colour of its points).

    Returns
    -------
    ndarray of int, shape (N,)
        ``labels`` renumbered (``mapping[labels]``).  With more found clusters than reference
        labels, the unmatched ones get the numbers K', K'+1, ... in their original order.
    mapping : ndarray of int, shape (K,)
        Only with ``return_mapping=True``.
    """
    from scipy.optimize import linear_sum_assignment

    labels = np.asarray(labels)
    reference = np.asarray(reference)
    if labels.shape != reference.shape or labels.ndim != 1:
        raise ValueError(f"labels and reference must be 1-D of the same length, got shapes "
                         f"{labels.shape} and {reference.shape}")
    for name, arr in (("labels", labels), ("reference", reference)):
        if arr.size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0):
            raise ValueError(f"{name} must be non-negative integers")
    if labels.size == 0:
        return (labels.copy(), np.arange(0)) if return_mapping else labels.copy()
    k, k_ref = int(labels.max()) + 1, int(reference.max()) + 1
    table = np.zeros((k, k_ref))
    np.add.at(table, (labels, reference), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = np.full(k, -1)
    mapping[rows] = cols
    unmatched = np.flatnonzero(mapping < 0)
    mapping[unmatched] = k_ref + np.arange(unmatched.size)
    return (mapping[labels], mapping) if return_mapping else mapping[labels]


def responsibility_colors(resp):
    """RGB colour of each point: the component colours mixed in proportion to its responsibilities.

    ``resp`` (N, K) with rows summing to one; returns (N, 3).  A point owned by one component
    gets that component's colour; a point shared half and half gets the average of two colours.
    """
    from matplotlib.colors import to_rgb

    resp = np.asarray(resp, dtype=float)
    colors = np.array([to_rgb(cluster_color(j)) for j in range(resp.shape[1])])
    return np.clip(resp @ colors, 0.0, 1.0)


def scatter_responsibilities(ax, X, resp, s=12, **kwargs):
    """Scatter 2-D points coloured by :func:`responsibility_colors`; returns the PathCollection.

    Axes without labels get $x_1$ and $x_2$, as in :func:`scatter_labels`."""
    X = np.asarray(X, dtype=float)
    _default_axis_labels(ax)
    return ax.scatter(X[:, 0], X[:, 1], c=responsibility_colors(resp), s=s, linewidths=0, **kwargs)


def plot_em_state(ax, X, weights, means, covariances, resp=None, n_stds=(1.0, 2.0), s=10):
    """One state of EM: points coloured by their responsibilities, each component's ellipses.

    ``resp`` defaults to the responsibilities of the given parameters (the E-step).  Each
    component is drawn at ``n_stds`` standard deviations (solid, then dashed) in its colour.
    """
    from .. import mixture

    if resp is None:
        resp = mixture.responsibilities(X, weights, means, covariances)
    points = scatter_responsibilities(ax, X, resp, s=s)
    for n_std, style in zip(n_stds, ("-", "--", ":")):
        plot_ellipses(ax, means, covariances, n_std=n_std, ls=style)
    return points


def _colors(labels):
    return np.array([cluster_color(k) for k in range(int(np.max(labels)) + 1)])[np.asarray(labels)]


def _as_1d_params(means, covariances):
    means = np.asarray(means, dtype=float).reshape(-1)
    variances = np.asarray(covariances, dtype=float).reshape(-1)
    if variances.shape != means.shape:
        raise ValueError("covariances must hold one variance per component for a 1-D mixture")
    return means, variances


def _default_axis_labels(ax, xlabel="$x_1$", ylabel="$x_2$"):
    """Label the axes that have no label yet, except the inner side of shared axes (no ticks there)."""
    spec = ax.get_subplotspec()
    if not ax.get_xlabel() and (len(ax.get_shared_x_axes().get_siblings(ax)) == 1 or spec is None
                                or spec.is_last_row()):
        ax.set_xlabel(xlabel)
    if not ax.get_ylabel() and (len(ax.get_shared_y_axes().get_siblings(ax)) == 1 or spec is None
                                or spec.is_first_col()):
        ax.set_ylabel(ylabel)


def scatter_labels(ax, X, labels=None, s=12, alpha=0.75, **kwargs):
    """Scatter 2-D points, coloured by ``labels`` (N,) or grey when ``labels`` is None.

    Axes without labels get $x_1$ and $x_2$ (the caller's own labels, set before or after, win).
    Returns the ``PathCollection``.
    """
    X = np.asarray(X, dtype=float)
    color = "0.45" if labels is None else _colors(labels)
    _default_axis_labels(ax)
    return ax.scatter(X[:, 0], X[:, 1], c=color, s=s, alpha=alpha, linewidths=0, **kwargs)


def plot_mixture_1d(ax, weights, means, covariances, x=None, components=True, legend=True):
    """Draw a 1-D mixture: each weighted component ``pi_k N(x | mu_k, s_k^2)`` and their sum.

    Parameters
    ----------
    weights : (K,) array
    means : (K,) or (K, 1) array
    covariances : (K,), (K, 1) or (K, 1, 1) array of variances
    x : (m,) array, optional
        Where to evaluate; defaults to mean +- 4 standard deviations of every component.

    Returns
    -------
    dict with ``"sum"`` (the Line2D of p(x)) and ``"components"`` (list of Line2D).
    """
    from .. import mixture

    weights = np.asarray(weights, dtype=float)
    mu, var = _as_1d_params(means, covariances)
    if x is None:
        sd = np.sqrt(var)
        x = np.linspace(np.min(mu - 4 * sd), np.max(mu + 4 * sd), 500)
    x = np.asarray(x, dtype=float)
    params = (weights, mu[:, None], var.reshape(-1, 1, 1))
    total = np.exp(mixture.logpdf(x[:, None], *params))
    lines = []
    if components:
        # pi_k N(x | mu_k, s_k^2) = p(x) P(z = k | x): the weighted components are the mixture
        # density times the responsibilities (Bayes' rule), one library call for all k.
        weighted = total[:, None] * mixture.responsibilities(x[:, None], *params)
        for k in range(len(weights)):
            (line,) = ax.plot(x, weighted[:, k], "--", color=cluster_color(k), lw=1.5,
                              label=rf"$\pi_{k + 1}\,\mathcal{{N}}(x\mid\mu_{k + 1},\sigma_{k + 1}^2)$")
            lines.append(line)
    (line_sum,) = ax.plot(x, total, color="black", lw=2.2, label=r"$p(x)$")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return {"sum": line_sum, "components": lines}


def mixture_density_grid(weights, means, covariances, xlim, ylim, n=150):
    """Evaluate a 2-D mixture density on an ``n x n`` grid: returns ``(xx, yy, density)``."""
    from .. import mixture

    return density_grid(lambda P: mixture.logpdf(P, weights, means, covariances), xlim, ylim, n)


def plot_mixture_surface(ax3d, weights, means, covariances, xlim, ylim, n=70, cmap="viridis",
                         elev=35.0, azim=-145.0, zlabel="p(x)"):
    """Draw a 2-D mixture density as a 3-D surface on a ``projection="3d"`` axes.

    ``elev``, ``azim``: the viewing angles (degrees).  Choose them so that no peak hides behind a
    taller one; the defaults suit the book's three-component example.  ``zlabel=None`` leaves
    the vertical axis unlabelled (say what it is in the title instead, when the axes are zoomed).
    """
    from matplotlib.ticker import MaxNLocator

    xx, yy, density = mixture_density_grid(weights, means, covariances, xlim, ylim, n=n)
    surface = ax3d.plot_surface(xx, yy, density, cmap=cmap, linewidth=0, antialiased=True,
                                rcount=n, ccount=n)
    ax3d.view_init(elev=elev, azim=azim)
    ax3d.set_xlabel("$x_1$", labelpad=6)
    ax3d.set_ylabel("$x_2$", labelpad=6)
    # Few z ticks, and the label pushed clear of their numbers.
    ax3d.zaxis.set_major_locator(MaxNLocator(4))
    if zlabel:
        ax3d.set_zlabel(zlabel, labelpad=12)
    ax3d.tick_params(axis="z", pad=6)
    return surface


def plot_mixture_contour(ax, weights, means, covariances, xlim, ylim, n=150, levels=12,
                         X=None, filled=False, cmap="viridis"):
    """Contour plot of a 2-D mixture density, optionally over the data points ``X``."""
    xx, yy, density = mixture_density_grid(weights, means, covariances, xlim, ylim, n=n)
    if X is not None:
        scatter_labels(ax, X, s=8, alpha=0.6)
    contour = (ax.contourf if filled else ax.contour)(xx, yy, density, levels=levels, cmap=cmap)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return contour


def plot_cumulative_weights(ax, weights, u=None):
    """The unit interval cut at the cumulative weights; uniform draws ``u`` marked by segment.

    Shows how a uniform number picks a component: ``z = min{k : u < c_k}``.
    """
    weights = np.asarray(weights, dtype=float)
    edges = np.concatenate([[0.0], np.cumsum(weights)])
    for k in range(len(weights)):
        ax.barh(0, weights[k], left=edges[k], height=0.5, color=cluster_color(k), alpha=0.45,
                edgecolor="black")
        ax.text((edges[k] + edges[k + 1]) / 2, 0, rf"$\pi_{k + 1}={weights[k]:.2g}$",
                ha="center", va="center", fontsize="small")
    if u is not None:
        u = np.asarray(u, dtype=float)
        # Which segment each draw lands in, read off the drawn edges (illustration only).
        z = np.searchsorted(edges[1:], u, side="right")
        ax.vlines(u, -0.25, 0.5, colors=[cluster_color(k) for k in z], lw=2)
        ax.plot(u, np.full_like(u, 0.53), "v", color="black", ms=5)
    ax.set_xticks(edges, [f"{c:.2g}" for c in edges])
    ax.set_yticks([])
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.35, 0.75)
    ax.set_xlabel(r"cumulative weights $c_k$ on $[0, 1)$")
    return ax


def plot_ellipses(ax, means, covariances, n_std=2.0, colors=None, lw=2.0, **kwargs):
    """Draw the ``n_std`` constant-density ellipse of each 2-D Gaussian (means (K, 2), covs (K, 2, 2)).

    Component ``k`` gets :func:`cluster_color` ``(k)`` unless ``colors`` is given.  Returns the
    list of Line2D (one closed outline per component).
    """
    means = np.asarray(means, dtype=float)
    covariances = np.asarray(covariances, dtype=float)
    return [plot_gaussian_ellipse(ax, means[k], covariances[k], n_std=n_std, lw=lw,
                                  color=colors[k] if colors is not None else cluster_color(k),
                                  **kwargs)
            for k in range(len(means))]


def plot_kmeans_state(ax, X, centers, labels=None, next_centers=None, regions=True,
                      xlim=None, ylim=None, regions_grid=None):
    """One state of k-means: points coloured by owner, the centres, and where they move next.

    Parameters
    ----------
    X : (N, 2) array
    centers : (K, 2) array
    labels : (N,) int array, optional
        Owner of each point (grey points when None).
    next_centers : (K, 2) array, optional
        Draws an arrow from each centre to its next position.
    regions : bool
        Shade each centre's Voronoi cell (the region of points nearest to it).
    regions_grid : tuple (xx, yy, owner), optional
        Precomputed nearest-centre map on a grid (widgets precompute it).
    """
    from .. import kmeans as km

    X = np.asarray(X, dtype=float)
    centers = np.asarray(centers, dtype=float)
    k = len(centers)
    if xlim is None:
        pad = 0.05 * np.ptp(X[:, 0])
        xlim = (X[:, 0].min() - pad, X[:, 0].max() + pad)
    if ylim is None:
        pad = 0.05 * np.ptp(X[:, 1])
        ylim = (X[:, 1].min() - pad, X[:, 1].max() + pad)
    if regions:
        if regions_grid is None:
            xx, yy = np.meshgrid(np.linspace(*xlim, 160), np.linspace(*ylim, 160))
            owner = km.assign(np.column_stack([xx.ravel(), yy.ravel()]), centers).reshape(xx.shape)
        else:
            xx, yy, owner = regions_grid
        cmap = ListedColormap([to_rgba(cluster_color(j), 0.12) for j in range(k)])
        ax.imshow(owner, origin="lower", extent=(*xlim, *ylim), cmap=cmap, vmin=-0.5,
                  vmax=k - 0.5, aspect="auto", interpolation="nearest")
    points = scatter_labels(ax, X, labels, s=10)
    ax.scatter(centers[:, 0], centers[:, 1], c=[cluster_color(j) for j in range(k)], marker="X",
               s=160, edgecolors="black", linewidths=1.2, zorder=5)
    if next_centers is not None:
        next_centers = np.asarray(next_centers, dtype=float)
        for j in range(k):
            if np.allclose(centers[j], next_centers[j]):
                continue
            ax.annotate("", xy=next_centers[j], xytext=centers[j],
                        arrowprops=dict(arrowstyle="->", color="black", lw=1.5), zorder=6)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return points


def plot_quantization_1d(ax, x, centers, bins=40):
    """A 1-D histogram cut into k buckets: centres (the codes) and bucket edges (midpoints)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    c = np.sort(np.asarray(centers, dtype=float).reshape(-1))
    edges = (c[:-1] + c[1:]) / 2
    ax.hist(x, bins=bins, color="0.75", edgecolor="white")
    for e in edges:
        ax.axvline(e, color="black", ls="--", lw=1)
    ax.plot(c, np.zeros_like(c), "^", color="#d62728", ms=10, clip_on=False, zorder=5,
            label="codes (centres)")
    ax.set_ylabel("count")
    ax.legend(loc="upper right", frameon=False, fontsize="small")
    return edges


def plot_palette(ax, palette):
    """Show a colour palette (K, 3) with values in [0, 1] or [0, 255] as a strip of swatches."""
    palette = np.asarray(palette, dtype=float)
    if palette.max() > 1.0:
        palette = palette / 255.0
    ax.imshow(palette[None, :, :], aspect="auto")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def decision_grid(model, xlim, ylim, n=200):
    """Posterior probabilities of a fitted classifier on an ``n x n`` grid.

    Returns ``(xx, yy, proba)`` with ``proba`` of shape (n, n, n_classes).
    """
    xx, yy = np.meshgrid(np.linspace(xlim[0], xlim[1], n), np.linspace(ylim[0], ylim[1], n))
    proba = model.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))
    return xx, yy, proba.reshape(xx.shape + (proba.shape[1],))


def decision_boundaries(grid):
    """The borders between decision regions of a :func:`decision_grid`, as a list of (m, 2) polylines.

    Region i's border is where ``p_i`` equals the largest other posterior; tracing that
    difference at 0 (marching squares, ``contourpy``) gives smooth borders, where contouring the
    integer argmax would give stairs.
    """
    import contourpy

    xx, yy, proba = grid
    lines = []
    for i in range(proba.shape[-1]):
        margin = proba[..., i] - np.delete(proba, i, axis=-1).max(axis=-1)
        if margin.min() < 0 < margin.max():
            generator = contourpy.contour_generator(xx, yy, margin, line_type="Separate")
            lines.extend(line for line in generator.lines(0.0) if len(line) > 1)
    return lines


def plot_decision_regions(ax, grid, X=None, y_index=None, class_names=None):
    """Shade the decision regions (argmax of the posterior) from a :func:`decision_grid`.

    ``y_index`` are the class indices (0..C-1) of the points ``X`` for colouring.
    """
    xx, yy, proba = grid
    n_classes = proba.shape[-1]
    owner = np.argmax(proba, axis=-1)
    cmap = ListedColormap([to_rgba(cluster_color(j), 0.25) for j in range(n_classes)])
    extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
    image = ax.imshow(owner, origin="lower", extent=extent, cmap=cmap, vmin=-0.5,
                      vmax=n_classes - 0.5, aspect="auto", interpolation="nearest")
    ax.add_collection(LineCollection(decision_boundaries(grid), colors="black", linewidths=1))
    if X is not None:
        X = np.asarray(X, dtype=float)
        for j in range(n_classes):
            mask = np.asarray(y_index) == j
            label = class_names[j] if class_names is not None else str(j)
            ax.scatter(X[mask, 0], X[mask, 1], s=12, color=cluster_color(j), label=label,
                       edgecolors="white", linewidths=0.3)
    return image


def plot_posterior_map(ax, grid, class_index, cmap="viridis"):
    """Heat map of ``P(y = class_index | x)`` from a :func:`decision_grid`, with a colour bar."""
    xx, yy, proba = grid
    extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
    image = ax.imshow(proba[..., class_index], origin="lower", extent=extent, cmap=cmap,
                      vmin=0.0, vmax=1.0, aspect="auto")
    ax.contour(xx, yy, proba[..., class_index], levels=[0.5], colors="white", linewidths=1)
    return image


def plot_loglik_curve(ax, values, current=None, ylabel=r"log-likelihood $\ell(\theta)$"):
    """The log-likelihood (sum over the points) after 0, 1, 2, ... EM iterations; marks ``current``.

    ``values`` is laid out as :attr:`coursekit.mixture.GMMResult.log_likelihood`: ``values[t]``
    is the log-likelihood after t iterations (t = 0: the starting parameters).
    """
    values = np.asarray(values, dtype=float)
    iterations = np.arange(len(values))
    (line,) = ax.plot(iterations, values, "o-", color="0.3", ms=3)
    if current is not None:
        ax.plot(iterations[current], values[current], "o", color="#d62728", ms=9, zorder=5)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    return line


def plot_bic_grid(ax, ks, scores, markers=("o", "s", "^", "D")):
    """BIC against the number of components, one line per covariance type; stars the minimum.

    ``scores`` maps a covariance type to its BIC values at ``ks``.  The overall minimum gets a
    large star; each line's own minimum a small one.
    """
    ks = np.asarray(ks)
    best = min(scores, key=lambda t: np.min(scores[t]))
    for j, (name, values) in enumerate(scores.items()):
        values = np.asarray(values, dtype=float)
        color = cluster_color(j)
        ax.plot(ks, values, marker=markers[j % len(markers)], color=color, label=name)
        i = int(np.argmin(values))
        ax.plot(ks[i], values[i], "*", color=color, ms=20 if name == best else 11,
                markeredgecolor="black", zorder=5)
    ax.set_xticks(ks)
    ax.set_xlabel("number of components K")
    ax.set_ylabel("BIC (lower is better)")
    ax.legend(title="covariance", frameon=False)
    return ax


def plot_information_criteria(ax, ks, bic, aic=None):
    """BIC (and AIC) against the number of components; marks the minimum of each."""
    ks = np.asarray(ks)
    bic = np.asarray(bic, dtype=float)
    ax.plot(ks, bic, "o-", color="#1f77b4", label="BIC")
    ax.plot(ks[np.argmin(bic)], bic.min(), "*", color="#1f77b4", ms=16)
    if aic is not None:
        aic = np.asarray(aic, dtype=float)
        ax.plot(ks, aic, "s--", color="#ff7f0e", label="AIC")
        ax.plot(ks[np.argmin(aic)], aic.min(), "*", color="#ff7f0e", ms=16)
    ax.set_xticks(ks)
    ax.set_xlabel("number of components K")
    ax.set_ylabel("criterion (lower is better)")
    ax.legend(frameon=False)
    return ax
