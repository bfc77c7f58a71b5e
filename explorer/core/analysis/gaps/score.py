"""The gap score: how far a decoded image is from being a plausible data image.

    index = RealImageIndex(data.images)                  # the real images, once
    grid = gap_grid(decoder, latent_map, index, rect=latent_map.bounds(), resolution=64)
    lo, hi = shared_levels(grid_ae.scores, grid_vae.scores)   # one colour scale for both
    colours = normalise(grid_ae.scores, (lo, hi))             # 0..1 for a colour map

Definition (docs/metrics.md): for a map position p, decode the code under it and take the
root-mean-square pixel distance (pixels in [0, 1]) to the nearest real image,

    gap(p) = min_i ||D(inverse(p)) - x_i||_2 / sqrt(C * H * W)      in [0, 1].

0 means the decoded image *is* a real image; a good reconstruction of a real image scores
what its reconstruction error is; a blurry blend of two classes scores high. The score is
in pixel units, so it means the same for any two models decoding to the same image size:
that is what lets the AE and the VAE heatmaps share one colour scale. Of the candidate
scores this is the one that judges the *image* (what the user sees), and it needs no
encoder pass and no model-specific code scale.

The nearest-image search is an exact blocked matrix product: |q - x|^2 = |q|^2 - 2 q.x
+ |x|^2 for a block of queries against every real image at once, then the best candidate
is recomputed directly so no precision is lost to the expansion.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from latent_atlas.explorer.core.progress import CountProgress, check_cancel, drain

DECODE_BATCH = 1024


def flatten_float(images: np.ndarray) -> np.ndarray:
    """uint8 N x C x H x W or float N x C x H x W in [0, 1] -> float32 N x (C*H*W) in [0, 1]."""
    arr = np.asarray(images)
    if arr.ndim < 2:
        raise ValueError(f"expected a batch of images, not shape {arr.shape}")
    flat = arr.reshape(len(arr), -1)
    if arr.dtype == np.uint8:
        return flat.astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(flat, dtype=np.float32)


class RealImageIndex:
    """The real images, flattened, for exact nearest-image distances in pixel RMS units.

    `max_images` caps the reference set with a seeded random subset (a 60,000-image set
    makes every query 6x slower for a nearest distance that barely changes).
    """

    def __init__(self, images_uint8: np.ndarray, *, max_images: int | None = None,
                 seed: int = 0, block: int = 512) -> None:
        images = np.asarray(images_uint8)
        if images.dtype != np.uint8 or images.ndim != 4 or not len(images):
            raise ValueError(f"the real images must be uint8 N x C x H x W with N >= 1, not "
                             f"{images.dtype} {images.shape}")
        self.indices = np.arange(len(images))
        if max_images is not None and len(images) > max_images:
            rng = np.random.default_rng(seed)
            self.indices = np.sort(rng.choice(len(images), size=int(max_images), replace=False))
            images = images[self.indices]
        self.image_shape = tuple(images.shape[1:])
        self.data = flatten_float(images)
        self.sq = np.einsum("ij,ij->i", self.data, self.data)
        self.n_pixels = self.data.shape[1]
        self.block = int(block)

    def __len__(self) -> int:
        return len(self.data)

    def nearest(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """RMS distance of each image to its nearest real image, and that image's index.

        `images` are float N x C x H x W in [0, 1] (or uint8). Returns (distances float32 in
        [0, 1], indices into the original image array).
        """
        q = flatten_float(images)
        if q.shape[1] != self.n_pixels:
            raise ValueError(f"images of {q.shape[1]} values cannot be compared with real "
                             f"images of shape {self.image_shape}")
        dist = np.empty(len(q), dtype=np.float32)
        idx = np.empty(len(q), dtype=np.int64)
        for start in range(0, len(q), self.block):
            b = q[start:start + self.block]
            # |b|^2 is constant per row, so the ranking only needs |x|^2 - 2 b.x.
            score = self.sq[None, :] - 2.0 * (b @ self.data.T)
            best = np.argmin(score, axis=1)
            diff = self.data[best] - b
            dist[start:start + len(b)] = np.sqrt(np.einsum("ij,ij->i", diff, diff) / self.n_pixels)
            idx[start:start + len(b)] = self.indices[best]
        return dist, idx


def grid_size(resolution: int | tuple[int, int]) -> tuple[int, int]:
    """(nx, ny) of a grid resolution: one number for a square grid, or the pair (nx, ny)."""
    if isinstance(resolution, tuple):
        nx, ny = resolution
    else:
        nx = ny = resolution
    return int(nx), int(ny)


def grid_points(rect: tuple[float, float, float, float], resolution: int | tuple[int, int]
                ) -> np.ndarray:
    """Cell centres of a ny x nx grid over rect = (xmin, xmax, ymin, ymax), as (ny*nx, 2).

    Row-major with y growing with the row: point k is cell (k // nx, k % nx), so
    `scores.reshape(ny, nx)[iy, ix]` is the cell at x index ix and y index iy.
    """
    nx, ny = grid_size(resolution)
    if nx < 1 or ny < 1:
        raise ValueError(f"a grid needs at least 1 x 1 cells, not {nx} x {ny}")
    xmin, xmax, ymin, ymax = (float(v) for v in rect)
    if not all(np.isfinite([xmin, xmax, ymin, ymax])) or xmax < xmin or ymax < ymin:
        raise ValueError(f"the grid rectangle must be finite with min <= max, not {rect}")
    xs = xmin + (np.arange(nx) + 0.5) * (xmax - xmin) / nx
    ys = ymin + (np.arange(ny) + 0.5) * (ymax - ymin) / ny
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


@dataclass(frozen=True)
class GapProgress(CountProgress):
    """`done` of `total` grid points scored."""

    STAGE: ClassVar[str] = "gaps"
    TEMPLATE: ClassVar[str] = "gap scores: {done:,}/{total:,} points"


@dataclass
class GapGrid:
    """Gap scores on a grid: `scores[iy, ix]` (float32, [0, 1]) over `rect`.

    `nearest[iy, ix]` is the index of the real image nearest to that cell's decoded image.
    """

    scores: np.ndarray
    nearest: np.ndarray
    rect: tuple[float, float, float, float]

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape


def score_codes(decoder: Any, codes: np.ndarray, index: RealImageIndex, *,
                batch_size: int = DECODE_BATCH, cancel: Any = None
                ) -> Generator[GapProgress, None, tuple[np.ndarray, np.ndarray]]:
    """Gap scores of codes (decode in batches, nearest real image): yields progress,
    returns (scores, nearest indices). `decoder` is an `latent_atlas.explorer.core.inference.Decoder`."""
    z = np.asarray(codes, dtype=np.float32)
    n = len(z)
    scores = np.empty(n, dtype=np.float32)
    nearest = np.empty(n, dtype=np.int64)
    yield GapProgress(0, n)
    for start in range(0, n, batch_size):
        check_cancel(cancel, "gap scoring")
        images = decoder.decode_float(z[start:start + batch_size])
        d, i = index.nearest(images)
        scores[start:start + len(d)] = d
        nearest[start:start + len(d)] = i
        yield GapProgress(min(n, start + batch_size), n)
    return scores, nearest


def gap_grid_iter(decoder: Any, latent_map: Any, index: RealImageIndex,
                  rect: tuple[float, float, float, float] | None = None,
                  resolution: int | tuple[int, int] = 64, *, cancel: Any = None
                  ) -> Generator[GapProgress, None, GapGrid]:
    """Gap scores over a grid of map positions (default rect: the map's bounds).

    The whole grid goes through the map's inverse at once, then decodes in batches.
    """
    r = rect if rect is not None else latent_map.bounds()
    box = (float(r[0]), float(r[1]), float(r[2]), float(r[3]))
    pts = grid_points(box, resolution)
    nx, ny = grid_size(resolution)
    codes = latent_map.inverse(pts)
    scores, nearest = yield from score_codes(decoder, codes, index, cancel=cancel)
    return GapGrid(scores=scores.reshape(ny, nx), nearest=nearest.reshape(ny, nx), rect=box)


def gap_grid(decoder: Any, latent_map: Any, index: RealImageIndex,
             rect: tuple[float, float, float, float] | None = None,
             resolution: int | tuple[int, int] = 64) -> GapGrid:
    """`gap_grid_iter` drained."""
    return drain(gap_grid_iter(decoder, latent_map, index, rect, resolution))


def shared_levels(*scores: np.ndarray, upper_percentile: float = 99.0
                  ) -> tuple[float, float]:
    """One colour scale (lo, hi) for several score arrays: 0 up to the given percentile of
    all of them together (a percentile, so one extreme cell does not wash the rest out)."""
    finite = [np.asarray(s, dtype=np.float64).ravel() for s in scores if np.size(s)]
    finite = [s[np.isfinite(s)] for s in finite]
    values = np.concatenate(finite) if finite else np.empty(0)
    if not len(values):
        return 0.0, 1.0
    hi = float(np.percentile(values, upper_percentile))
    return 0.0, hi if hi > 0 else 1.0


def normalise(scores: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Scores mapped to [0, 1] on the scale `levels` = (lo, hi) (clipped, float32)."""
    lo, hi = float(levels[0]), float(levels[1])
    span = hi - lo if hi > lo else 1.0
    return np.clip((np.asarray(scores, dtype=np.float32) - lo) / span, 0.0, 1.0)
