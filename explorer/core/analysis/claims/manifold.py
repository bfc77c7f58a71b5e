"""The manifold grid of a 2-D latent: the textbook figure of the AE-versus-VAE lesson.

    rect = latent_square(has_standard_prior(model), codes)   # the model's own square
    grid = manifold_grid(decoder, latent_map, rect, n=20)    # n x n decoded images
    grid.images[0, 0]                                        # decoded at (xmin, ymax) side
    png = grid.mosaic()                                      # one display image, top = ymax

Which square. A model with the prior N(0, I) (the VAE) gets [-3, 3]^2: 99.7 % of each
axis' prior mass, the square every course figure uses. A model without a prior (the AE)
gets the range of its codes (min..max per axis): where its data lies. In the compare view
each canvas shows its own model's square, moved into the shared frame (`frame_rect`: the
right map is aligned onto the left one by a similarity transform). One shared square for
both was tried and dropped: the AE's codes spread far wider than the VAE's prior square,
so after alignment most of the VAE's figure was its decoder extrapolating beyond +-3,
which is not the figure the lesson draws. The view frames both squares (`shared_rect`).

Order. `images[r, c]` is decoded at the centre of cell (r, c) of an n x n partition of
rect = (xmin, xmax, ymin, ymax): column c grows with x, row r grows *downwards* (row 0 is
the top, y near ymax), as the figure is read. So images[0, 0] is the top-left tile
(near (xmin, ymax)) and images[n-1, n-1] the bottom-right one (near (xmax, ymin)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PRIOR_HALF_WIDTH = 3.0  # the VAE's square: [-3, 3]^2
MAX_GRID = 64


def latent_square(standard_prior: bool, codes: np.ndarray | None = None
                  ) -> tuple[float, float, float, float]:
    """A 2-D model's own square (xmin, xmax, ymin, ymax) in latent coordinates: +-3 for a
    model with the prior N(0, I), else the range of its codes (see module docstring)."""
    if standard_prior:
        h = PRIOR_HALF_WIDTH
        return -h, h, -h, h
    if codes is None:
        raise ValueError("a model without a prior needs its codes to find its square")
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != 2 or not len(z):
        raise ValueError(f"the manifold grid needs N x 2 codes of a 2-D latent, not {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("the codes contain NaN or infinite values")
    lo, hi = z.min(axis=0), z.max(axis=0)
    # A collapsed axis (all codes equal) still gets a square of some width.
    span = np.maximum(hi - lo, 1e-3 * max(float(np.abs(z).max()), 1.0))
    mid = (lo + hi) / 2
    lo, hi = np.minimum(lo, mid - span / 2), np.maximum(hi, mid + span / 2)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def frame_rect(latent_map: Any, square: tuple[float, float, float, float]
               ) -> tuple[float, float, float, float]:
    """The bounding box, in the map's frame, of a square given in latent coordinates (an
    aligned map moves its latent by a similarity transform; an identity map not at all)."""
    x0, x1, y0, y1 = square
    corners = np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]], dtype=np.float32)
    xy = np.asarray(latent_map.place(corners), dtype=np.float64)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def shared_rect(*rects: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The bounding box of several rectangles (xmin, xmax, ymin, ymax)."""
    if not rects:
        raise ValueError("no rectangles to cover")
    r = np.asarray(rects, dtype=np.float64)
    return float(r[:, 0].min()), float(r[:, 1].max()), float(r[:, 2].min()), float(r[:, 3].max())


def grid_centres(rect: tuple[float, float, float, float], n: int) -> np.ndarray:
    """Cell centres of an n x n grid over rect in figure order, as (n*n, 2): point k is
    row k // n (from the top) and column k % n (from the left)."""
    xmin, xmax, ymin, ymax = (float(v) for v in rect)
    if not all(np.isfinite([xmin, xmax, ymin, ymax])) or xmax <= xmin or ymax <= ymin:
        raise ValueError(f"the grid rectangle must be finite with min < max, not {rect}")
    t = (np.arange(n) + 0.5) / n
    xs = xmin + t * (xmax - xmin)
    ys = ymax - t * (ymax - ymin)  # row 0 at the top
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


@dataclass
class ManifoldGrid:
    """n x n decoded images over `rect` in figure order (see module docstring)."""

    images: np.ndarray  # uint8 (n, n, H, W) or (n, n, H, W, 3)
    rect: tuple[float, float, float, float]

    @property
    def n(self) -> int:
        return int(self.images.shape[0])

    def mosaic(self) -> np.ndarray:
        """The figure as one display image without gaps (row 0 of pixels = the top, ymax),
        so each tile covers exactly its cell of `rect`."""
        n, _, h, w = self.images.shape[:4]
        tail = self.images.shape[4:]
        axes = (0, 2, 1, 3, *range(4, self.images.ndim))
        return np.ascontiguousarray(self.images.transpose(axes).reshape(n * h, n * w, *tail))


def manifold_grid(decoder: Any, latent_map: Any, rect: tuple[float, float, float, float],
                  n: int = 20) -> ManifoldGrid:
    """Decode the n x n cell centres of `rect` through the map's inverse (map coordinates;
    the identity for a 2-D latent shown as itself), or with `latent_map` None at those
    latent codes directly, in one batch."""
    if int(n) != n or not 1 <= n <= MAX_GRID:
        raise ValueError(f"a manifold grid has 1 to {MAX_GRID} images per side, not {n}")
    n = int(n)
    box = (float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3]))
    centres = grid_centres(box, n)
    codes = centres.astype(np.float32) if latent_map is None else latent_map.inverse(centres)
    images = decoder.decode(codes)
    return ManifoldGrid(images=images.reshape(n, n, *images.shape[1:]), rect=box)


def is_latent_map(latent_map: Any) -> bool:
    """True when the map is a 2-D latent shown as itself (the manifold grid applies)."""
    return latent_map is not None and latent_map.method == "identity" and latent_map.dim == 2
