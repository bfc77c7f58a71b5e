"""The map heatmap, honestly: a judge's score of the image decoded at each grid cell, with
the cells where the map's inverse is not the model marked and kept out of the colour scale.

    judge = make_judge("pixel", data.images)                # images -> scores, higher = worse
    heat = drain(heatmap_iter(decoder, latent_map, judge, rect, 64))
    lo, hi = inside_levels(heat_ae, heat_vae)             # one scale, inside cells only
    heat.masked()                                         # NaN outside the hull (transparent)
    outside_rectangles(heat.inside, heat.rect)            # the region to hatch

Why a mask. A UMAP or PCA map's inverse is a triangulation of the data's positions;
outside their convex hull it takes the code of the nearest hull point, so a whole ray of
cells decodes to one hull code. Their scores are not a property of the model's latent
space, and long bright rays across empty space would otherwise dominate both the picture
and the colour scale. `LatentMap.inside_hull` (scipy's `Delaunay.find_simplex >= 0` on the
triangulation the inverse already built) says which cells are honest; a 2-D latent shown
as itself has an exact inverse, so all of its cells are.

Judges. A judge is any callable float images N x C x H x W in [0, 1] -> float scores (N,),
higher meaning *less plausible*. `pixel` is the RMS distance to the nearest real image
(`latent_atlas.explorer.core.analysis.gaps.score`). `classifier` is the lead's classifier judge
(`latent_atlas.explorer.core.analysis.gaps.judges`), through `classifier_judge` below.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.gaps.score import (
    DECODE_BATCH,
    GapProgress,
    RealImageIndex,
    grid_points,
    grid_size,
)
from latent_atlas.explorer.core.progress import check_cancel

Judge = Callable[[np.ndarray], np.ndarray]
JUDGES = ("pixel", "classifier")
JUDGE_TITLES = {"pixel": "pixel judge", "classifier": "classifier judge"}
# The heatmap's reference set: a 60,000-image set makes every query 3x slower for a
# nearest distance that barely changes.
MAX_REFERENCE = 20_000


class PixelJudge:
    """Score = RMS pixel distance (pixels in [0, 1]) to the nearest real image."""

    name = "pixel"
    unit = "RMS from every real image"

    def __init__(self, index: RealImageIndex) -> None:
        self.index = index

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.index.nearest(images)[0]


def classifier_judge(images: np.ndarray, labels: np.ndarray | None) -> Judge:
    """The classifier judge of `latent_atlas.explorer.core.analysis.gaps.judges` as a heatmap score:
    1 - max class probability (higher = less plausible). Trained on the data's training
    split (cached per data set), so the first heatmap on new data takes a little longer."""
    if labels is None:
        raise ValueError("the classifier judge needs labelled data; these images have no "
                         "labels (use the pixel judge)")
    from latent_atlas.explorer.core.analysis.gaps.judges import heatmap_judge

    return heatmap_judge(images, labels)


def make_judge(name: str, images: np.ndarray, labels: np.ndarray | None = None) -> Judge:
    """A heatmap judge by name (see module docstring); `images` are the real uint8 images."""
    if name == "pixel":
        return PixelJudge(RealImageIndex(images, max_images=MAX_REFERENCE))
    if name == "classifier":
        return classifier_judge(images, labels)
    raise ValueError(f"unknown judge '{name}'; use {' or '.join(JUDGES)}")


def judge_unit(judge: Any) -> str:
    """The legend's words for a judge's score."""
    return str(getattr(judge, "unit", "score"))


@dataclass
class Heatmap:
    """A judge's `scores[iy, ix]` over `rect` (rows grow with y, as `gaps.grid_points`)
    and `inside[iy, ix]`: whether the map's inverse is honest at that cell's centre."""

    scores: np.ndarray
    inside: np.ndarray
    rect: tuple[float, float, float, float]
    judge: str = "pixel"
    unit: str = field(default="score")

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape

    @property
    def all_inside(self) -> bool:
        return bool(self.inside.all())

    def masked(self) -> np.ndarray:
        """The scores with NaN outside the hull (drawn transparent)."""
        return np.where(self.inside, self.scores, np.nan).astype(np.float32)


def heatmap_iter(decoder: Any, latent_map: Any, judge: Judge,
                 rect: tuple[float, float, float, float] | None = None,
                 resolution: int | tuple[int, int] = 64, *, batch_size: int = DECODE_BATCH,
                 cancel: Any = None) -> Generator[GapProgress, None, Heatmap]:
    """Judge the images decoded over a grid of map positions (default rect: the map's
    bounds). Only cells inside the hull are decoded and judged; the others score NaN."""
    r = rect if rect is not None else latent_map.bounds()
    box = (float(r[0]), float(r[1]), float(r[2]), float(r[3]))
    nx, ny = grid_size(resolution)
    pts = grid_points(box, resolution)
    inside = np.asarray(latent_map.inside_hull(pts), dtype=bool)
    todo = np.flatnonzero(inside)
    codes = latent_map.inverse(pts[todo]) if len(todo) else np.empty((0, 0), np.float32)
    scores = np.full(len(pts), np.nan, dtype=np.float32)
    n = len(todo)
    yield GapProgress(0, n)
    for start in range(0, n, batch_size):
        check_cancel(cancel, "heatmap scoring")
        images = decoder.decode_float(codes[start:start + batch_size])
        s = np.asarray(judge(images), dtype=np.float32).reshape(-1)
        if len(s) != len(images):
            raise ValueError(f"the judge returned {len(s)} scores for {len(images)} images")
        scores[todo[start:start + len(s)]] = s
        yield GapProgress(min(n, start + batch_size), n)
    return Heatmap(scores=scores.reshape(ny, nx), inside=inside.reshape(ny, nx), rect=box,
                   judge=str(getattr(judge, "name", "custom")), unit=judge_unit(judge))


def inside_levels(*heatmaps: Heatmap, upper_percentile: float = 99.0) -> tuple[float, float]:
    """One colour scale (lo, hi) for several heatmaps over their *inside* cells only: 0 up
    to the given percentile (so one extreme cell does not wash the rest out). (0, 1) when
    no cell is inside."""
    values = [h.scores[h.inside & np.isfinite(h.scores)].astype(np.float64) for h in heatmaps]
    allv = np.concatenate(values) if values else np.empty(0)
    if not len(allv):
        return 0.0, 1.0
    hi = float(np.percentile(allv, upper_percentile))
    return 0.0, hi if hi > 0 else 1.0


def outside_rectangles(inside: np.ndarray, rect: tuple[float, float, float, float]
                       ) -> list[tuple[float, float, float, float]]:
    """The cells outside the hull as rectangles (x, y, width, height) in map coordinates,
    one per run of outside cells in a row (what the canvas hatches)."""
    mask = ~np.asarray(inside, dtype=bool)
    ny, nx = mask.shape
    xmin, xmax, ymin, ymax = (float(v) for v in rect)
    w, h = (xmax - xmin) / nx, (ymax - ymin) / ny
    out: list[tuple[float, float, float, float]] = []
    for iy in range(ny):
        row = np.concatenate([[False], mask[iy], [False]])
        edges = np.flatnonzero(np.diff(row.astype(np.int8)))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            out.append((xmin + a * w, ymin + iy * h, (b - a) * w, h))
    return out
