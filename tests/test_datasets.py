"""coursekit.datasets: the shipped data read independently, blob generators, the sample photo."""

import csv
import os

import numpy as np
import pytest
from scipy import stats

from coursekit import datasets

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coursekit", "data")


def test_old_faithful_matches_the_csv_and_r_summary():
    ds = datasets.old_faithful()
    assert ds.data.shape == (272, 2) and len(ds) == 272
    assert ds.feature_names == ("eruptions_min", "waiting_min")
    ref = np.genfromtxt(os.path.join(DATA, "old_faithful.csv"), delimiter=",", skip_header=1)
    np.testing.assert_array_equal(ds.data, ref)
    # R: mean(faithful$eruptions) = 3.487783, mean(faithful$waiting) = 70.89706
    assert ds.column("eruptions_min").mean() == pytest.approx(3.487783, abs=5e-7)
    assert ds.column("waiting_min").mean() == pytest.approx(70.89706, abs=5e-6)
    assert "Azzalini" in ds.description


def test_auto_mpg_columns_and_missing_values():
    ds = datasets.auto_mpg()
    with open(os.path.join(DATA, "auto_mpg.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert ds.data.shape == (406, 7) == (len(rows), len(ds.feature_names))
    assert ds.name.shape == ds.origin.shape == (406,)
    assert set(ds.origin) == {"USA", "Europe", "Japan"}
    assert int(np.isnan(ds.column("mpg")).sum()) == 8
    assert int(np.isnan(ds.column("horsepower")).sum()) == 6
    for i in (0, 11, 39, 405):
        assert ds.name[i] == rows[i]["name"] and ds.origin[i] == rows[i]["origin"]
        for col in ds.feature_names:
            v = rows[i][col]
            assert (np.isnan(ds.column(col)[i]) and v == "") or ds.column(col)[i] == float(v)
    assert ds.column("model_year").min() == 70 and ds.column("model_year").max() == 82


def test_auto_mpg_xy_drops_missing_mpg_and_says_which():
    ds = datasets.auto_mpg()
    X, y, dropped = ds.xy()
    assert X.shape == (398, 2) and y.shape == (398,)
    assert len(dropped) == 8
    np.testing.assert_array_equal(dropped, np.flatnonzero(np.isnan(ds.column("mpg"))))
    assert not np.any(np.isnan(X))
    np.testing.assert_array_equal(X[:, 0], np.delete(ds.column("model_year"), dropped))
    np.testing.assert_array_equal(y, np.delete(ds.origin, dropped))
    X2, _, dropped2 = ds.xy(features=("mpg", "horsepower"))
    assert len(dropped2) == 14 and X2.shape == (392, 2)  # 8 + 6 rows, no car misses both


def test_auto_mpg_classifier_example_runs():
    from coursekit.classifier import GaussianBayesClassifier

    X, y, _ = datasets.auto_mpg().xy()
    clf = GaussianBayesClassifier().fit(X, y)
    # better than always answering the majority class (USA)
    assert clf.score(X, y) > np.mean(y == "USA")


def test_blobs_sizes_widths_and_labels():
    centers = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    std = np.array([0.5, 1.0, 2.0])
    X, labels = datasets.blobs(n=3001, centers=centers, cluster_std=std, weights=[0.5, 0.3, 0.2], rng=0)
    assert X.shape == (3001, 2)
    np.testing.assert_array_equal(np.bincount(labels), [1501, 900, 600])  # largest remainder, sums to n
    for j in range(3):
        Xj = X[labels == j]
        m = len(Xj)
        z = (Xj.mean(axis=0) - centers[j]) / (std[j] / np.sqrt(m))
        assert np.all(np.abs(z) < 4.5)
        # sample variance: (m - 1) s^2 / sigma^2 ~ chi2(m - 1)
        for col in Xj.T:
            p = stats.chi2(m - 1).cdf((m - 1) * col.var(ddof=1) / std[j] ** 2)
            assert 1e-4 < p < 1 - 1e-4


def test_blobs_random_centres_are_seeded_and_in_the_box():
    a = datasets.blobs(n=50, centers=4, n_features=3, rng=5)
    b = datasets.blobs(n=50, centers=4, n_features=3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (50, 3) and set(a[1]) == {0, 1, 2, 3}
    X, labels = datasets.blobs(n=40, centers=2, shuffle=False, rng=1)
    np.testing.assert_array_equal(labels, np.repeat([0, 1], 20))


def test_blobs_transform_shears_every_cluster():
    T = np.array([[0.6, -0.64], [-0.41, 0.85]])
    X, labels = datasets.blobs(n=20000, centers=[[0.0, 0.0]], cluster_std=1.0, transform=T, rng=2)
    S = np.cov(X, rowvar=False)
    expected = T.T @ T
    se = np.sqrt((np.outer(np.diag(expected), np.diag(expected)) + expected**2) / len(X))
    assert np.all(np.abs((S - expected) / se) < 4.5)


@pytest.mark.parametrize("kind", ["overlapping", "unequal_width", "unequal_size", "anisotropic"])
def test_kmeans_failure_cases(kind):
    X, labels = datasets.kmeans_failure(kind, n=300, rng=0)
    assert X.shape == (300, 2) and labels.shape == (300,)
    assert np.all(np.isfinite(X))


def test_sample_image_is_grace_hopper_in_unit_range():
    from matplotlib import cbook
    from PIL import Image

    img = datasets.sample_image()
    assert img.shape == (600, 512, 3) and img.dtype == np.float64
    assert img.min() >= 0.0 and img.max() <= 1.0
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        ref = np.asarray(Image.open(f).convert("RGB"), dtype=np.float64) / 255.0
    np.testing.assert_allclose(img, ref, atol=1e-12)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: datasets.blobs(n=0), ValueError, "n"),
        (lambda: datasets.blobs(n=10, centers=0), ValueError, "centers"),
        (lambda: datasets.blobs(n=10, centers=[[0.0, np.nan]]), ValueError, "centers"),
        (lambda: datasets.blobs(n=10, centers=[0.0, 1.0]), ValueError, "centers"),
        (lambda: datasets.blobs(n=10, cluster_std=-1.0), ValueError, "cluster_std"),
        (lambda: datasets.blobs(n=10, cluster_std=[1.0, 2.0]), ValueError, "cluster_std"),
        (lambda: datasets.blobs(n=10, weights=[0.5, 0.6, -0.1]), ValueError, "weights"),
        (lambda: datasets.blobs(n=10, weights=[0.5, 0.5]), ValueError, "weights"),
        (lambda: datasets.blobs(n=10, transform=np.eye(3)), ValueError, "transform"),
        (lambda: datasets.blobs(n=10, center_box=(1.0, 0.0)), ValueError, "center_box"),
        (lambda: datasets.blobs(n=10, rng="x"), TypeError, "rng"),
        (lambda: datasets.kmeans_failure("moons"), ValueError, "kind"),
        (lambda: datasets.auto_mpg().xy(features=("speed",)), ValueError, "features"),
        (lambda: datasets.auto_mpg().xy(target="colour"), ValueError, "target"),
        (lambda: datasets.old_faithful().column("height"), ValueError, "name"),
    ],
)
def test_bad_input_names_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("coursekit.kmeans") is None, reason="coursekit.kmeans not built yet"
)
@pytest.mark.parametrize("kind", ["unequal_width", "unequal_size", "anisotropic"])
def test_kmeans_failure_cases_defeat_kmeans_but_not_a_gmm(kind):
    from sklearn.metrics import adjusted_rand_score

    from coursekit import kmeans, mixture

    X, labels = datasets.kmeans_failure(kind, rng=0)
    km = kmeans.kmeans(X, 3, n_init=10, rng=0)
    gmm = max((mixture.fit(X, 3, init="random", rng=s, max_iter=500) for s in range(5)),
              key=lambda r: r.log_likelihood[-1])
    assert adjusted_rand_score(labels, km.labels) < 0.8
    assert adjusted_rand_score(labels, gmm.labels) > 0.9
