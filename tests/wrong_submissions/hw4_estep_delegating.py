"""The E-step from coursekit.mixture, imported under an alias."""

ASSIGNMENT = 'hw4_em'

CELLS = {
    'e_step': '''
import coursekit.mixture as ckm

def e_step(X, weights, means, covs):
    return ckm.responsibilities(X, weights, means, covs)
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_e_step_visible': _MSG,
    'test_e_step_reference': _MSG,
    'test_e_step_normalised': _MSG,
    'test_e_step_log_space': _MSG,
}
