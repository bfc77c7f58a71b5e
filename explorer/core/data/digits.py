"""`digits`: scikit-learn's bundled 8x8 handwritten digits (1,797 images), offline.

Options: limit, seed (shuffle before limit), size (upscale, e.g. 32), channels.
"""

from __future__ import annotations

import numpy as np

from .base import DataError, DataSpec, ImageSet, source
from .options import (
    canonical,
    channels_option,
    effective_limit,
    finish,
    limit_option,
    normalise_options,
    seed_option,
    size_option,
)

OPTIONS = ("limit", "seed", "size", "channels")


@source("digits", options=OPTIONS)
def load_digits_set(spec: DataSpec) -> ImageSet:
    from sklearn.datasets import load_digits

    if spec.arg:
        raise DataError("digits takes no path (it is bundled with scikit-learn)")
    spec = normalise_options(spec, OPTIONS)
    limit, seed = limit_option(spec), seed_option(spec)
    size, channels = size_option(spec, 8), channels_option(spec, 1)
    bunch = load_digits()
    # Pixel values are 0..16; stretch to 0..255 so every source shares one scale.
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    result = ImageSet(
        images=images,
        labels=bunch.target.astype(np.int64),
        label_names=[str(i) for i in range(10)],
    )
    n = len(result)
    result = finish(result, seed=seed, limit=limit, channels=channels, size=size)
    result.spec = canonical(spec, "", {"limit": effective_limit(limit, n), "seed": seed,
                                       "size": size, "channels": channels},
                            {"size": 8, "channels": 1})
    return result
