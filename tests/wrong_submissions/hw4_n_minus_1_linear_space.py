"""1/(N-1) covariances in the classifier and the M-step; an E-step normalised in linear space
(0/0 far from every component)."""

ASSIGNMENT = "hw4_em"

CELLS = {
    "fit_gaussian_bayes": '''
def fit_gaussian_bayes(X, y):
    classes = np.unique(y)
    priors = np.array([np.mean(y == c) for c in classes])
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    covs = np.array([np.cov(X[y == c], rowvar=False).reshape(X.shape[1], X.shape[1]) for c in classes])
    return classes, priors, means, covs
''',
    "m_step": '''
def m_step(X, resp):
    Nk = resp.sum(axis=0)
    means = resp.T @ X / Nk[:, None]
    covs = np.array([((resp[:, k, None] * (X - means[k])).T @ (X - means[k])) / (Nk[k] - 1)
                     for k in range(resp.shape[1])])
    return Nk / len(X), means, covs
''',
    "e_step": '''
def e_step(X, weights, means, covs):
    p = np.stack([w * np.exp(gaussian_logpdf(X, m, c)) for w, m, c in zip(weights, means, covs)], axis=1)
    return p / p.sum(axis=1, keepdims=True)
''',
}

EXPECTED = {
    "test_fit_gaussian_bayes_visible": "each class's 1/N covariance",
    "test_fit_gaussian_bayes_covs": "your covariance matches the 1/(N-1) estimator; the MLE divides by N",
    "test_m_step_visible": "covariances (k, d, d), divided by N_k",
    "test_m_step_covs": "your covariance matches the 1/(N_k - 1) estimator; the MLE divides by N_k",
    "test_e_step_log_space": "the responsibilities are NaN for points far from every component",
}
