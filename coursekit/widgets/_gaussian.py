"""widgets for chapters 1-3 (the Gaussian, likelihood, one Gaussian is not enough)."""

__all__ = []
