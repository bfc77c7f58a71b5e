"""Training from the windows, as plain generators (no Qt): one model from the Train
dialog, or an AE and a VAE pair for the compare view, saved next to each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from latent_atlas.explorer.core.progress import check_cancel
from latent_atlas.models.config import Arch, Kind, ModelConfig

from .loading import Stage

if TYPE_CHECKING:
    from .session import Session


@dataclass
class PairRequest:
    """What both models of the pair are trained with (only their kind differs)."""

    data_spec: str = "digits"
    arch: Arch = "conv"
    latent_dim: int = 8
    epochs: int = 10
    seed: int = 0
    folder: str = str(Path.home() / "LatentAtlas" / "pairs")
    upsample: str = "transpose"  # conv decoder blocks (latent_atlas.models.config.UPSAMPLE_CHOICES)
    downsample: str = "stride"  # conv encoder blocks

    @classmethod
    def like(cls, config: ModelConfig | None, data_spec: str = "") -> PairRequest:
        """A pair trained like the model of `config` (the dialog's first values)."""
        if config is None:
            return cls(data_spec=data_spec or "digits")
        return cls(data_spec=data_spec or "digits", arch=config.arch,
                   latent_dim=config.latent_dim, epochs=config.epochs, seed=config.seed,
                   upsample=config.upsample, downsample=config.downsample)


@dataclass
class TrainRequest:
    """Everything the Train dialog collects."""

    data_spec: str = "digits"
    kind: Kind = "vae"
    arch: Arch = "conv"
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
    result: Any  # latent_atlas.models.trainer.TrainResult
    data: Any  # ImageSet
    codes: np.ndarray
    quick: Any  # the PCA LatentMap shown at once
    reconstructions: np.ndarray | None = None
    recon_error: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def session(self, dispatcher: Any = None) -> Session | None:
        """The freshly trained model opened as an unsaved session (its PCA map now, UMAP
        refining in the background), or None when no epoch finished."""
        from .loading import DataExtras
        from .session import Session

        if self.quick is None:
            return None
        data, kind = self.data, self.model.config.kind
        name = f"{data.spec.split('?')[0].replace(':', '_').replace('/', '_')}_{kind}_new"
        s = Session(name, self.meta, latent_map=self.quick, labels=data.labels,
                    label_names=list(data.label_names), dispatcher=dispatcher)
        s.map_note = "PCA (UMAP refining…)"
        s.dirty = True
        s.set_model(self.model, self.decoder)
        s.set_data(DataExtras(data=data, images=data.images, labels=data.labels,
                              label_names=list(data.label_names), factors=dict(data.factors),
                              reconstructions=self.reconstructions,
                              recon_error=self.recon_error))
        s.refine_map("auto")
        return s


def train_task(req: TrainRequest, cancel):
    """Load data, train (yielding TrainProgress), encode, and make the quick PCA map."""
    yield Stage("stage", f"loading data '{req.data_spec}'…")
    from latent_atlas.explorer.core.data import load_data

    data = load_data(req.data_spec)
    check_cancel(cancel, "training")
    yield Stage("stage", "preparing the model…")
    from latent_atlas.explorer.core.analysis.colouring import reconstruction_error
    from latent_atlas.explorer.core.inference import Decoder, encode_iter
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.core.training import make_config
    from latent_atlas.models.checkpoint import APP_VERSION
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import train

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


def train_pair_task(request: Any, cancel):
    """Train an AE and a VAE with identical settings (`latent_atlas.explorer.core.training`), save
    each with its map next to each other in `request.folder`, and return the two paths.

    Saved files, not models in memory: the compare view then opens the pair exactly as it
    opens any pair, and the user keeps the trained models.
    """
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import encode as encode_all
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.core.training import latent_identity_map, train_pair
    from latent_atlas.models.config import ModelConfig, default_hidden

    yield Stage("stage", f"loading data '{request.data_spec}'…")
    data = load_data(request.data_spec)
    check_cancel(cancel, "training")
    cfg = ModelConfig(kind="ae", arch=request.arch, input_shape=data.shape,
                      latent_dim=request.latent_dim, hidden=default_hidden(request.arch, data.shape),
                      epochs=request.epochs, seed=request.seed,
                      **({"upsample": request.upsample, "downsample": request.downsample}
                         if request.arch == "conv" else {}))
    pair = yield from train_pair(cfg, data.images, labels=data.labels, device="cpu",
                                 cancel=cancel)
    if pair.status == "cancelled":
        from latent_atlas.explorer.core.progress import Cancelled

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
        latent_map = latent_identity_map(model, data)  # a 2-D latent is its own map
        if latent_map is None:
            latent_map = quick_map(encode_all(model, data.images))
        path = folder / f"{stem}_{kind}.safetensors"
        save_explorable(path, model, latent_map=latent_map, data_spec=data.spec,
                        label_names=list(data.label_names), history=trained.history,
                        labels=data.labels)
        paths.append(str(path))
    return paths
