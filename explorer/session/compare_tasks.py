"""Background work of the compare view, as plain generators over core calls.

Each function runs in a job thread; torch calls run on one intra-op thread: with two
threads on a busy machine the pool waits for descheduled workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.progress import check_cancel


def aligned_parts(codes: np.ndarray, ref_meta: dict, ref_arrays: dict, seed: int = 0):
    """Child-process side of `refine_alignment`: the UMAP of `codes` laid out from the
    reference map, returned as plain parts (maps hold locks that cannot be pickled)."""
    from latent_atlas.explorer.core.analysis.comparison.align import build_aligned_map
    from latent_atlas.explorer.core.latent.map import LatentMap

    reference = LatentMap.from_file_parts(ref_meta, ref_arrays)
    aligned = yield from build_aligned_map(codes, reference, seed=seed)
    assert aligned.base is not None  # an aligned map always has one
    return aligned.base.to_file_parts(), aligned.transform.to_dict()


def refine_alignment(codes: np.ndarray, reference: Any, cancel):
    """`build_aligned_map` in a child process (umap holds the GIL for seconds while numba
    compiles); returns the prepared AlignedMap in this process."""
    from latent_atlas.explorer.core.analysis.comparison.align import (
        SimilarityTransform,
        aligned_map,
    )
    from latent_atlas.explorer.core.isolated import run_isolated
    from latent_atlas.explorer.core.latent.map import LatentMap

    meta, arrays = reference.to_file_parts()
    (bmeta, barrays), tdict = yield from run_isolated(
        __name__, "aligned_parts", np.asarray(codes, np.float32), meta, arrays, cancel=cancel)
    base = LatentMap.from_file_parts(bmeta, barrays)
    out = aligned_map(base, SimilarityTransform.from_dict(tdict))
    return out.prepare()


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
