"""coursekit.kmeans against scikit-learn's KMeans (lloyd), scipy's cdist and closed forms."""

import warnings

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from coursekit import ConvergenceWarning
from coursekit import kmeans as km

BACKENDS = ["numba", "numpy"]


def blobs(seed, n, d, k, spread=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 4, size=(k, d))
    z = rng.integers(k, size=n)
    return (means[z] + spread * rng.normal(size=(n, d))).astype(dtype)


def sklearn_fit(X, init, tol=1e-4, max_iter=300):
    with warnings.catch_warnings():
        # sklearn's own ConvergenceWarning for duplicate points is not what we test here.
        warnings.simplefilter("ignore")
        return KMeans(
            n_clusters=init.shape[0], init=init, n_init=1, algorithm="lloyd", tol=tol, max_iter=max_iter
        ).fit(X)


# (seed, n, d, k, spread, tol): well separated, overlapping (many iterations), d = 1, d = 64, tol = 0
CASES = [
    (0, 500, 2, 3, 1.0, 1e-4),
    (1, 2000, 2, 10, 3.0, 1e-4),
    (2, 400, 1, 4, 1.0, 1e-4),
    (3, 600, 64, 5, 6.0, 1e-4),
    (4, 1500, 16, 8, 4.0, 0.0),
    (5, 3000, 3, 6, 5.0, 1e-2),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed, n, d, k, spread, tol", CASES)
def test_matches_sklearn_from_same_init(backend, seed, n, d, k, spread, tol):
    X = blobs(seed, n, d, k, spread)
    init = X[np.random.default_rng(seed + 100).choice(n, k, replace=False)]
    ref = sklearn_fit(X, init, tol=tol)
    res = km.kmeans(X, k, init=init, tol=tol, backend=backend)
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert res.n_iter == ref.n_iter_
    assert res.converged


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_input_matches_sklearn(backend):
    X = blobs(7, 1000, 8, 4, 2.0, dtype=np.float32)
    init = X[[3, 50, 500, 900]]
    ref = sklearn_fit(X, init)  # sklearn computes in float32, we in float64
    res = km.kmeans(X, 4, init=init, backend=backend)
    assert res.centers.dtype == np.float64
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-4, atol=1e-4)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_iter_reached_matches_sklearn_and_warns(backend):
    X = blobs(8, 800, 2, 6, 3.0)
    init = X[:6]
    ref = sklearn_fit(X, init, max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = km.kmeans(X, 6, init=init, max_iter=2, backend=backend)
    assert not res.converged
    assert res.n_iter == ref.n_iter_ == 2
    # After max_iter both re-assign the points to the final centres.
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_cluster_relocated_like_sklearn(backend):
    # The centre at (50, 50) owns no point at the first step: it moves to the point farthest
    # from its own centre, which then leaves its cluster.
    X = blobs(9, 300, 2, 3, 1.0)
    init = np.vstack([X[:2], [[50.0, 50.0]]])
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, 3, init=init, backend=backend)
    first_labels = np.argmin(cdist(X, init, "sqeuclidean"), axis=1)
    assert 2 not in first_labels  # the case under test really happens
    own = ((X - init[first_labels]) ** 2).sum(axis=1)
    np.testing.assert_allclose(res.history[1][2], X[np.argmax(own)])
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert res.n_iter == ref.n_iter_


@pytest.mark.parametrize("backend", BACKENDS)
def test_fewer_distinct_points_than_k_gives_no_nan(backend):
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    res = km.kmeans(X, 3, init=np.array([[0.0, 0.0], [1.0, 1.0], [9.0, 9.0]]), backend=backend)
    assert np.all(np.isfinite(res.centers))
    assert res.inertia == 0.0
    np.testing.assert_array_equal(res.centers[2], [9.0, 9.0])  # kept: relocation is pointless


@pytest.mark.parametrize("d", [1, 2, 3, 5])  # the kernel has unrolled paths for d = 1, 2, 3
def test_backends_agree_and_numba_is_thread_count_independent(d):
    X = blobs(10 + d, 20_000, d, 7, 4.0)
    init = km.kmeans_plus_plus(X, 7, rng=1)
    a = km.kmeans(X, 7, init=init, backend="numpy", tol=0)
    b = km.kmeans(X, 7, init=init, backend="numba", tol=0)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
    assert a.n_iter == b.n_iter
    assert a.inertia == pytest.approx(b.inertia, rel=1e-12)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = km.kmeans(X, 7, init=init, backend="numba", tol=0)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(b.centers, c.centers)  # bit for bit
    assert b.inertia == c.inertia


@pytest.mark.parametrize("backend", BACKENDS)
def test_history_and_label_history(backend):
    X = blobs(11, 400, 2, 5, 2.0)
    init = X[:5].copy()
    res = km.kmeans(X, 5, init=init, backend=backend, keep_label_history=True)
    assert len(res.history) == len(res.inertia_history) == len(res.label_history) == res.n_iter + 1
    np.testing.assert_array_equal(res.history[0], init)
    np.testing.assert_array_equal(res.init_centers, init)
    np.testing.assert_array_equal(res.history[-1], res.centers)
    np.testing.assert_array_equal(res.label_history[-1], res.labels)
    for centers, labels, obj in zip(res.history, res.label_history, res.inertia_history):
        d2 = cdist(X, centers, "sqeuclidean")
        np.testing.assert_array_equal(labels, np.argmin(d2, axis=1))
        assert obj == pytest.approx(d2.min(axis=1).sum(), rel=1e-10)
    # Each centre of step t+1 is the mean of the points it owned at step t.
    for t in range(res.n_iter):
        for j in range(5):
            np.testing.assert_allclose(res.history[t + 1][j], X[res.label_history[t] == j].mean(axis=0))
    assert km.kmeans(X, 5, init=init, backend=backend).label_history is None


def test_n_init_keeps_the_best_run():
    X = blobs(12, 600, 2, 8, 2.5)
    single = km.kmeans(X, 8, init="random", rng=3)
    best = km.kmeans(X, 8, init="random", n_init=6, rng=3)
    runs = [km.kmeans(X, 8, init=km.random_init(X, 8, rng=r)) for r in range(6)]
    assert best.inertia <= single.inertia  # the first of the six runs is `single`
    assert best.inertia <= np.median([r.inertia for r in runs]) + 1e-9


def test_seeded_runs_are_reproducible():
    X = blobs(13, 500, 3, 4)
    a = km.kmeans(X, 4, rng=5)
    b = km.kmeans(X, 4, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.centers, b.centers)


def test_auto_backend_picks_by_size(monkeypatch):
    calls = []

    def spy(X, centers, out=None):
        calls.append("numba")
        return km._numpy_step(X, centers, out)

    monkeypatch.setattr(km, "_numba_step", spy)
    km.kmeans(blobs(0, 100, 2, 3), 3, rng=0)  # 600 operations per pass: NumPy
    assert calls == []
    km.kmeans(blobs(0, 10_000, 2, 3), 3, rng=0)  # 60 000: numba
    assert calls and set(calls) == {"numba"}


def test_numba_path_emits_no_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        km.kmeans(blobs(14, 5000, 4, 3), 3, rng=0, backend="numba")  # serial kernel
        km.kmeans(blobs(14, 40_000, 4, 3), 3, rng=0, backend="numba")  # parallel kernel
    assert [str(w.message) for w in caught] == []


# ------------------------------------------------------------------------------------------
# The two steps and the objective


def test_assign_is_nearest_centre_vs_cdist():
    X = blobs(15, 1000, 6, 4)
    C = blobs(16, 9, 6, 3)
    np.testing.assert_array_equal(km.assign(X, C), np.argmin(cdist(X, C), axis=1))
    x1 = np.linspace(-3, 3, 50)
    np.testing.assert_array_equal(km.assign(x1, [-1.0, 0.5, 2.0]), np.argmin(cdist(x1[:, None], [[-1], [0.5], [2]]), axis=1))


def test_update_is_cluster_means():
    X = blobs(17, 300, 3, 4)
    labels = np.random.default_rng(0).integers(4, size=300)
    expected = np.array([X[labels == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(km.update(X, labels, 4), expected, rtol=1e-12)


def test_update_empty_cluster_policy_closed_form():
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    labels = [0, 0, 0, 0]
    # 10 is the farthest point from its own centre: cluster 1 takes it, cluster 0 keeps the rest.
    np.testing.assert_allclose(km.update(X, labels, 2), [[1.0], [10.0]])
    np.testing.assert_allclose(km.update(X, labels, 2, centers=[[0.0], [100.0]]), [[1.0], [10.0]])
    # Two empty clusters take the two farthest points, farthest first.
    np.testing.assert_allclose(km.update(X, labels, 3, centers=[[0.0], [7.0], [8.0]]), [[0.5], [10.0], [2.0]])
    # Every point on its centre: the empty cluster keeps its centre (never NaN).
    same = np.ones((3, 2))
    np.testing.assert_allclose(km.update(same, [0, 0, 0], 2, centers=[[1, 1], [4, 5]]), [[1, 1], [4, 5]])
    assert np.all(np.isfinite(km.update(same, [0, 0, 0], 2)))


def test_inertia_closed_form():
    X = blobs(18, 200, 2, 3)
    C = np.array([[0.0, 0.0], [1.0, -1.0], [3.0, 2.0]])
    labels = np.random.default_rng(1).integers(3, size=200)  # not the nearest on purpose
    assert km.inertia(X, C, labels) == pytest.approx(
        sum(cdist(X[i : i + 1], C[labels[i] : labels[i] + 1], "sqeuclidean")[0, 0] for i in range(200)), rel=1e-12
    )


# ------------------------------------------------------------------------------------------
# Property tests

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seeds, n=st.integers(5, 120), d=st.integers(1, 5), k=st.integers(1, 6), backend=st.sampled_from(BACKENDS))
def test_objective_never_increases(seed, n, d, k, backend):
    X = blobs(seed, n, d, max(k, 2), spread=2.0)
    k = min(k, n)
    res = km.kmeans(X, k, rng=seed, tol=0, backend=backend)
    objective = [cdist(X, c, "sqeuclidean").min(axis=1).sum() for c in res.history]
    assert np.all(np.diff(objective) <= 1e-9 * (1 + objective[0]))
    assert res.inertia == pytest.approx(objective[-1], rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(10, 150), d=st.integers(1, 4), k=st.integers(1, 5))
def test_invariant_to_permuting_rows(seed, n, d, k):
    X = blobs(seed, n, d, 3, spread=1.5)
    init = km.kmeans_plus_plus(X, k, rng=seed)
    perm = np.random.default_rng(seed).permutation(n)
    a = km.kmeans(X, k, init=init, tol=0)
    b = km.kmeans(X[perm], k, init=init, tol=0)
    # Same centres (as a set: compare after sorting rows) and the same partition.
    sort = lambda C: C[np.lexsort(C.T[::-1])]  # noqa: E731
    np.testing.assert_allclose(sort(a.centers), sort(b.centers), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(a.labels[perm], b.labels)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(1, 40), st.just(3)), elements=finite),
    C=arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=finite),
)
def test_labels_are_argmin_of_cdist(X, C):
    labels = km.assign(X, C)
    d2 = cdist(X, C, "sqeuclidean")
    chosen = d2[np.arange(len(X)), labels]
    # Exact ties may be broken either way by rounding; the chosen distance must be the minimum.
    assert np.all(chosen <= d2.min(axis=1) * (1 + 1e-12) + 1e-9)
    assert labels.dtype.kind == "i" and labels.min() >= 0 and labels.max() < len(C)


@settings(max_examples=60, deadline=None)
@given(X=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)), elements=st.integers(-3, 3).map(float)),
       k=st.integers(1, 30), seed=seeds)
def test_kmeans_plus_plus_picks_k_distinct_data_points(X, k, seed):
    k = min(k, len(X))
    C = km.kmeans_plus_plus(X, k, rng=seed)
    assert C.shape == (k, X.shape[1])
    rows = {tuple(r) for r in X}
    assert all(tuple(c) in rows for c in C)
    if len(rows) >= k:
        assert len({tuple(c) for c in C}) == k
    else:  # duplicates forced, but every distinct point is used
        assert {tuple(c) for c in C} == rows


def test_kmeans_plus_plus_with_k_equal_n_is_a_permutation():
    X = blobs(19, 25, 2, 3)
    C = km.kmeans_plus_plus(X, 25, rng=0)
    np.testing.assert_array_equal(np.sort(C, axis=0), np.sort(X, axis=0))


def test_kmeans_plus_plus_d2_weighting():
    # Plain k-means++ (one trial): after a first centre in the cluster of 99 points at 0, the
    # second is the far point at 10 with probability 100 / (100 + 98 * tiny) ~ 1.
    X = np.concatenate([np.zeros(99), [10.0]])[:, None]
    X[1:99, 0] = 1e-3
    hits = sum(km.kmeans_plus_plus(X, 2, rng=s, n_local_trials=1)[1, 0] == 10.0 for s in range(200))
    first_is_far = sum(km.kmeans_plus_plus(X, 2, rng=s, n_local_trials=1)[0, 0] == 10.0 for s in range(200))
    assert hits >= 200 - first_is_far - 1


# ------------------------------------------------------------------------------------------
# Colour quantisation


def photo():
    from sklearn.datasets import load_sample_image

    return load_sample_image("china.jpg")[::8, ::8]  # (54, 80, 3) uint8


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_quantize_shape_dtype_and_palette(dtype, backend):
    img = photo()
    if dtype != np.uint8:
        img = (img / 255.0).astype(dtype)
    out, palette = km.quantize(img, 6, rng=0, sample_size=2000, backend=backend)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert palette.shape == (6, 3) and palette.dtype == img.dtype
    colours = np.unique(out.reshape(-1, 3), axis=0)
    assert len(colours) <= 6
    # Every pixel takes the palette colour nearest to it.
    px = img.reshape(-1, 3).astype(np.float64)
    nearest = palette[np.argmin(cdist(px, palette.astype(np.float64)), axis=1)]
    np.testing.assert_array_equal(out.reshape(-1, 3), nearest)


def test_quantize_few_colours_and_tiny_image():
    img = np.zeros((4, 5, 3), dtype=np.uint8)
    img[:2] = [255, 0, 0]
    out, palette = km.quantize(img, 2, rng=1)
    np.testing.assert_array_equal(out, img)
    out, palette = km.quantize(img, 4, rng=1)  # more colours asked than present
    np.testing.assert_array_equal(out, img)


# ------------------------------------------------------------------------------------------
# Bad input: ValueError / TypeError naming the argument


X0 = blobs(20, 30, 2, 3)


BAD_KMEANS_INPUT = [
    (dict(k=0), ValueError, "k"),
    (dict(k=31), ValueError, "k = 31"),
    (dict(k=2.5), TypeError, "k"),
    (dict(X=np.full((5, 2), np.nan), k=2), ValueError, "X contains NaN"),
    (dict(X=np.array([[0.0, np.inf], [1, 1]]), k=1), ValueError, "X contains NaN or inf"),
    (dict(X=np.zeros((3, 2, 2)), k=1), ValueError, "X must be"),
    (dict(X=np.zeros((0, 2)), k=1), ValueError, "X must have at least 1 row"),
    (dict(X=np.zeros((5, 0)), k=1), ValueError, "X must have at least one column"),
    (dict(X="abc", k=1), TypeError, "X"),
    (dict(init="kmeans++"), ValueError, "init must be one of"),
    (dict(init=np.zeros((2, 2))), ValueError, "init must have shape"),
    (dict(init=np.zeros((3, 3))), ValueError, "init must have shape"),
    (dict(init=np.full((3, 2), np.nan)), ValueError, "init contains NaN"),
    (dict(init=[[0.0, 1.0], [2.0], [3.0, 4.0]]), ValueError, "init"),
    (dict(init=np.zeros(3)), ValueError, "init must have shape"),
    (dict(init=X0[:3], n_init=2), ValueError, "n_init"),
    (dict(n_init=0), ValueError, "n_init"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(rng="seed"), TypeError, "rng"),
    (dict(backend="cuda"), ValueError, "backend"),
    (dict(keep_label_history="yes"), TypeError, "keep_label_history"),
]


@pytest.mark.parametrize("kwargs, exc, match", BAD_KMEANS_INPUT)
def test_kmeans_bad_input(kwargs, exc, match):
    args = dict(X=X0, k=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        km.kmeans(**args)


def test_step_functions_bad_input():
    C = X0[:3]
    with pytest.raises(ValueError, match="centers must have shape"):
        km.assign(X0, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="centers contains NaN"):
        km.assign(X0, np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="centers must have shape"):
        km.assign(X0, np.zeros((0, 2)))
    with pytest.raises(TypeError, match="centers"):
        km.assign(X0, "abc")
    with pytest.raises(ValueError, match="labels must lie in"):
        km.update(X0, np.full(30, 3), 3)
    with pytest.raises(ValueError, match="labels must have shape"):
        km.update(X0, np.zeros(29, int), 3)
    with pytest.raises(ValueError, match="labels must hold integers"):
        km.update(X0, np.full(30, 0.5), 3)
    with pytest.raises(ValueError, match="k must be >= 1"):
        km.update(X0, np.zeros(30, int), 0)
    with pytest.raises(ValueError, match="centers must have shape"):
        km.update(X0, np.zeros(30, int), 3, centers=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="labels must lie in"):
        km.inertia(X0, C, np.full(30, -1))
    with pytest.raises(ValueError, match="k = 40"):
        km.kmeans_plus_plus(X0, 40)
    with pytest.raises(ValueError, match="n_local_trials"):
        km.kmeans_plus_plus(X0, 2, n_local_trials=0)
    with pytest.raises(ValueError, match="k"):
        km.random_init(X0, 0)


def test_quantize_bad_input():
    img = photo()
    with pytest.raises(ValueError, match="image must have shape"):
        km.quantize(img[..., :2], 3)
    with pytest.raises(ValueError, match="image must have shape"):
        km.quantize(img[..., 0], 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        km.quantize(img.astype(np.float64), 3)
    with pytest.raises(ValueError, match="image contains NaN"):
        km.quantize(np.full((2, 2, 3), np.nan), 3)
    with pytest.raises(ValueError, match="dtype"):
        km.quantize(img.astype(np.int32), 3)
    with pytest.raises(ValueError, match="k = 10"):
        km.quantize(img[:3, :3], 10)
    with pytest.raises(ValueError, match="sample_size"):
        km.quantize(img, 3, sample_size=0)
    with pytest.raises(ValueError, match="backend"):
        km.quantize(img, 3, backend="gpu")


@pytest.mark.parametrize("d", [1, 2, 3, 6])
def test_kernel_serial_and_parallel_paths_agree_with_numpy(d, monkeypatch):
    from coursekit import _kmeans_kernels as kern

    X = blobs(21 + d, 3001, d, 4, 3.0)  # 3001: the last chunk is shorter
    C = X[:4].copy()
    labels_np, obj_np, sums_np, counts_np = km._numpy_step(X, C)
    results = []
    for work in (0, 1 << 62):  # always parallel, always serial
        monkeypatch.setattr(kern, "_SERIAL_WORK", work)
        results.append(kern.lloyd_step(X, C))
    for labels, obj, sums, counts in results:
        np.testing.assert_array_equal(labels, labels_np)
        np.testing.assert_array_equal(counts, counts_np)
        np.testing.assert_allclose(sums, sums_np, rtol=1e-12, atol=1e-12)
        assert obj == pytest.approx(obj_np, rel=1e-12)
    np.testing.assert_array_equal(results[0][2], results[1][2])  # same chunks: bit for bit
    assert results[0][1] == results[1][1]


def test_kmeans_plus_plus_compiled_distances_agree(monkeypatch):
    X = blobs(22, 5000, 4, 6, 3.0)
    X[7] = X[3]  # a duplicate must still be at distance exactly 0 from its twin
    picks = []
    for size in (0, 1 << 62):  # compiled distances always / never
        monkeypatch.setattr(km, "_NUMBA_SEEDING_MIN_SIZE", size)
        picks.append(km.kmeans_plus_plus(X, 6, rng=4))
    np.testing.assert_array_equal(picks[0], picks[1])
    from coursekit._kmeans_kernels import sq_distances_to_rows

    d2 = sq_distances_to_rows(X, X[[3, 10]])
    np.testing.assert_allclose(d2, cdist(X[[3, 10]], X, "sqeuclidean"), rtol=1e-12, atol=1e-12)
    assert d2[0, 7] == 0.0


@pytest.mark.slow
def test_kernels_work_without_a_writable_cache():
    # With no cache location numba refuses cache=True at decoration time; the kernels must
    # then compile without caching (a read-only install, e.g. an autograder sandbox).
    import subprocess
    import sys

    code = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []  # no writable cache location anywhere\n"
        "import numpy as np\n"
        "from coursekit._kmeans_kernels import lloyd_step\n"
        "X = np.arange(12.0).reshape(6, 2)\n"
        "labels, obj, sums, counts = lloyd_step(X, X[[0, 5]])\n"
        "print(labels.tolist(), counts.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "[0, 0, 0, 1, 1, 1] [3.0, 3.0]"


# ------------------------------------------------------------------------------------------
# The kd-tree filtering algorithm (algorithm="filter"): exact, so the same iterations as Lloyd


ALGORITHMS = ["filter", "lloyd"]


@pytest.fixture
def small_leaves(monkeypatch):
    """Leaves of one point: the deepest trees, where every decision is a box test."""
    from coursekit import kmeans_filter

    monkeypatch.setattr(kmeans_filter, "DEFAULT_LEAF_SIZE", 1)


# (seed, n, d, k, spread): d = 1 .. 8, well separated to overlapping
FILTER_CASES = [
    (30, 3000, 1, 6, 2.0),
    (31, 4000, 2, 10, 3.0),
    (32, 2500, 3, 20, 4.0),
    (33, 3000, 4, 8, 3.0),
    (34, 2000, 5, 5, 1.0),
    (35, 2000, 6, 12, 5.0),
    (36, 1500, 7, 4, 2.0),
    (37, 2000, 8, 9, 6.0),
]


@pytest.mark.parametrize("seed, n, d, k, spread", FILTER_CASES)
@pytest.mark.parametrize("tol", [1e-4, 0.0])
def test_filter_matches_sklearn_lloyd_from_same_init(seed, n, d, k, spread, tol):
    X = blobs(seed, n, d, k, spread)
    init = X[np.random.default_rng(seed).choice(n, k, replace=False)]
    ref = sklearn_fit(X, init, tol=tol)
    res = km.kmeans(X, k, init=init, tol=tol, algorithm="filter")
    lloyd = km.kmeans(X, k, init=init, tol=tol, algorithm="lloyd", backend="numba")
    assert res.algorithm == "filter" and lloyd.algorithm == "lloyd"
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert res.n_iter == ref.n_iter_ == lloyd.n_iter
    assert res.converged
    np.testing.assert_array_equal(res.labels, lloyd.labels)
    # Fewer distance computations than Lloyd's N K in every pass at d <= 3.
    if d <= 3:
        assert all(s.distance_computations < n * k for s in res.stats)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_filter_with_one_point_leaves_matches_sklearn(d, small_leaves):
    X = blobs(40 + d, 1200, d, 6, 2.5)
    init = X[:6].copy()
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, 6, init=init, algorithm="filter")
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.n_iter == ref.n_iter_


@pytest.mark.parametrize("leaf_size", [1, 16])
def test_filter_exact_ties_go_to_the_lowest_index(leaf_size, monkeypatch):
    from coursekit import kmeans_filter

    monkeypatch.setattr(kmeans_filter, "DEFAULT_LEAF_SIZE", leaf_size)
    # 1-D: the point 2 is exactly half-way between the centres 1 and 3, so it joins centre 0
    # whichever of the two centres comes first.
    X = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    a = km.kmeans(X, 2, init=[[1.0], [3.0]], algorithm="filter")
    np.testing.assert_array_equal(a.history[1], [[1.0], [3.5]])
    b = km.kmeans(X, 2, init=[[3.0], [1.0]], algorithm="filter")
    np.testing.assert_array_equal(b.history[1], [[3.0], [0.5]])
    # 2-D: an integer grid and centres at its corners, so whole lines of points are tied
    # (integers: every distance is exact, in scikit-learn's formula as well).
    g = np.arange(5.0)
    grid = np.array([(x, y) for x in g for y in g])
    grid = np.repeat(grid, 3, axis=0)  # with duplicates
    corners = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]])
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        init = corners[order]
        first = km.assign(grid, init)
        expected = np.argmin(cdist(grid, init, "sqeuclidean"), axis=1)  # numpy: first minimum
        np.testing.assert_array_equal(first, expected)
        res = km.kmeans(grid, 4, init=init, algorithm="filter", keep_label_history=True)
        ref = sklearn_fit(grid, init)
        np.testing.assert_array_equal(res.label_history[0], expected)
        np.testing.assert_array_equal(res.labels, ref.labels_)
        np.testing.assert_array_equal(res.centers, ref.cluster_centers_)
        assert res.n_iter == ref.n_iter_


@pytest.mark.parametrize("d", range(1, 9))
@pytest.mark.parametrize("leaf_size", [1, 32])
def test_filter_matches_sklearn_with_ties_duplicates_and_an_empty_cluster(d, leaf_size, monkeypatch):
    from coursekit import kmeans_filter

    monkeypatch.setattr(kmeans_filter, "DEFAULT_LEAF_SIZE", leaf_size)
    # Integer points, each twice, whose mean is exactly 0: scikit-learn centres the data
    # before fitting, and only then are its distances exact too, so exact ties stay ties.
    # The last point (minus the sum of the others) is the unique farthest one: scikit-learn
    # relocates an empty cluster to a farthest point chosen by argpartition, in no stated
    # order among equally far points.
    Z = np.random.default_rng(d).integers(-3, 4, size=(300, d)).astype(float)
    X = np.repeat(np.vstack([Z, -Z.sum(axis=0)]), 2, axis=0)
    e = np.zeros(d)
    e[0] = 2.0
    init = np.vstack([e, -e, e, np.zeros(d)])  # centre 2 repeats centre 0: it loses every tie
    d2 = cdist(X, init, "sqeuclidean")
    first = np.argmin(d2, axis=1)
    assert np.count_nonzero((d2 == d2.min(axis=1, keepdims=True)).sum(axis=1) > 1) > 100  # ties
    assert 2 not in first  # an empty cluster at the first step
    ref = sklearn_fit(X, init, tol=0.0)
    res = km.kmeans(X, 4, init=init, tol=0.0, algorithm="filter", keep_label_history=True)
    lloyd = km.kmeans(X, 4, init=init, tol=0.0, algorithm="lloyd", backend="numba", keep_label_history=True)
    np.testing.assert_array_equal(res.label_history[0], first)
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert res.n_iter == ref.n_iter_ == lloyd.n_iter
    for a, b in zip(res.label_history, lloyd.label_history):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "name",
    ["collinear in 8-D", "a plane in 5-D", "k = n", "one point", "two distinct points, k = 3", "tiny scale",
     "huge scale", "coordinates of very different scales"],
)
def test_filter_on_degenerate_data_matches_sklearn(name):
    rng = np.random.default_rng(7)
    t = rng.normal(size=(1500, 2))
    if name == "collinear in 8-D":
        X, k = 3.0 + np.outer(t[:, 0], np.arange(1.0, 9.0)), 5
    elif name == "a plane in 5-D":
        X, k = t @ rng.normal(size=(2, 5)), 6
    elif name == "k = n":
        X, k = blobs(3, 40, 3, 4), 40
    elif name == "one point":
        X, k = np.array([[1.0, -2.0, 3.0]]), 1
    elif name == "two distinct points, k = 3":
        X, k = np.repeat([[0.0, 1.0], [2.0, 5.0]], 200, axis=0), 3
    elif name == "tiny scale":
        X, k = blobs(4, 2000, 3, 4) * 1e-150, 4
    elif name == "huge scale":
        X, k = blobs(4, 2000, 3, 4) * 1e150, 4
    else:
        X, k = blobs(5, 3000, 4, 5), 5
        X[:, 0] *= 1e8
        X[:, 3] *= 1e-8
    init = X[np.linspace(0, len(X) - 1, k).astype(int)] if name != "two distinct points, k = 3" else \
        np.array([[0.0, 1.0], [2.0, 5.0], [9.0, 9.0]])
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, k, init=init, algorithm="filter")
    lloyd = km.kmeans(X, k, init=init, algorithm="lloyd", backend="numba")
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_array_equal(res.labels, lloyd.labels)
    assert res.n_iter == lloyd.n_iter
    scale = np.abs(X).max(axis=0)
    if name != "two distinct points, k = 3":  # scikit-learn moves the empty centre elsewhere
        np.testing.assert_allclose(res.centers / scale, ref.cluster_centers_ / scale, rtol=0, atol=1e-9)
        assert res.n_iter == ref.n_iter_
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9, abs=1e-300)
    assert np.all(np.isfinite(res.centers))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_filter_duplicates_and_empty_cluster_like_sklearn(algorithm):
    # Every point three times over, and a centre far away that owns nothing at first: it is
    # relocated to the point farthest from its centre (the first of the tied copies).
    X = np.repeat(blobs(50, 400, 2, 3, 1.0), 3, axis=0)
    init = np.vstack([X[:2], [[50.0, 50.0]]])
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, 3, init=init, algorithm=algorithm)
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert res.n_iter == ref.n_iter_


def test_filter_all_points_equal():
    X = np.full((300, 3), 2.5)
    init = np.array([[2.5, 2.5, 2.5], [0.0, 0.0, 0.0], [2.5, 2.5, 2.5]])
    for algorithm in ALGORITHMS:
        res = km.kmeans(X, 3, init=init, algorithm=algorithm)
        np.testing.assert_array_equal(res.labels, 0)  # tie between centres 0 and 2: the lower
        assert res.inertia == 0.0
        np.testing.assert_array_equal(res.centers, init)  # empty clusters keep their centre
    ref = sklearn_fit(X, init)
    np.testing.assert_array_equal(res.labels, ref.labels_)


@pytest.mark.parametrize("d", [2, 3, 6])
def test_filter_constant_coordinate_matches_sklearn(d):
    X = blobs(60 + d, 2000, d, 5, 2.0)
    X[:, 1] = 7.0  # a box of zero width along one axis at every node
    init = X[[0, 10, 20, 30, 40]].copy()
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, 5, init=init, algorithm="filter")
    np.testing.assert_array_equal(res.labels, ref.labels_)
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert res.n_iter == ref.n_iter_


def test_filter_far_from_the_origin_matches_sklearn():
    # Large coordinates, small spreads: the pruning test's rounding is relative to the box,
    # not to the coordinates.
    X = 1e6 + blobs(70, 2000, 2, 4, 0.5) * 1e-3
    init = X[[0, 1, 2, 3]].copy()
    ref = sklearn_fit(X, init, tol=0.0)
    res = km.kmeans(X, 4, init=init, tol=0.0, algorithm="filter")
    lloyd = km.kmeans(X, 4, init=init, tol=0.0, algorithm="lloyd", backend="numba")
    np.testing.assert_array_equal(res.labels, lloyd.labels)
    assert res.n_iter == lloyd.n_iter
    np.testing.assert_array_equal(res.labels, ref.labels_)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_filter_on_float32_and_integer_input_matches_sklearn(dtype):
    # The filter path converts its input as the Lloyd path does (float64), so the same run
    # follows; scikit-learn computes float32 in float32, hence the looser tolerance there.
    X = (blobs(9, 3000, 3, 5, 2.0) * (1 if dtype == np.float32 else 10)).astype(dtype)
    init = X[[3, 50, 500, 900, 2000]]
    ref = sklearn_fit(X, init)
    res = km.kmeans(X, 5, init=init, algorithm="filter")
    lloyd = km.kmeans(X, 5, init=init, algorithm="lloyd", backend="numba")
    assert res.centers.dtype == np.float64 and res.algorithm == "filter"
    np.testing.assert_array_equal(res.labels, lloyd.labels)
    np.testing.assert_array_equal(res.labels, ref.labels_)
    assert res.n_iter == lloyd.n_iter == ref.n_iter_
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(res.centers, ref.cluster_centers_, rtol=tol, atol=tol)
    assert res.inertia == pytest.approx(ref.inertia_, rel=tol)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(2, 80), st.integers(1, 8)), elements=st.integers(-4, 4).map(float)),
    k=st.integers(1, 7),
    leaf=st.sampled_from([1, 2, 5, 16]),
    seed=seeds,
)
def test_filter_equals_lloyd_on_integer_data_with_ties(X, k, leaf, seed):
    # Small integer coordinates: duplicates, exact ties everywhere, and sums that are exact in
    # any order, so the filter and Lloyd's kernel must agree bit for bit at every iteration.
    from coursekit import kmeans_filter

    k = min(k, len(X))
    init = X[np.random.default_rng(seed).choice(len(X), k, replace=False)]
    old = kmeans_filter.DEFAULT_LEAF_SIZE
    kmeans_filter.DEFAULT_LEAF_SIZE = leaf
    try:
        res = km.kmeans(X, k, init=init, tol=0, algorithm="filter", keep_label_history=True)
    finally:
        kmeans_filter.DEFAULT_LEAF_SIZE = old
    ref = km.kmeans(X, k, init=init, tol=0, algorithm="lloyd", backend="numba", keep_label_history=True)
    assert res.n_iter == ref.n_iter
    for a, b in zip(res.label_history, ref.label_history):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(res.history, ref.history):
        np.testing.assert_array_equal(a, b)
    # ... and the first assignment is numpy's first-minimum argmin of the exact distances.
    np.testing.assert_array_equal(res.label_history[0], np.argmin(cdist(X, init, "sqeuclidean"), axis=1))


def test_filter_n_init_history_and_warning_like_lloyd():
    X = blobs(80, 3000, 2, 6, 3.0)
    a = km.kmeans(X, 6, init="random", n_init=4, rng=2, algorithm="filter", keep_label_history=True)
    b = km.kmeans(X, 6, init="random", n_init=4, rng=2, algorithm="lloyd", keep_label_history=True)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.n_iter == b.n_iter and len(a.label_history) == len(b.label_history)
    for la, lb in zip(a.label_history, b.label_history):
        np.testing.assert_array_equal(la, lb)
    np.testing.assert_allclose(a.inertia_history, b.inertia_history, rtol=1e-12)
    assert len(a.stats) in (a.n_iter, a.n_iter + 1) and b.stats is None
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        c = km.kmeans(X, 6, init=X[:6], max_iter=2, algorithm="filter")
    ref = sklearn_fit(X, X[:6], max_iter=2)
    assert not c.converged and c.n_iter == 2
    np.testing.assert_array_equal(c.labels, ref.labels_)


@pytest.fixture
def trees_built(monkeypatch):
    """The (n, d) of every kd-tree built while the test runs."""
    import coursekit.kmeans_filter as kf

    built = []
    original = kf.KDTree.__init__

    def spy(self, X, leaf_size=kf.DEFAULT_LEAF_SIZE):
        built.append(X.shape)
        original(self, X, leaf_size)

    monkeypatch.setattr(kf.KDTree, "__init__", spy)
    return built


def test_auto_algorithm_picks_by_shape(trees_built):
    built = trees_built
    small = km.kmeans(blobs(0, 300, 2, 3), 3, rng=0)  # homework size: NumPy Lloyd, no numba
    assert small.algorithm == "lloyd" and built == []
    low_d = km.kmeans(blobs(0, 30_000, 2, 5), 5, rng=0)
    assert low_d.algorithm == "filter" and built == [(30_000, 2)]
    # d = 16: Lloyd first; this run ends long before a tree would have paid for itself.
    assert km._passes_worth_a_tree(30_000, 5) == 20
    mid_d = km.kmeans(blobs(0, 30_000, 16, 5), 5, rng=0)
    assert mid_d.algorithm == "lloyd" and mid_d.n_iter < 20 and len(built) == 1 and mid_d.stats is None
    high_d = km.kmeans(blobs(0, 30_000, 24, 5), 5, rng=0)
    assert high_d.algorithm == "lloyd" and len(built) == 1
    forced = km.kmeans(blobs(0, 30_000, 2, 5), 5, rng=0, backend="numpy")
    assert forced.algorithm == "lloyd"
    few_centres = km.kmeans(blobs(0, 30_000, 2, 3), 3, rng=0)
    assert few_centres.algorithm == "lloyd" and len(built) == 1


def _handed_over_after(stats, n, k):
    """The documented rule: the filter pass after which auto hands over to Lloyd's kernel (1-based;
    None if it never does): one pass above 2 * threshold * n k, or two in a row above threshold."""
    costly = 0
    for p, s in enumerate(stats, 1):
        work = s.distance_computations / (n * k)
        costly = costly + 1 if work > km._FILTER_MAX_WORK else 0
        if costly == 2 or work > 2 * km._FILTER_MAX_WORK:
            return p
    return None


def _same_run(a, b):
    assert a.n_iter == b.n_iter and a.converged == b.converged
    assert len(a.label_history) == len(b.label_history)
    for la, lb in zip(a.label_history, b.label_history):
        np.testing.assert_array_equal(la, lb)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-10, atol=1e-12)
    assert a.inertia == pytest.approx(b.inertia, rel=1e-10)


def test_auto_hands_over_to_lloyd_when_the_tree_does_not_separate_the_data():
    # Uniform points in 8 dimensions: the filter's passes compute too large a share of Lloyd's
    # n k distances, so auto continues with Lloyd's kernel; on blobs it keeps the filter.  Either
    # way the iterations are Lloyd's.
    X = np.random.default_rng(3).uniform(size=(20_000, 8))
    init = km.kmeans_plus_plus(X, 12, rng=0)
    with pytest.warns(ConvergenceWarning):
        auto = km.kmeans(X, 12, init=init, tol=0, max_iter=15, algorithm="auto", keep_label_history=True)
    with pytest.warns(ConvergenceWarning):
        lloyd = km.kmeans(X, 12, init=init, tol=0, max_iter=15, algorithm="lloyd", keep_label_history=True)
    assert auto.algorithm == "lloyd" and len(auto.stats) == _handed_over_after(auto.stats, 20_000, 12) <= 2
    _same_run(auto, lloyd)
    Xb = blobs(5, 20_000, 8, 12, 1.0)
    init = km.kmeans_plus_plus(Xb, 12, rng=0)
    auto = km.kmeans(Xb, 12, init=init, algorithm="auto", keep_label_history=True)
    lloyd = km.kmeans(Xb, 12, init=init, algorithm="lloyd", keep_label_history=True)
    assert auto.algorithm == "filter" and len(auto.stats) >= auto.n_iter
    assert all(s.distance_computations <= km._FILTER_MAX_WORK * 20_000 * 12 for s in auto.stats)
    _same_run(auto, lloyd)


@pytest.mark.parametrize("spread, finishes_on", [(1.0, "filter"), (2.0, "lloyd")])
def test_auto_in_12_dimensions_builds_the_tree_once_a_run_outlasts_its_cost(spread, finishes_on, trees_built):
    # A long run (a poor start): Lloyd's kernel for the passes a tree costs, then the tree.  On
    # separated blobs the filter finishes the run; on overlapping ones its passes compute too
    # many distances and Lloyd's kernel takes the run back.  The iterations are Lloyd's.
    X = blobs(5, 20_000, 12, 12, spread)
    init = X[:12].copy()
    m = km._passes_worth_a_tree(20_000, 12)
    auto = km.kmeans(X, 12, init=init, tol=0, algorithm="auto", keep_label_history=True)
    lloyd = km.kmeans(X, 12, init=init, tol=0, algorithm="lloyd", keep_label_history=True)
    _same_run(auto, lloyd)
    assert auto.n_iter > m and trees_built == [(20_000, 12)]
    assert auto.algorithm == finishes_on
    if finishes_on == "filter":
        # every pass after the first m was the filter's (the final assignment needs none here)
        assert len(auto.stats) in (auto.n_iter - m, auto.n_iter - m + 1)
        assert all(s.distance_computations <= km._FILTER_MAX_WORK * 20_000 * 12 for s in auto.stats)
    else:
        assert len(auto.stats) == _handed_over_after(auto.stats, 20_000, 12) <= 2


def test_auto_reuses_its_tree_in_later_runs(trees_built):
    X = blobs(5, 20_000, 12, 12, 0.5)
    auto = km.kmeans(X, 12, init="random", n_init=3, rng=4, tol=0, algorithm="auto", keep_label_history=True)
    lloyd = km.kmeans(X, 12, init="random", n_init=3, rng=4, tol=0, algorithm="lloyd", keep_label_history=True)
    _same_run(auto, lloyd)
    assert trees_built == [(20_000, 12)]  # built in the first long run, never again
    assert auto.algorithm == "filter" and len(auto.stats) >= auto.n_iter  # the best run: all filter


def test_auto_keeps_the_filter_after_one_costly_pass_from_a_poor_start():
    # All twelve centres start in one blob: the first pass has boundaries through dense points
    # everywhere and costs more than the threshold, the next ones far less.
    rng = np.random.default_rng(6)
    means = rng.normal(0, 4, size=(12, 8))
    z = rng.integers(12, size=20_000)
    X = means[z] + 0.5 * rng.normal(size=(20_000, 8))
    init = X[np.flatnonzero(z == 0)[:12]]
    auto = km.kmeans(X, 12, init=init, tol=0, algorithm="auto", keep_label_history=True)
    lloyd = km.kmeans(X, 12, init=init, tol=0, algorithm="lloyd", keep_label_history=True)
    _same_run(auto, lloyd)
    work = [s.distance_computations / (20_000 * 12) for s in auto.stats]
    assert 2 * km._FILTER_MAX_WORK >= work[0] > km._FILTER_MAX_WORK >= max(work[1:])
    assert auto.algorithm == "filter" and len(auto.stats) >= auto.n_iter


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(algorithm="elkan"), "algorithm must be one of"),
        (dict(algorithm=None), "algorithm must be one of"),
        (dict(algorithm="filter", backend="numpy"), "algorithm='filter' runs only compiled"),
    ],
)
def test_algorithm_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        km.kmeans(X0, 3, **kwargs)


@pytest.mark.parametrize("algorithm", ["filter", "auto"])
@pytest.mark.parametrize("kwargs, exc, match", BAD_KMEANS_INPUT)
def test_filter_bad_input_same_errors_as_lloyd(algorithm, kwargs, exc, match):
    # Word for word the error of algorithm="lloyd", raised before any tree is built.
    args = dict(X=X0, k=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match) as lloyd:
        km.kmeans(**args, algorithm="lloyd")
    with pytest.raises(exc) as other:
        km.kmeans(**args, algorithm=algorithm)
    assert str(other.value) == str(lloyd.value)


# ------------------------------------------------------------------------------------------
# The tree and one traced pass


def test_prunes_rule_against_sampled_box():
    rng = np.random.default_rng(0)
    from coursekit.kmeans_filter import prunes

    for _ in range(300):
        d = rng.integers(1, 4)
        lo = rng.normal(size=d)
        hi = lo + rng.uniform(0, 2, size=d)
        best, other = rng.normal(0, 2, size=(2, d))
        corners = np.array(np.meshgrid(*[[l, h] for l, h in zip(lo, hi)])).reshape(d, -1).T
        inside = lo + rng.uniform(size=(200, d)) * (hi - lo)
        pts = np.vstack([corners, inside])
        farther_everywhere = np.all(((pts - other) ** 2).sum(1) > ((pts - best) ** 2).sum(1))
        assert prunes(lo, hi, best, other) == farther_everywhere


def test_tree_structure_and_traced_pass_against_cdist():
    from coursekit.kmeans_filter import build_tree

    X = blobs(90, 5000, 2, 8, 1.5)
    X[:50] = X[0]  # a leaf of 50 equal points (cannot be split)
    tree = build_tree(X, leaf_size=8)
    Xt = X[tree.perm]
    np.testing.assert_array_equal(np.sort(tree.perm), np.arange(5000))
    for u in range(tree.n_nodes):
        pts = Xt[tree.start[u]:tree.end[u]]
        np.testing.assert_array_equal(tree.lo[u], pts.min(axis=0))  # tight boxes
        np.testing.assert_array_equal(tree.hi[u], pts.max(axis=0))
        assert tree.count[u] == len(pts)
        np.testing.assert_allclose(tree.sums[u], pts.sum(axis=0), rtol=1e-12)
        if tree.left[u] >= 0:
            a, b = tree.left[u], tree.right[u]
            assert tree.start[a] == tree.start[u] and tree.end[a] == tree.start[b] and tree.end[b] == tree.end[u]
        else:
            assert len(pts) <= 8 or np.all(pts == pts[0])
    C = X[[3, 900, 1800, 2700, 3600, 4500]]
    trace = tree.assign(C, trace=True)
    np.testing.assert_array_equal(trace.labels, np.argmin(cdist(X, C, "sqeuclidean"), axis=1))
    # Every point is covered exactly once: by a node settled whole or a leaf checked point by point.
    covered = np.zeros(5000, int)
    for u in np.flatnonzero((trace.state == 1) | (trace.state == 3)):
        covered[tree.perm[tree.start[u]:tree.end[u]]] += 1
        if trace.state[u] == 1:
            assert np.all(trace.labels[tree.perm[tree.start[u]:tree.end[u]]] == trace.owner[u])
    np.testing.assert_array_equal(covered, 1)
    assert trace.state[0] == 2 and np.all(trace.candidates[trace.state == 1] == 1)
    s = trace.stats
    assert s.points_settled == trace.count[trace.state == 1].sum()
    assert s.nodes_visited == np.count_nonzero(trace.state)
    assert s.distance_computations < 5000 * 6 / 5
    # A second pass to the same centres changes nothing and gives the same answer.
    assert np.array_equal(tree.assign(C), trace.labels)


def test_build_tree_bad_input():
    from coursekit.kmeans_filter import build_tree

    with pytest.raises(ValueError, match="leaf_size"):
        build_tree(X0, leaf_size=0)
    with pytest.raises(ValueError, match="X contains NaN"):
        build_tree(np.full((4, 2), np.nan))
    tree = build_tree(X0)
    with pytest.raises(ValueError, match="centers must have shape"):
        tree.assign(np.zeros((3, 3)))


@pytest.mark.parametrize("X, leaf_size, error, match", [
    (X0, 0, ValueError, "leaf_size"),
    (X0, 2.5, TypeError, "leaf_size"),
    (np.full((4, 2), np.nan), 8, ValueError, "X contains NaN"),
    (np.zeros((0, 2)), 8, ValueError, "X"),
    ([["a", "b"]], 8, (TypeError, ValueError), "X"),
])
def test_kdtree_class_validates_like_build_tree(X, leaf_size, error, match):
    # KDTree is public and built directly too: the same clear errors as build_tree, no numba crash.
    from coursekit.kmeans_filter import KDTree

    with pytest.raises(error, match=match):
        KDTree(X, leaf_size=leaf_size)


def test_homework_sized_problems_never_load_numba():
    # A fresh process: k-means (default algorithm) and a GMM fit on homework-sized data must not
    # import numba at all (its start-up costs seconds; the compiled paths are for large data).
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from coursekit import kmeans, mixture, datasets\n"
        "X = datasets.old_faithful().data\n"
        "r = kmeans.kmeans(X, 2, rng=0)\n"
        "g = mixture.fit(X, 2, rng=0)\n"
        "big = np.random.default_rng(0).normal(size=(2000, 2))\n"
        "kmeans.kmeans(big, 5, rng=0)\n"
        "print(r.algorithm, 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["lloyd", "False"]
