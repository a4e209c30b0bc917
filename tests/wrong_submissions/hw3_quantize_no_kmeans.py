"""Each pixel takes the nearest of k random pixels' colours: no k-means at all."""

ASSIGNMENT = 'hw3_kmeans'

CELLS = {
    'quantize_colors': '''
def quantize_colors(image, k, rng):
    pixels = np.asarray(image, dtype=float).reshape(-1, 3)
    palette = pixels[rng.choice(pixels.shape[0], size=k, replace=False)]
    labels = ((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return palette[labels].astype(np.uint8).reshape(np.shape(image))
''',
}

EXPECTED = {
    'test_quantize_colors_visible': 'the colours are not the means of the pixels they replace: run k-means on the',
    'test_quantize_colors_kmeans': 'quantize_colors: the colours are not the means of the pixels they replace: run',
}
