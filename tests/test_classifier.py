"""GaussianBayesClassifier against Bayes' rule with scipy densities, QDA and GaussianNB."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.naive_bayes import GaussianNB

from coursekit.classifier import GaussianBayesClassifier

COV_TYPES = ["full", "diag", "spherical"]


def three_classes(seed=0, d=2, n=(60, 90, 50)):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c, m in enumerate(n):
        A = rng.normal(size=(d, d)) + 1.5 * np.eye(d)
        X.append(rng.normal(size=(m, d)) @ A + rng.normal(scale=3.0, size=d))
        y += [c] * m
    return np.vstack(X), np.array(y)


def bayes_rule_reference(X, y, X_test, covariance_type):
    """Posterior by hand: class frequencies, 1/N_c covariances, scipy densities, normalise."""
    classes = np.unique(y)
    joint = []
    for c in classes:
        Xc = X[y == c]
        cov = np.cov(Xc, rowvar=False, bias=True).reshape(X.shape[1], X.shape[1])
        if covariance_type == "diag":
            cov = np.diag(np.diag(cov))
        elif covariance_type == "spherical":
            cov = np.eye(X.shape[1]) * np.trace(cov) / X.shape[1]
        joint.append(len(Xc) / len(X) * stats.multivariate_normal(Xc.mean(axis=0), cov).pdf(X_test))
    joint = np.column_stack(joint)
    return joint / joint.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_posterior_is_bayes_rule_with_scipy_densities(covariance_type):
    X, y = three_classes()
    X_test = np.random.default_rng(1).normal(scale=4.0, size=(50, 2))
    clf = GaussianBayesClassifier(covariance_type).fit(X, y)
    ref = bayes_rule_reference(X, y, X_test, covariance_type)
    np.testing.assert_allclose(clf.predict_proba(X_test), ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(clf.predict(X_test), np.argmax(ref, axis=1))
    np.testing.assert_allclose(clf.priors_, [60 / 200, 90 / 200, 50 / 200])
    assert clf.covariances_.shape == (3, 2, 2)


def test_full_equals_qda():
    # scikit-learn 1.9's QDA (svd solver, reg_param=0) estimates the 1/N_c covariance, as we do.
    # (Older releases used 1/(N_c - 1); then only the means and priors would coincide.)
    X, y = three_classes(seed=2, d=3)
    X_test = np.random.default_rng(6).normal(scale=4.0, size=(60, 3))
    clf = GaussianBayesClassifier("full").fit(X, y)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    np.testing.assert_allclose(clf.priors_, qda.priors_, rtol=1e-12)
    np.testing.assert_allclose(clf.means_, qda.means_, rtol=1e-12)
    np.testing.assert_allclose(clf.covariances_, np.asarray(qda.covariance_), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X_test), qda.predict_proba(X_test), rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X_test), qda.predict(X_test))


def test_diag_equals_gaussian_naive_bayes_with_its_smoothing():
    # GaussianNB adds var_smoothing * max(feature variance) to every class variance.
    X, y = three_classes(seed=3, d=4)
    nb = GaussianNB(var_smoothing=1e-9).fit(X, y)
    eps = 1e-9 * np.var(X, axis=0).max()
    clf = GaussianBayesClassifier("diag", reg_covar=eps).fit(X, y)
    X_test = np.random.default_rng(4).normal(scale=3.0, size=(40, 4))
    np.testing.assert_allclose(clf.means_, nb.theta_, rtol=1e-12)
    np.testing.assert_allclose(np.diagonal(clf.covariances_, axis1=1, axis2=2), nb.var_, rtol=1e-12)
    np.testing.assert_allclose(clf.priors_, nb.class_prior_, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X_test), nb.predict_proba(X_test), rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X_test), nb.predict(X_test))


def test_string_labels_log_proba_and_score():
    X, yi = three_classes(seed=5)
    names = np.array(["Europe", "Japan", "USA"])
    y = names[yi]
    clf = GaussianBayesClassifier().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, names)
    assert set(clf.predict(X)) <= set(names)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X))
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    assert 0.8 < clf.score(X, y) <= 1.0


def test_one_dimensional_inputs():
    x = np.array([0.0, 0.5, 1.0, 5.0, 5.5, 6.5])
    y = [0, 0, 0, 1, 1, 1]
    clf = GaussianBayesClassifier().fit(x, y)
    v0, v1 = np.var(x[:3]), np.var(x[3:])
    p0 = stats.norm(0.5, np.sqrt(v0)).pdf(3.0)
    p1 = stats.norm(x[3:].mean(), np.sqrt(v1)).pdf(3.0)
    assert clf.predict_proba([3.0])[0, 0] == pytest.approx(p0 / (p0 + p1), rel=1e-10)


@pytest.mark.parametrize("covariance_type, per_class", [("full", 2 + 3), ("diag", 2 + 2), ("spherical", 2 + 1)])
def test_parameter_counts(covariance_type, per_class):
    X, y = three_classes()
    clf = GaussianBayesClassifier(covariance_type).fit(X, y)
    assert clf.n_parameters() == 2 + 3 * per_class


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), covariance_type=st.sampled_from(COV_TYPES), d=st.integers(1, 4))
def test_posteriors_are_probabilities_and_invariant_to_row_order(seed, covariance_type, d):
    X, y = three_classes(seed=seed % 10_000, d=d, n=(20, 25, 30))
    perm = np.random.default_rng(seed).permutation(len(y))
    a = GaussianBayesClassifier(covariance_type, reg_covar=1e-9).fit(X, y)
    b = GaussianBayesClassifier(covariance_type, reg_covar=1e-9).fit(X[perm], y[perm])
    P = a.predict_proba(X)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(b.predict_proba(X), P, rtol=1e-8, atol=1e-12)
    for c in a.covariances_:
        np.testing.assert_array_equal(c, c.T)
        assert np.all(np.linalg.eigvalsh(c) > 0)


# --------------------------------------------------------------------------- bad input

X3, Y3 = three_classes()


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: GaussianBayesClassifier("tied"), ValueError, "covariance_type"),
        (lambda: GaussianBayesClassifier(reg_covar=-1.0), ValueError, "reg_covar"),
        (lambda: GaussianBayesClassifier().fit(X3, Y3[:-1]), ValueError, "y"),
        (lambda: GaussianBayesClassifier().fit(X3, np.zeros(len(Y3))), ValueError, "y"),
        (lambda: GaussianBayesClassifier().fit(X3, np.where(Y3 == 0, np.nan, Y3)), ValueError, "y"),
        (lambda: GaussianBayesClassifier().fit(np.where(X3 > 2, np.nan, X3), Y3), ValueError, "X"),
        (lambda: GaussianBayesClassifier().fit(X3, "abc"), TypeError, "y"),
        (lambda: GaussianBayesClassifier().fit([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], [0, 0, 1]), ValueError,
         "reg_covar"),
        (lambda: GaussianBayesClassifier().predict(X3), RuntimeError, "fit"),
        (lambda: GaussianBayesClassifier().fit(X3, Y3).predict(np.zeros((2, 3))), ValueError, "X"),
        (lambda: GaussianBayesClassifier().fit(X3, Y3).score(X3, Y3[:5]), ValueError, "y"),
    ],
)
def test_bad_input_names_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()
