"""Background work of the compare view, as plain generators over core calls.

Each function runs in a job thread; torch calls run on one intra-op thread: with two
threads on a busy machine the pool waits for descheduled workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.progress import check_cancel


def joint_parts(left_codes: np.ndarray, right_codes: np.ndarray, seed: int = 0):
    """Child-process side of `fit_jointly`: both maps of `build_joint_maps`, returned as
    plain parts (maps hold locks that cannot be pickled)."""
    from latent_atlas.explorer.core.analysis.comparison.align import build_joint_maps

    left, right = yield from build_joint_maps(left_codes, right_codes, seed=seed)
    assert right.base is not None  # an aligned map always has one
    return left.to_file_parts(), right.base.to_file_parts(), right.transform.to_dict()


def fit_jointly(left_codes: np.ndarray, right_codes: np.ndarray, cancel):
    """`build_joint_maps` in a child process (umap holds the GIL for seconds, and its fit
    cannot be interrupted otherwise); returns the prepared (left map, right AlignedMap)."""
    from latent_atlas.explorer.core.analysis.comparison.align import (
        SimilarityTransform,
        aligned_map,
    )
    from latent_atlas.explorer.core.isolated import run_isolated
    from latent_atlas.explorer.core.latent.map import LatentMap

    (lmeta, larrays), (rmeta, rarrays), tdict = yield from run_isolated(
        __name__, "joint_parts", np.asarray(left_codes, np.float32),
        np.asarray(right_codes, np.float32), cancel=cancel)
    left = LatentMap.from_file_parts(lmeta, larrays).prepare()
    right = aligned_map(LatentMap.from_file_parts(rmeta, rarrays),
                        SimilarityTransform.from_dict(tdict))
    return left, right.prepare()


def gap_task(decoders: list[Any], maps: list[Any], judge_name: str, images: np.ndarray,
             labels: np.ndarray | None, judge: Any, rect: tuple[float, float, float, float],
             resolution: int, cancel):
    """Heatmaps of every model over `rect` under one judge (`latent_atlas.explorer.core.analysis.gaps.heatmap`;
    built here once when `judge` is None). Returns (judge, [Heatmap, ...])."""
    from latent_atlas.explorer.core.analysis.gaps.heatmap import heatmap_iter, make_judge

    if judge is None:
        judge = make_judge(judge_name, images, labels)
    grids = []
    with one_torch_thread():
        for dec, m in zip(decoders, maps, strict=True):
            check_cancel(cancel, "gap scoring")
            grid = yield from heatmap_iter(dec, m, judge, rect, resolution, cancel=cancel)
            grids.append(grid)
    return judge, grids


def metrics_task(models: dict[str, Any], data: Any, settings: Any, cancel):
    """`compare_models` on one torch thread, then each model's per-latent diagnostics (and
    disentanglement metrics when the data has factors); returns the CompareResult. The
    table so far streams as progress events whose `partial` is set."""
    from dataclasses import replace

    from latent_atlas.explorer.core.analysis.comparison.metrics import compare_models
    from latent_atlas.explorer.core.analysis.comparison.results import MetricsProgress
    from latent_atlas.explorer.core.analysis.disentangle.per_model import latents_iter

    with one_torch_thread():
        result = yield from compare_models(models, data, settings, cancel=cancel)
        # the table without the per-latent rows, while those are measured (a copy: the
        # owner thread reads it while this one goes on)
        yield MetricsProgress("latents", 0.99, "per-latent diagnostics",
                              partial=replace(result, complete=False))
        result.latents = yield from latents_iter(models, data, seed=settings.seed, cancel=cancel)
    return result
