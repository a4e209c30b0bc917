"""The centres rounded up with np.ceil instead of np.rint."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
def quantize_colors(image, k, rng):
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    palette = np.clip(np.ceil(centers), 0, 255).astype(np.uint8)
    return palette[labels].reshape(np.shape(image))
''',
}

EXPECTED = {
    'test_quantize_colors_visible': 'the centres were rounded up (np.ceil): round them to the nearest integer with',
    'test_quantize_colors_kmeans': 'quantize_colors: the centres were rounded up (np.ceil): round them to the',
}
