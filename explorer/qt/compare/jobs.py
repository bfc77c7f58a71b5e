"""Background work of the compare view, as plain generators over core calls (no widgets).

Each function runs in a `workers.Job` thread; torch calls run on one intra-op thread
(`one_torch_thread`): with two threads on a busy machine the pool waits for descheduled workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.core.inference import one_torch_thread
from explorer.core.progress import check_cancel

from ..tasks import Stage, build_runtime


def load_pair(model_files: list[Any], spec: str, cancel):
    """Build both networks (Stage 'model', payload (side, model, decoder)), then load the
    data they were trained on (Stage 'data', payload ImageSet)."""
    for side, mf in enumerate(model_files):
        check_cancel(cancel, "loading models")
        model, decoder = build_runtime(mf)
        yield Stage("model", "model loaded", (model, decoder), side)
    check_cancel(cancel, "loading data")
    from explorer.core.data import load_data

    data = load_data(spec)
    yield Stage("data", f"data '{spec}' loaded", data)
    return None


def aligned_parts(codes: np.ndarray, ref_meta: dict, ref_arrays: dict, seed: int = 0):
    """Child-process side of `refine_alignment`: the UMAP of `codes` laid out from the
    reference map, returned as plain parts (maps hold locks that cannot be pickled)."""
    from explorer.core.analysis.compare import build_aligned_map
    from explorer.core.latent.map import LatentMap

    reference = LatentMap.from_file_parts(ref_meta, ref_arrays)
    aligned = yield from build_aligned_map(codes, reference, seed=seed)
    return aligned.base.to_file_parts(), aligned.transform.to_dict()


def refine_alignment(codes: np.ndarray, reference: Any, cancel):
    """`build_aligned_map` in a child process (umap holds the GIL for seconds while numba
    compiles); returns the prepared AlignedMap in this process."""
    from explorer.core.analysis.compare import SimilarityTransform, aligned_map
    from explorer.core.isolated import run_isolated
    from explorer.core.latent.map import LatentMap

    meta, arrays = reference.to_file_parts()
    (bmeta, barrays), tdict = yield from run_isolated(
        __name__, "aligned_parts", np.asarray(codes, np.float32), meta, arrays, cancel=cancel)
    base = LatentMap.from_file_parts(bmeta, barrays)
    out = aligned_map(base, SimilarityTransform.from_dict(tdict))
    return out.prepare()


def gap_task(decoders: list[Any], maps: list[Any], images: np.ndarray, index: Any,
             rect: tuple[float, float, float, float], resolution: int, cancel):
    """Gap grids of every model over `rect` (one shared real-image index).
    Returns (index, [GapGrid, ...])."""
    from explorer.core.analysis.gaps import RealImageIndex, gap_grid_iter

    if index is None:
        index = RealImageIndex(images, max_images=20_000)
    grids = []
    with one_torch_thread():
        for dec, m in zip(decoders, maps, strict=True):
            check_cancel(cancel, "gap scoring")
            grid = yield from gap_grid_iter(dec, m, index, rect, resolution, cancel=cancel)
            grids.append(grid)
    return index, grids


def metrics_task(models: dict[str, Any], data: Any, settings: Any, cancel):
    """`compare_models` on one torch thread; returns the CompareResult."""
    from explorer.core.analysis.metrics import compare_models

    with one_torch_thread():
        result = yield from compare_models(models, data, settings, cancel=cancel)
    return result


def train_pair_task(request: Any, cancel):
    """Train an AE and a VAE with identical settings (`explorer.core.training`), save
    each with its map next to each other in `request.folder`, and return the two paths.

    Saved files, not models in memory: the compare view then opens the pair exactly as it
    opens any pair, and the user keeps the trained models.
    """
    from pathlib import Path

    from explorer.core.data import load_data
    from explorer.core.inference import encode
    from explorer.core.io.saving import save_explorable
    from explorer.core.latent.map import quick_map
    from explorer.core.training import train_pair
    from models.config import ModelConfig, default_hidden

    yield Stage("stage", f"loading data '{request.data_spec}'…")
    data = load_data(request.data_spec)
    check_cancel(cancel, "training")
    cfg = ModelConfig(kind="ae", arch=request.arch, input_shape=data.shape,
                      latent_dim=request.latent_dim, hidden=default_hidden(request.arch, data.shape),
                      epochs=request.epochs, seed=request.seed)
    pair = yield from train_pair(cfg, data.images, labels=data.labels, device="cpu",
                                 cancel=cancel)
    if pair.status == "cancelled":
        from explorer.core.progress import Cancelled

        raise Cancelled(pair.message or "training cancelled")
    if pair.status != "completed":
        raise ValueError(pair.message or f"training {pair.status}")
    folder = Path(request.folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = request.data_spec.split(":")[0] or "data"
    paths = []
    for kind, trained in pair.results.items():
        yield Stage("stage", f"encoding with the {kind.upper()}…")
        model = trained.model.cpu().eval()
        codes = encode(model, data.images)
        path = folder / f"{stem}_{kind}.safetensors"
        save_explorable(path, model, latent_map=quick_map(codes), data_spec=data.spec,
                        label_names=list(data.label_names), history=trained.history,
                        labels=data.labels)
        paths.append(str(path))
    return paths
