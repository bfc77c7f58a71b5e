"""`denoise`: one image corrupted, reconstructed by the model and cleaned by the classic
denoisers, or the same over noise levels on the held-out images (`--sweep`)
(latent_atlas.explorer.core.analysis.applications.denoise, baselines, denoise_sweep)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..opening import OpenedModel

if TYPE_CHECKING:
    from latent_atlas.explorer.core.analysis.applications.denoise import NoiseKind


def parse_baselines(text: str | None, *, every_by_default: bool = False) -> tuple[str, ...]:
    """"median,nl-means" -> the classic denoisers' names, checked (aliases such as "nlm"
    allowed, repeats dropped); None -> none of them, or every one with
    `every_by_default` (the sweep)."""
    from latent_atlas.explorer.core.analysis.applications.baselines import (
        BASELINES,
        check_baselines,
    )

    if text is None:
        return BASELINES if every_by_default else ()
    return check_baselines([t for t in text.split(",") if t.strip()])


def check_levels(levels: Sequence[float], noise: str) -> list[float]:
    """The noise levels of a sweep, each checked on the noise's own scale, 1 to the most
    a sweep takes."""
    from latent_atlas.explorer.core.analysis.applications.denoise_sweep import (
        check_levels as check,
    )

    return check(levels, noise)


def denoise(opened: OpenedModel, image: np.ndarray, label: int | None, *, noise: NoiseKind,
            level: float, seed: int = 0, baselines: tuple[str, ...] = ()) -> Any:
    """One image (C x H x W uint8) corrupted with `noise` at `level`, reconstructed by the
    model (under `label` when it is conditional) and by each baseline: the DenoiseResult
    (`summary()` has the MSE, PSNR and SSIM of each against the clean image)."""
    from latent_atlas.explorer.core.analysis.applications import denoise as run

    labels = None if label is None else np.array([label])
    return run(opened.model, image, noise, level, seed=seed, labels=labels,
               baselines=baselines)


def held_out(opened: Sequence[OpenedModel], count: int, limit: int | None = None
             ) -> tuple[np.ndarray, list[str]]:
    """The indices (of `count` images) no model of `opened` trained on (the trainer's
    validation split of each model's seed), the first `limit` of them, and notes on
    how they were chosen."""
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices

    held, notes = held_out_indices(count, [int(m.model.seed) for m in opened])
    if limit is not None:
        held = held[:limit]
    return held, list(notes)


def sweep(named: Sequence[tuple[str, Any]], images: np.ndarray, levels: Sequence[float], *,
          noise: str, baselines: tuple[str, ...], seed: int = 0
          ) -> Generator[Any, None, Any]:
    """Every model of `named` (table name, model) and baseline over the noise levels on
    `images`: yields progress, returns the DenoiseSweep (PSNR and SSIM per method and
    level)."""
    from latent_atlas.explorer.core.analysis.applications import denoise_sweep

    return denoise_sweep(named, images, levels, noise=noise, baselines=baselines, seed=seed)
