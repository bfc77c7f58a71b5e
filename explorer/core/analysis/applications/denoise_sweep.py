"""A denoising sweep: models and classic denoisers over a range of noise levels.

    gen = denoise_sweep([("DAE", dae), ("AE", ae)], held_out_images, [0.1, 0.2, 0.3])
    result = drain(gen)              # yields Progress, returns a SweepResult
    result.table_lines(); result.to_dict()

At each level every method sees the same noisy images (one seed for the whole sweep), as
a user would hand them the same noisy picture. PSNR per level is computed from the mean
squared error over the images, SSIM is the mean of the per-image SSIM.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.baselines import (
    BASELINES,
    NLMeansParams,
    check_baselines,
    nl_means_denoise,
    ssim,
)
from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_labels,
)
from latent_atlas.explorer.core.analysis.applications.denoise import (
    add_noise,
    check_noise,
    classic_denoise,
    denoise,
    mse,
    psnr_of_mse,
)
from latent_atlas.explorer.core.progress import Progress

DEFAULT_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
MAX_LEVELS = 50


@dataclass
class SweepResult:
    """Mean PSNR (dB) and SSIM of each method at each noise level.

    `methods` are in display order: "noisy" (the input itself), the models by the names
    they were given, then the classic denoisers.
    """

    noise: str
    levels: list[float]
    n_images: int
    seed: int
    methods: list[str] = field(default_factory=list)
    psnr: dict[str, list[float]] = field(default_factory=dict)
    ssim: dict[str, list[float]] = field(default_factory=dict)

    def add(self, method: str, psnr_value: float, ssim_value: float) -> None:
        if method not in self.psnr:
            self.methods.append(method)
            self.psnr[method], self.ssim[method] = [], []
        self.psnr[method].append(float(psnr_value))
        self.ssim[method].append(float(ssim_value))

    def best_at(self, level_index: int, *, exclude: Sequence[str] = ("noisy",)) -> str:
        """The method with the highest PSNR at one level."""
        cands = [m for m in self.methods if m not in exclude]
        return max(cands, key=lambda m: self.psnr[m][level_index])

    def table_lines(self) -> list[str]:
        """A plain-text table: one row per level, PSNR / SSIM per method."""
        width = max(17, *(len(m) + 2 for m in self.methods))
        head = "level " + "".join(f"{m:>{width}}" for m in self.methods)
        lines = [head, " " * 6 + "".join(f"{'PSNR dB / SSIM':>{width}}" for _ in self.methods)]
        for k, level in enumerate(self.levels):
            cells = "".join(f"{f'{self.psnr[m][k]:.2f} / {self.ssim[m][k]:.3f}':>{width}}"
                            for m in self.methods)
            lines.append(f"{level:5.2f} {cells}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"noise": self.noise, "levels": list(self.levels), "n_images": self.n_images,
                "seed": self.seed, "methods": list(self.methods),
                "psnr": {m: list(v) for m, v in self.psnr.items()},
                "ssim": {m: list(v) for m, v in self.ssim.items()}}


def check_levels(levels: Sequence[float], noise: str) -> list[float]:
    values = [check_noise(noise, v)[1] for v in levels]
    if not values or len(values) > MAX_LEVELS:
        raise ApplicationError(f"give 1..{MAX_LEVELS} noise levels, not {len(values)}")
    return values


def denoise_sweep(models: Sequence[tuple[str, Any]], images: np.ndarray,
                  levels: Sequence[float] = DEFAULT_LEVELS, *, noise: str = "gaussian",
                  baselines: Sequence[str] = BASELINES, seed: int = 0,
                  labels: np.ndarray | None = None
                  ) -> Generator[Progress, None, SweepResult]:
    """Corrupt `images` (uint8 N x C x H x W) at each level, reconstruct them with each
    (name, model) and run each classic denoiser on the same noisy images; yields Progress
    after each method and level, returns a `SweepResult`."""
    kind, _ = check_noise(noise, 0.0)
    lv = check_levels(levels, kind)
    names = check_baselines(baselines)
    if not models and not names:
        raise ApplicationError("nothing to sweep: give a model or a classic denoiser")
    batch = np.asarray(images)
    for _, model in models:
        batch, _ = as_batch(model, batch)
    if batch.dtype != np.uint8 or batch.ndim != 4 or len(batch) == 0:
        raise ApplicationError("the sweep needs uint8 images N x C x H x W")
    result = SweepResult(noise=kind, levels=lv, n_images=len(batch), seed=int(seed))
    steps = len(lv) * (1 + len(models) + len(names))
    done = 0
    for level in lv:
        noisy = add_noise(batch, kind, level, seed=seed)
        result.add("noisy", psnr_of_mse(float(mse(noisy, batch).mean())),
                   float(ssim(noisy, batch).mean()))
        done += 1
        yield Progress("denoise sweep", done / steps, f"level {level:g}: noisy input")
        for name, model in models:
            y = check_labels(model, labels, len(batch))
            r = denoise(model, batch, kind, level, seed=seed, labels=y)
            s = r.summary()
            result.add(name, s["recon_psnr"], s["recon_ssim"])
            done += 1
            yield Progress("denoise sweep", done / steps, f"level {level:g}: {name}")
        for bname, b in classic_denoise(batch, noisy, names).items():
            result.add(bname, psnr_of_mse(float(b.mse.mean())), float(b.ssim.mean()))
            done += 1
            yield Progress("denoise sweep", done / steps, f"level {level:g}: {bname}")
    return result


@dataclass(frozen=True)
class TuningRow:
    params: NLMeansParams
    psnr_by_level: tuple[float, ...]

    @property
    def mean_psnr(self) -> float:
        return float(np.mean(self.psnr_by_level))


def tune_nl_means(clean: np.ndarray, levels: Sequence[float] = (0.1, 0.3, 0.5), *,
                  patch_sizes: Sequence[int] = (3, 5, 7),
                  patch_distances: Sequence[int] = (3, 6, 9),
                  h_factors: Sequence[float] = (0.6, 0.8, 1.0, 1.2, 1.5),
                  seed: int = 0) -> list[TuningRow]:
    """Measure NL-means over a grid of parameters on clean uint8 images corrupted with
    Gaussian noise at each level (seeded); returns every setting, best mean PSNR first.

    PSNR per level is computed from the mean squared error over the images (as everywhere
    in the denoising view)."""
    batch = np.asarray(clean)
    if batch.dtype != np.uint8 or batch.ndim != 4 or len(batch) == 0:
        raise ApplicationError("tune NL-means on uint8 images N x C x H x W")
    noisy = [add_noise(batch, "gaussian", float(s), seed=seed) for s in levels]
    rows = []
    for p, d, h in itertools.product(patch_sizes, patch_distances, h_factors):
        params = NLMeansParams(int(p), int(d), float(h))
        scores = tuple(psnr_of_mse(float(mse(nl_means_denoise(n, params), batch).mean()))
                       for n in noisy)
        rows.append(TuningRow(params, scores))
    rows.sort(key=lambda r: -r.mean_psnr)
    return rows
