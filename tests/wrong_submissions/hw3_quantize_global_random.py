"""The initial centres drawn with np.random instead of rng."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
def quantize_colors(image, k, rng):
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    init = pixels[np.random.choice(pixels.shape[0], size=k, replace=False)]
    centers, labels = kmeans(pixels, init, 100)
    return np.rint(centers).astype(np.uint8)[labels].reshape(np.shape(image))
''',
}

EXPECTED = {
    'test_quantize_colors_visible': 'the same rng seed gave different images',
    'test_quantize_colors_reproducible': 'the same rng seed must give the same image',
}
