"""Bayes prediction without the priors; EM that records summed (not mean) log-likelihoods."""

ASSIGNMENT = "hw4_em"

CELLS = {
    "predict_gaussian_bayes": '''
def predict_gaussian_bayes(X, classes, priors, means, covs):
    log_lik = np.stack([gaussian_logpdf(X, m, c) for m, c in zip(means, covs)], axis=1)
    return classes[np.argmax(log_lik, axis=1)]
''',
    "em_gmm": '''
def em_gmm(X, init_weights, init_means, init_covs, max_iter, tol):
    w, m, c = init_weights, init_means, init_covs
    def total(w, m, c):
        return float(np.sum(logsumexp(np.stack([np.log(wk) + gaussian_logpdf(X, mk, ck)
                                                for wk, mk, ck in zip(w, m, c)], axis=1), axis=1)))
    lls = [total(w, m, c)]
    for _ in range(max_iter):
        w, m, c = m_step(X, e_step(X, w, m, c))
        lls.append(total(w, m, c))
        if lls[-1] - lls[-2] < tol:
            break
    return w, m, c, lls
''',
}

EXPECTED = {
    "test_predict_gaussian_bayes_reference": "predict_gaussian_bayes ignores the priors",
    "test_predict_gaussian_bayes_log_space": "predict_gaussian_bayes ignores the priors",
    "test_predict_gaussian_bayes_priors": "predict_gaussian_bayes ignores the priors",
    "test_em_gmm_log_likelihoods": "the log-likelihoods must be means over the points",
    "test_em_gmm_stopping": "em_gmm ran too many iterations",
}
