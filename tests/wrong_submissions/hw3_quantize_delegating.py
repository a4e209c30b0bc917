"""Colour quantisation from coursekit."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
from coursekit.kmeans import quantize

def quantize_colors(image, k, rng):
    return quantize(image, k, rng=rng)[0]
''',
}

_MSG = 'your function must not call coursekit, scipy.stats, scipy.cluster or scikit-learn'
EXPECTED = {
    'test_quantize_colors_visible': _MSG,
    'test_quantize_colors_format': _MSG,
    'test_quantize_colors_kmeans': _MSG,
    'test_quantize_colors_reproducible': _MSG,
}
