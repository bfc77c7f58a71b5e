"""The work behind the window's background jobs, as plain generators over core calls.

Nothing here touches a widget: each function runs in a worker thread (see workers.Job),
yields small events the window applies to the state on the GUI thread, and returns a
result. Torch is imported here, inside the functions, never on the path to first paint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.progress import Progress, check_cancel


@dataclass(frozen=True)
class Stage(Progress):
    """A step of a multi-step job, for the status line (never throttled away): `stage` is
    "model", "data", "data_error" or "stage"; `payload` what the step produced."""

    fraction: float | None = field(default=None, init=False)
    message: str = ""
    payload: Any = None
    index: int = -1


def read_entry_parts(path: str | Path) -> tuple[Any, Any, np.ndarray | None]:
    """Numpy-only read of a model file: (ModelFile, LatentMap | None, labels | None)."""
    from explorer.core.latent.map import load_map
    from models.modelfile import read_model_file

    mf = read_model_file(path)
    if "config" not in mf.meta:
        from models.modelfile import NotAModelFileError

        raise NotAModelFileError(f"{Path(path).name} holds no model config")
    latent_map = load_map(mf)
    labels = None
    for key in ("map.labels", "data.labels", "labels"):
        if key in mf.arrays:
            labels = np.asarray(mf.arrays[key]).astype(np.int64).ravel()
            break
    return mf, latent_map, labels


def build_runtime(model_file) -> tuple[Any, Any]:
    """Import torch (first time only), rebuild the network and wrap it in a Decoder."""
    from explorer.core.inference import Decoder
    from models.checkpoint import model_from_file

    model = model_from_file(model_file)
    return model, Decoder(model)


def dataset_extras(decoder, spec: str, n_expected: int | None, cancel=None) -> dict[str, Any]:
    """Load the data a model was trained on, with reconstructions and their errors."""
    from explorer.core.analysis.colouring import reconstruction_error
    from explorer.core.data import load_data

    data = load_data(spec)
    check_cancel(cancel, "loading data")
    out: dict[str, Any] = {"images": data.images, "labels": data.labels,
                           "label_names": list(data.label_names), "factors": dict(data.factors),
                           "reconstructions": None, "recon_error": None, "note": ""}
    if n_expected is None:  # the file has no stored map: encode now, the window maps it
        from explorer.core.inference import encode

        out["codes"] = encode(decoder.model, data.images)
    elif len(data) != n_expected:
        out["note"] = (f"the data '{spec}' has {len(data)} images but the map has {n_expected}; "
                       "thumbnails are off")
        out["images"] = None
        out["labels"] = None
        out["factors"] = {}
        return out
    recon = []
    for start in range(0, len(data.images), 2048):
        check_cancel(cancel, "reconstructing")
        recon.append(np.asarray(decoder.reconstruct(data.images[start : start + 2048])))
    out["reconstructions"] = np.concatenate(recon) if recon else None
    if out["reconstructions"] is not None:
        out["recon_error"] = reconstruction_error(data.images, out["reconstructions"])
    return out


def load_runtime(jobs: list[tuple[int, Any, str, int | None]], cancel, maps: tuple = ()):
    """For each (entry index, ModelFile, data spec, map size): build the model, then the data.

    Models come first for every entry so clicks decode as early as possible; data (which
    may import scikit-learn or read MNIST) follows.
    """
    decoders = {}
    for index, mf, _spec, _n in jobs:
        check_cancel(cancel, "loading models")
        model, decoder = build_runtime(mf)
        decoders[index] = decoder
        yield Stage("model", "model loaded", (model, decoder), index)
    for index, _mf, spec, n in jobs:
        check_cancel(cancel, "loading data")
        if not spec:
            continue
        try:
            extras = dataset_extras(decoders[index], spec, n, cancel)
        except Exception as exc:  # missing data folder, offline...: the map still works
            from .workers import readable_error

            yield Stage("data_error", f"data '{spec}' not available: {readable_error(exc)}",
                        None, index)
            continue
        yield Stage("data", f"data '{spec}' loaded", extras, index)
    check_cancel(cancel, "warming up")
    # Build each map's inverse now (imports scipy, triangulates) so the first click is as
    # fast as every other one; the map object guards its lazy parts with a lock.
    for map_ in maps:
        map_.prepare()
    warm_up_training()
    return None


@dataclass
class TrainRequest:
    """Everything the Train dialog collects."""

    data_spec: str = "digits"
    kind: str = "vae"
    arch: str = "conv"
    latent_dim: int = 8
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0
    seed: int = 0
    device: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainOutcome:
    model: Any
    decoder: Any
    result: Any  # models.trainer.TrainResult
    data: Any  # ImageSet
    codes: np.ndarray
    quick: Any  # the PCA LatentMap shown at once
    reconstructions: np.ndarray | None = None
    recon_error: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def train_task(req: TrainRequest, cancel):
    """Load data, train (yielding TrainProgress), encode, and make the quick PCA map."""
    yield Stage("stage", f"loading data '{req.data_spec}'…")
    from explorer.core.data import load_data

    data = load_data(req.data_spec)
    check_cancel(cancel, "training")
    yield Stage("stage", "preparing the model…")
    from explorer.core.analysis.colouring import reconstruction_error
    from explorer.core.inference import Decoder, encode_iter
    from explorer.core.latent.map import quick_map
    from explorer.core.training import make_config
    from models.checkpoint import APP_VERSION
    from models.networks import build_model
    from models.trainer import train

    cfg = make_config(data, kind=req.kind, arch=req.arch, latent_dim=req.latent_dim,
                      beta=req.beta, lr=req.lr, batch_size=req.batch_size, epochs=req.epochs,
                      seed=req.seed, **req.extra)
    model = build_model(cfg)
    result = yield from train(model, data.images, labels=data.labels, device=req.device,
                              cancel=cancel)
    model = result.model.cpu().eval()
    if result.epochs_completed == 0:
        return TrainOutcome(model, None, result, data, np.zeros((0, cfg.latent_dim), np.float32),
                            None)
    yield Stage("stage", "encoding the data…")
    # Encoding is not cancellable by the training Cancel: the epochs are worth keeping.
    codes = yield from encode_iter(model, data.images, labels=data.labels)
    quick = quick_map(codes)
    decoder = Decoder(model)
    recon = np.concatenate([np.asarray(decoder.reconstruct(data.images[i : i + 2048]))
                            for i in range(0, len(data.images), 2048)])
    meta = {"format_version": 1, "app_version": APP_VERSION, "config": cfg.to_dict(),
            "data_spec": data.spec, "label_names": list(data.label_names),
            "history": result.history}
    return TrainOutcome(model, decoder, result, data, codes, quick, recon,
                        reconstruction_error(data.images, recon), meta)


def map_task(codes: np.ndarray, method: str, cancel):
    """Fit the refined map (UMAP by default) in a child process, yielding MapProgress.

    A child process, not this thread: importing umap and compiling numba kernels would
    hold the GIL (and freeze the window) for up to a second at a time.
    """
    from explorer.core.isolated import fit_map_isolated

    return (yield from fit_map_isolated(codes, method, cancel=cancel))


def warm_up_training() -> None:
    """Run one optimiser step on a throwaway model so the modules torch imports lazily on
    the first training step (torch._dynamo, sympy, ~800 modules, ~2 s holding the GIL)
    load now, while the window is starting, not later while the user watches training."""
    from models.config import ModelConfig
    from models.networks import build_model
    from models.trainer import run_training

    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=2, hidden=(2,),
                      epochs=1, batch_size=4)
    run_training(build_model(cfg), np.zeros((10, 1, 8, 8), np.uint8), device="cpu")
