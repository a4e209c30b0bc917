"""Data for the course: two real data sets, synthetic blobs, and a sample photo.

* :func:`old_faithful` (272 eruptions) and :func:`auto_mpg` (406 cars) are read from the CSV
  files shipped in ``coursekit/data`` (provenance in ``coursekit/data/PROVENANCE.md``); no
  pandas needed: they come back as small dataclasses holding NumPy arrays.
* :func:`blobs` draws labelled Gaussian clusters (equal or unequal sizes and widths, optionally
  sheared: the k-means failure modes); :func:`kmeans_failure` has ready-made examples.
* :func:`sample_image` is a photo that matplotlib already ships (Grace Hopper).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

import numpy as np

from ._validation import _to_float_array, check_int, check_rng, check_weights

__all__ = [
    "Dataset",
    "AutoMPG",
    "XY",
    "old_faithful",
    "auto_mpg",
    "blobs",
    "kmeans_failure",
    "sample_image",
]


def _read_csv(filename):
    text = resources.files("coursekit").joinpath("data", filename).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _floats(rows, columns, header):
    """Numeric columns as a float array; an empty field is NaN (a missing value)."""
    idx = [header.index(c) for c in columns]
    return np.array([[float(r[i]) if r[i].strip() else np.nan for i in idx] for r in rows])


@dataclass(frozen=True)
class Dataset:
    """A numeric data set: ``data`` (n, p) with one named column per feature."""

    data: np.ndarray
    """(n, p) float array; NaN marks a missing value."""
    feature_names: tuple
    """The p column names."""
    description: str
    """One paragraph: what the data are and where they come from."""

    def column(self, name):
        """The column called ``name`` as an (N,) float array."""
        if name not in self.feature_names:
            raise ValueError(f"name must be one of {self.feature_names}, got {name!r}")
        return self.data[:, self.feature_names.index(name)]

    def __len__(self):
        return self.data.shape[0]


class XY(NamedTuple):
    """Inputs and labels for a classifier, and the rows left out for missing values."""

    X: np.ndarray
    """(m, len(features)) float inputs."""
    y: np.ndarray
    """(m,) labels."""
    dropped: np.ndarray
    """Indices (into the full data set) of the rows dropped because a feature was missing."""


@dataclass(frozen=True)
class AutoMPG(Dataset):
    """The Auto MPG data: numeric ``data`` plus the string columns ``name`` and ``origin``."""

    name: np.ndarray = None
    """(n,) car model names."""
    origin: np.ndarray = None
    """(n,) the maker's region: "USA", "Europe" or "Japan"."""

    def xy(self, features=("model_year", "mpg"), target="origin"):
        """(X, y) for a classifier, dropping the rows where a chosen feature is missing.

        The lecture's example is the default ``model_year, mpg -> origin``: it drops the 8 cars
        with no mpg value, leaving 398 rows.  The dropped row indices are returned, so nothing
        is removed silently.

        Parameters
        ----------
        features : sequence of str
            Numeric columns (from ``feature_names``) to use as inputs.
        target : {"origin", "name"} or a numeric column name
            The label column.

        Returns
        -------
        XY
            Named tuple ``(X, y, dropped)``.
        """
        if isinstance(features, str):
            features = (features,)
        features = tuple(features)
        if len(features) == 0:
            raise ValueError("features must name at least one column")
        for f in features:
            if f not in self.feature_names:
                raise ValueError(f"features must be among {self.feature_names}, got {f!r}")
        if target in ("origin", "name"):
            labels = getattr(self, target)
        elif target in self.feature_names:
            labels = self.column(target)
        else:
            raise ValueError(f"target must be 'origin', 'name' or one of {self.feature_names}, got {target!r}")
        X = np.column_stack([self.column(f) for f in features])
        bad = np.any(np.isnan(X), axis=1)
        if labels.dtype.kind == "f":
            bad |= np.isnan(labels)
        keep = ~bad
        return XY(X[keep], labels[keep], np.flatnonzero(bad))


def old_faithful():
    """The Old Faithful geyser data: 272 eruptions.

    Columns ``eruptions_min`` (eruption length, minutes) and ``waiting_min`` (minutes to the
    next eruption).  Two clusters (short and long eruptions): the book's example of data that
    one Gaussian fits badly and a mixture of two fits well.

    Returns
    -------
    Dataset
        ``data`` (272, 2), ``feature_names``, ``description``.
    """
    header, rows = _read_csv("old_faithful.csv")
    return Dataset(
        data=_floats(rows, header, header),
        feature_names=tuple(header),
        description=(
            "Old Faithful geyser, Yellowstone: eruption duration and waiting time to the next eruption "
            "(minutes), 272 eruptions.  R's datasets::faithful (Haerdle 1991, from Azzalini and Bowman "
            "1990, Applied Statistics 39)."
        ),
    )


_AUTO_NUMERIC = ("mpg", "cylinders", "displacement", "horsepower", "weight_lbs", "acceleration", "model_year")


def auto_mpg():
    """The Auto MPG data: 406 cars from 1970-1982.

    Numeric columns (``data``): mpg, cylinders, displacement, horsepower, weight_lbs,
    acceleration, model_year (70-82).  8 cars have no mpg and 6 no horsepower: those entries are
    NaN.  String columns: ``name`` and ``origin`` (the maker's region: USA, Europe, Japan).
    For the lecture's classifier ``model_year, mpg -> origin`` use :meth:`AutoMPG.xy`.

    Returns
    -------
    AutoMPG
        ``data`` (406, 7), ``feature_names``, ``name`` (406,), ``origin`` (406,),
        ``description``, and the method ``xy(features, target)``.
    """
    header, rows = _read_csv("auto_mpg.csv")
    return AutoMPG(
        data=_floats(rows, _AUTO_NUMERIC, header),
        feature_names=_AUTO_NUMERIC,
        description=(
            "Auto MPG (UCI, Quinlan 1993, as carried by vega-datasets): fuel consumption and engine data "
            "of 406 cars, model years 1970-1982, with the maker's region.  Missing values are NaN "
            "(8 mpg, 6 horsepower)."
        ),
        name=np.array([r[header.index("name")] for r in rows]),
        origin=np.array([r[header.index("origin")] for r in rows]),
    )


# --------------------------------------------------------------------------- synthetic data


def _split_counts(n, weights):
    """Integer counts summing exactly to n, proportional to weights (largest remainder)."""
    raw = n * weights
    counts = np.floor(raw).astype(np.intp)
    short = n - counts.sum()
    # ties broken by component order, so the split is deterministic
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def blobs(n=300, centers=3, cluster_std=1.0, n_features=2, weights=None, transform=None,
          center_box=(-10.0, 10.0), shuffle=True, rng=None):
    """Labelled isotropic Gaussian clusters, optionally of unequal sizes and widths, or sheared.

    Cluster j is ``N(centers[j], cluster_std[j]^2 I)``; with ``transform`` every point (and
    centre) is then mapped by ``x -> x @ transform``, which makes all clusters elongated and
    tilted the same way (the "anisotropic" k-means failure).

    Parameters
    ----------
    n : int
        N, the total number of points (>= 1).  Cluster sizes are ``n * weights`` rounded by
        largest remainder, so they sum to exactly N.
    centers : int or array-like, shape (K, D)
        Number of clusters (centres drawn uniformly in ``center_box``), or the centres.
    cluster_std : float or array-like, shape (K,)
        Standard deviation of each cluster (positive); unequal values give clusters of
        different widths.
    n_features : int
        Dimension d when ``centers`` is an int.
    weights : array-like, shape (K,), optional
        Relative cluster sizes (non-negative, summing to 1); default equal.
    transform : array-like, shape (D, D), optional
        Linear map applied to all points after drawing them.
    center_box : (float, float)
        Range of random centres.
    shuffle : bool
        Shuffle the rows (else they are grouped by cluster).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray, shape (N, D)
    labels : ndarray of int, shape (N,)
    """
    n = check_int(n, "n", minimum=1)
    rng = check_rng(rng)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = check_int(centers, "centers", minimum=1)
        d = check_int(n_features, "n_features", minimum=1)
        lo, hi = (float(v) for v in center_box)
        if not hi > lo:
            raise ValueError(f"center_box must be (low, high) with low < high, got {center_box!r}")
        centers = rng.uniform(lo, hi, size=(k, d))
    else:
        centers = _to_float_array(centers, "centers")
        if centers.ndim != 2 or centers.shape[0] < 1:
            raise ValueError(f"centers must be an int or a (k, d) array, got shape {centers.shape}")
        if not np.all(np.isfinite(centers)):
            raise ValueError("centers contains NaN or infinity")
        k, d = centers.shape
    std = np.atleast_1d(_to_float_array(cluster_std, "cluster_std"))
    if std.shape == (1,):
        std = np.repeat(std, k)
    if std.shape != (k,) or not np.all(np.isfinite(std)) or np.any(std <= 0):
        raise ValueError(f"cluster_std must be a positive number or k = {k} positive numbers, got {cluster_std!r}")
    weights = np.full(k, 1.0 / k) if weights is None else check_weights(weights)
    if weights.shape[0] != k:
        raise ValueError(f"weights has {weights.shape[0]} entries but there are k = {k} clusters")
    counts = _split_counts(n, weights)
    labels = np.repeat(np.arange(k), counts)
    X = centers[labels] + rng.standard_normal((n, d)) * std[labels, None]
    if transform is not None:
        T = _to_float_array(transform, "transform")
        if T.shape != (d, d) or not np.all(np.isfinite(T)):
            raise ValueError(f"transform must be a finite (d, d) = ({d}, {d}) matrix, got shape {T.shape}")
        X = X @ T
    if shuffle:
        perm = rng.permutation(n)
        X, labels = X[perm], labels[perm]
    return X, labels


_FAILURES = {
    # overlapping: two clusters closer than their spread; k-means cuts the overlap in half
    "overlapping": dict(centers=[[0.0, 0.0], [2.0, 0.5]], cluster_std=[1.0, 1.0]),
    # unequal widths: a wide cluster next to two tight ones; k-means gives it too little
    "unequal_width": dict(centers=[[-6.0, 0.0], [0.0, 0.0], [5.0, 0.0]], cluster_std=[0.6, 2.5, 0.6]),
    # unequal sizes: one big cluster and two small ones close to it
    "unequal_size": dict(centers=[[0.0, 0.0], [4.5, 3.0], [4.5, -3.0]], cluster_std=[1.5, 0.5, 0.5],
                         weights=[0.8, 0.1, 0.1]),
    # anisotropic: every cluster stretched and tilted; k-means' round cells cut across them
    "anisotropic": dict(centers=[[4.4, 4.1], [-0.5, 0.6], [-3.9, -4.7]], cluster_std=[1.0, 1.0, 1.0],
                        transform=[[0.6, -0.64], [-0.41, 0.85]]),
}


def kmeans_failure(kind, n=600, rng=None):
    """A 2-D example of one of k-means' failure modes, with its true labels.

    Parameters
    ----------
    kind : {"overlapping", "unequal_width", "unequal_size", "anisotropic"}
    n : int
        N, the number of points.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray, shape (N, 2)
    labels : ndarray of int, shape (N,)
    """
    if kind not in _FAILURES:
        raise ValueError(f"kind must be one of {tuple(_FAILURES)}, got {kind!r}")
    return blobs(n=n, rng=rng, **_FAILURES[kind])


def sample_image():
    """A colour photo (Grace Hopper) shipped with matplotlib, for colour quantisation.

    Returns
    -------
    ndarray, shape (600, 512, 3)
        RGB values as floats in [0, 1].
    """
    from matplotlib import cbook, image

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = image.imread(f, format="jpg")
    img = np.asarray(img)
    if img.dtype.kind in "ui":
        img = img.astype(np.float64) / np.iinfo(img.dtype).max
    return np.ascontiguousarray(img[..., :3], dtype=np.float64)
