"""The scikit-learn color quantization recipe, as its documentation shows it: k-means on a random
10,000-pixel sample, then every pixel replaced by its nearest center.

usage: sklearn_quantize.py INPUT K OUTPUT.png
"""

import sys

import numpy as np
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.utils import shuffle


def quantize_array(pixels, k):
    """The recipe on an H x W x 3 uint8 array: the quantized H x W x 3 uint8 array."""
    h, w, _ = pixels.shape
    flat = pixels.reshape(-1, 3).astype(np.float64) / 255
    sample = shuffle(flat, random_state=0, n_samples=min(10_000, len(flat)))
    model = KMeans(n_clusters=k, n_init=1, random_state=0).fit(sample)
    labels = model.predict(flat)
    centers = np.clip(np.rint(model.cluster_centers_ * 255), 0, 255).astype(np.uint8)
    return centers[labels].reshape(h, w, 3)


def main():
    src, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with Image.open(src) as im:
        pixels = np.asarray(im.convert("RGB"))
    Image.fromarray(quantize_array(pixels, k)).save(out)


if __name__ == "__main__":
    main()
