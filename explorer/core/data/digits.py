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


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images (1,797 x 8 x 8, values 0..16) and their labels.

    Read from the CSV scikit-learn ships (`sklearn/datasets/data/digits.csv.gz`, what its
    `load_digits` reads) without importing scikit-learn: that import, SciPy's with it,
    takes about a second here and would hold the GIL while the window loads. Falls back to
    `load_digits` when the file is not where scikit-learn has always kept it.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # finds the package, does not import it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            if table.ndim == 2 and table.shape[1] == 65:
                return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target.astype(np.int64)


@source("digits", options=OPTIONS)
def load_digits_set(spec: DataSpec) -> ImageSet:
    if spec.arg:
        raise DataError("digits takes no path (it is bundled with scikit-learn)")
    spec = normalise_options(spec, OPTIONS)
    limit, seed = limit_option(spec), seed_option(spec)
    size, channels = size_option(spec, 8), channels_option(spec, 1)
    raw, labels = digits_arrays()
    # Pixel values are 0..16; stretch to 0..255 so every source shares one scale.
    images = np.round(raw * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    result = ImageSet(
        images=images,
        labels=labels,
        label_names=[str(i) for i in range(10)],
    )
    n = len(result)
    result = finish(result, seed=seed, limit=limit, channels=channels, size=size)
    result.spec = canonical(spec, "", {"limit": effective_limit(limit, n), "seed": seed,
                                       "size": size, "channels": channels},
                            {"size": 8, "channels": 1})
    return result
