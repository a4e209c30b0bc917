"""coursekit: the reference library of the course on Gaussians, mixtures, k-means and EM.

Every number, figure and widget in the book comes from here, and the autograder checks the
homework against it.  Submodules:

``gaussian``    the multivariate normal: density, likelihood, MLE, sampling, marginals,
                conditionals, constant-density ellipses
``mixture``     Gaussian mixtures: sampling, density, EM (E-step, M-step, fit), BIC/AIC
``kmeans``      Lloyd's algorithm, k-means++ seeding, colour quantisation
``kmeans_filter`` exact k-means on a kd-tree (Pelleg-Moore / Kanungo et al. filtering)
``classifier``  the Gaussian Bayes classifier
``datasets``    Old Faithful, Auto MPG, synthetic blobs, a sample photo
``plotting``    matplotlib helpers used by the book
``widgets``     the book's ipywidgets
"""

from ._exceptions import ConvergenceWarning

__version__ = "0.1.0"

__all__ = ["ConvergenceWarning", "__version__"]
