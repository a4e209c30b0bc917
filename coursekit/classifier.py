"""The Gaussian Bayes classifier: one Gaussian per class, and Bayes' rule.

``P(y = c | x) = p(x | y = c) P(y = c) / p(x)`` with ``p(x | y = c) = N(x | mu_c, Sigma_c)``,
all fitted by maximum likelihood (class frequencies, class means, 1/N_c class covariances).
Computed in log space; the normaliser ``p(x)`` is a log-sum-exp over classes.

Covariance structures (the lecture's parameter counts for d inputs, per class):

* ``"full"``: general Sigma_c, d(d + 1)/2 parameters;
* ``"diag"``: axis-aligned, the diagonal of Sigma_c, d parameters ("naive Bayes");
* ``"spherical"``: sigma_c^2 I with sigma_c^2 the mean of that diagonal, 1 parameter.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from . import gaussian
from ._validation import check_covariance_type, check_positive_float, check_X

__all__ = ["GaussianBayesClassifier"]


class GaussianBayesClassifier:
    """Gaussian class-conditional densities combined with class priors by Bayes' rule.

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical"}
        Structure of each class covariance (see the module docstring).
    reg_covar : float
        Non-negative number added to the diagonal of every class covariance.  The default 0
        gives the pure maximum-likelihood fit; use a small positive value when a class has
        too few points (n_c <= d) or collinear points for its covariance to be invertible.

    Attributes
    ----------
    classes_ : ndarray, shape (c,)
        Sorted distinct labels seen in ``fit`` (any sortable type: ints, strings, ...).
    priors_ : ndarray, shape (c,)
        Class frequencies N_c / N.
    means_ : ndarray, shape (c, d)
        Class means.
    covariances_ : ndarray, shape (c, d, d)
        Class covariances (1/N_c, restricted to ``covariance_type``, plus ``reg_covar`` I),
        full matrices whatever the type.
    """

    def __init__(self, covariance_type="full", reg_covar=0.0):
        self.covariance_type = check_covariance_type(covariance_type)
        self.reg_covar = check_positive_float(reg_covar, "reg_covar", allow_zero=True)

    def __repr__(self):
        return f"GaussianBayesClassifier(covariance_type={self.covariance_type!r}, reg_covar={self.reg_covar!r})"

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y):
        """Fit one Gaussian per class by maximum likelihood.

        Parameters
        ----------
        X : array-like, shape (N, D) or (N,)
        y : array-like, shape (N,)
            Class labels; at least two distinct classes.

        Returns
        -------
        self
        """
        X = check_X(X)
        n, d = X.shape
        y = self._check_y(y, n)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(f"y must contain at least two classes, got {classes.shape[0]}")
        c = classes.shape[0]
        counts = np.bincount(y_idx, minlength=c)
        means = np.empty((c, d))
        covs = np.empty((c, d, d))
        for j in range(c):
            mean, cov = gaussian.fit_mle(X[y_idx == j])
            if self.covariance_type == "diag":
                cov = np.diag(np.diag(cov))
            elif self.covariance_type == "spherical":
                cov = np.eye(d) * np.mean(np.diag(cov))
            cov[np.diag_indices(d)] += self.reg_covar
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"the covariance of class {classes[j]!r} ({counts[j]} point(s) in d = {d}) is singular; "
                    "use a positive reg_covar or a simpler covariance_type"
                ) from None
            means[j], covs[j] = mean, cov
        self.classes_ = classes
        self.priors_ = counts / n
        self.means_ = means
        self.covariances_ = covs
        self.n_features_ = d
        return self

    @staticmethod
    def _check_y(y, n):
        if isinstance(y, (str, bytes)) or y is None:
            raise TypeError(f"y must be an array-like of labels, got {type(y).__name__}")
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must have shape (n,) = ({n},), got {y.shape}")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity")
        if y.dtype == object and any(v is None for v in y):
            raise ValueError("y contains missing labels (None)")
        return y

    def _check_fitted(self):
        if not hasattr(self, "classes_"):
            raise RuntimeError("this GaussianBayesClassifier is not fitted yet: call fit(X, y) first")

    def _check_fitted_X(self, X):
        self._check_fitted()
        X = check_X(X)
        if X.shape[1] != self.n_features_:
            raise ValueError(f"X has {X.shape[1]} columns but the classifier was fitted with d = {self.n_features_}")
        return X

    def n_parameters(self):
        """Number of free parameters: (c - 1) priors + c d means + c x (covariance parameters).

        Returns
        -------
        int
        """
        self._check_fitted()
        c, d = self.means_.shape
        cov = {"full": d * (d + 1) // 2, "diag": d, "spherical": 1}[self.covariance_type]
        return int(c - 1 + c * d + c * cov)

    # ------------------------------------------------------------------ prediction

    def joint_log_likelihood(self, X):
        """``log p(x | y = c) + log P(y = c)`` for every point and class.

        Returns
        -------
        ndarray, shape (n, c)
        """
        X = self._check_fitted_X(X)
        return np.column_stack(
            [np.log(p) + gaussian._logpdf(X, m, s) for p, m, s in zip(self.priors_, self.means_, self.covariances_)]
        )

    def predict_log_proba(self, X):
        """Log posterior class probabilities ``log P(y = c | x)``.

        Returns
        -------
        ndarray, shape (n, c)
            Columns in the order of ``classes_``.
        """
        joint = self.joint_log_likelihood(X)
        return joint - logsumexp(joint, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Posterior class probabilities ``P(y = c | x)`` by Bayes' rule.

        Parameters
        ----------
        X : array-like, shape (N, D) or (N,)

        Returns
        -------
        ndarray, shape (n, c)
            Rows sum to 1; columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of each point (the Bayes decision).

        Returns
        -------
        ndarray, shape (N,)
            Labels from ``classes_``.
        """
        joint = self.joint_log_likelihood(X)
        return self.classes_[np.argmax(joint, axis=1)]

    def score(self, X, y):
        """Accuracy: the fraction of points whose predicted class equals y.

        Returns
        -------
        float
        """
        X = self._check_fitted_X(X)
        y = self._check_y(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))
