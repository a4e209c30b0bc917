"""The centres converted with .astype(np.uint8) (truncated) instead of np.rint."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
def quantize_colors(image, k, rng):
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    return centers.astype(np.uint8)[labels].reshape(np.shape(image))
''',
}

EXPECTED = {
    'test_quantize_colors_visible': 'the centres were truncated',
    'test_quantize_colors_kmeans': 'the centres were truncated',
}
