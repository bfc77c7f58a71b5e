"""`digits`: scikit-learn's bundled 8x8 handwritten digits (1,797 images), offline."""

from __future__ import annotations

import numpy as np

from .base import DataError, DataSpec, ImageSet, apply_limit, source


@source("digits")
def load_digits_set(spec: DataSpec) -> ImageSet:
    from sklearn.datasets import load_digits

    if spec.arg:
        raise DataError("digits takes no path (it is bundled with scikit-learn)")
    bunch = load_digits()
    # Pixel values are 0..16; stretch to 0..255 so every source shares one scale.
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    result = ImageSet(
        images=images,
        labels=bunch.target.astype(np.int64),
        label_names=[str(i) for i in range(10)],
    )
    return apply_limit(result, spec)
