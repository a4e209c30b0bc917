"""Warnings and errors raised by coursekit."""


class ConvergenceWarning(UserWarning):
    """An iterative fit (EM, k-means) stopped at ``max_iter`` before meeting its tolerance."""
