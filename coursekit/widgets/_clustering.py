"""widgets for chapters 4-7 (mixtures, k-means, Bayes classifier, GMM and EM)."""

__all__ = []
