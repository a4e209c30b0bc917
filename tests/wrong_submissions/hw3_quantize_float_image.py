"""Returns the rounded colours as floats, not uint8."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
def quantize_colors(image, k, rng):
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    return np.rint(centers)[labels].reshape(np.shape(image))
''',
}

EXPECTED = {
    'test_quantize_colors_visible': 'must return an image of dtype uint8 (got float64)',
    'test_quantize_colors_format': 'must return an image of dtype uint8 (got float64)',
    'test_quantize_colors_kmeans': 'must return an image of dtype uint8 (got float64)',
    'test_quantize_colors_reproducible': 'must return an image of dtype uint8 (got float64)',
}
