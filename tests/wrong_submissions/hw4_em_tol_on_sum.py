"""EM that compares the improvement of the sum (not per point) with tol."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'em_gmm': '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    X = np.asarray(X, dtype=float)
    N = X.shape[0]
    w, m, c = init_weights, init_means, init_covs

    def loglik(w, m, c):
        return float(np.sum(logsumexp(np.stack([np.log(wk) + gaussian_logpdf(X, mk, ck)
                                                for wk, mk, ck in zip(w, m, c)], axis=1), axis=1)))

    lls = [loglik(w, m, c)]
    for _ in range(max_iter):
        w, m, c = m_step(X, e_step(X, w, m, c))
        lls.append(loglik(w, m, c))
        if lls[-1] - lls[-2] < tol:
            break
    return w, m, c, lls
''',
}

EXPECTED = {
    'test_em_gmm_visible': 'compares the improvement of the sum ℓ with tol',
    'test_em_gmm_stopping': 'compares the improvement of the sum ℓ with tol',
}
