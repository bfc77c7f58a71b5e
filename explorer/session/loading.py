"""The work behind a session's background jobs, as plain generators over core calls.

Nothing here touches a widget or a session: each function runs in a job thread, yields
`Stage` events the session applies on its owner thread, and returns a result. Torch is
imported inside the functions, never on the path to the first paint.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from latent_atlas.explorer.core.progress import Cancelled, Progress, check_cancel, relay


@dataclass(frozen=True)
class Stage(Progress):
    """A step of a multi-step job, for the status line (never throttled away); `payload`
    is what the step produced, if anything."""

    fraction: float | None = field(default=None, init=False)
    message: str = ""
    payload: Any = None


@dataclass(frozen=True)
class ModelReady(Progress):
    """The network is built: clicks can decode from now on (the data may follow)."""

    model: Any = None  # Autoencoder
    decoder: Any = None  # Decoder
    stage: str = field(default="model", init=False)
    fraction: float | None = field(default=None, init=False)
    message: str = field(default="model loaded", init=False)


@dataclass(frozen=True)
class DataReady(Progress):
    """The data the model was trained on, loaded with its reconstructions."""

    extras: Any = None  # DataExtras
    stage: str = field(default="data", init=False)
    fraction: float | None = field(default=None, init=False)


@dataclass(frozen=True)
class CodesReady(Progress):
    """A file without a stored map: its data is encoded, so the session can map the codes
    (PCA at once) while the reconstructions are still being made."""

    codes: Any = None  # N x latent_dim
    stage: str = field(default="codes", init=False)
    fraction: float | None = field(default=None, init=False)
    message: str = field(default="data encoded", init=False)


@dataclass(frozen=True)
class ImagesReady(Progress):
    """The data is loaded (images, labels, factors; the codes when the file had no map),
    before its reconstructions: sample pictures and the comparison's metrics need no
    more, and 10,000 reconstructions take seconds. `DataReady` follows with them."""

    extras: Any = None  # DataExtras, reconstructions still None
    stage: str = field(default="images", init=False)
    fraction: float | None = field(default=None, init=False)
    message: str = field(default="images loaded", init=False)


@dataclass(frozen=True)
class DataFailed(Progress):
    """The data could not be loaded; the map still works. `moved` names the spec whose
    path is gone (the window then asks where the data is now), else ""."""

    moved: str = ""
    stage: str = field(default="data_error", init=False)
    fraction: float | None = field(default=None, init=False)


def build_runtime(model_file: Any) -> tuple[Any, Any]:
    """Import torch (first time only), rebuild the network and wrap it in a Decoder."""
    from latent_atlas.explorer.core.inference import Decoder

    from .opening import build_model

    model = build_model(model_file)
    return model, Decoder(model)


@dataclass
class DataExtras:
    """The data a model was trained on, as a session shows it."""

    data: Any = None  # ImageSet
    images: np.ndarray | None = None
    labels: np.ndarray | None = None
    label_names: list[str] = field(default_factory=list)
    factors: dict[str, np.ndarray] = field(default_factory=dict)
    reconstructions: np.ndarray | None = None
    recon_error: np.ndarray | None = None
    codes: np.ndarray | None = None  # set when the file had no map: the session maps them
    note: str = ""


def dataset_extras(decoder: Any, spec: str, n_expected: int | None, cancel=None) -> DataExtras:
    """Load the data a model was trained on, with reconstructions and their errors."""
    from latent_atlas.explorer.core.progress import drain

    return drain(dataset_extras_iter(decoder, spec, n_expected, cancel))


def dataset_extras_iter(decoder: Any, spec: str, n_expected: int | None, cancel=None,
                        data: Any = None):
    """`dataset_extras` as a generator: yields `Stage("stage", ...)` while it encodes and
    reconstructs (a million images take minutes), `CodesReady` once encoded and
    `ImagesReady` before reconstructing; checks `cancel` at every batch. `data`
    (an ImageSet loaded already, as a model opened from Python has) skips the loading."""
    from latent_atlas.explorer.core.analysis.colouring import reconstruction_error

    from .opening import open_data

    # The spec came from the model file: a folder that moved is said to have moved.
    if data is None:
        data = open_data(spec, decoder.model.image_shape, model_name="the model",
                         from_file=True)
    check_cancel(cancel, "loading data")
    out = DataExtras(data=data, images=data.images, labels=data.labels,
                     label_names=list(data.label_names), factors=dict(data.factors))
    n = len(data)
    if n_expected is None:  # the file has no stored map: encode now, the session maps it
        from latent_atlas.explorer.core.inference import encode_iter

        # Streams uint8 batches (a memory-mapped source is read batch by batch).
        out.codes = yield from _every_percent(
            encode_iter(decoder.model, data.images, labels=data.labels, cancel=cancel),
            lambda e: (e.done, f"encoding {e.done:,}/{n:,} images…"))
        yield CodesReady(codes=out.codes)  # mapped now, not after every reconstruction
    elif n != n_expected:
        out.note = (f"the data '{spec}' has {n} images but the map has {n_expected}; "
                    "thumbnails are off")
        return DataExtras(data=None, note=out.note)
    yield ImagesReady(extras=replace(out))  # a copy: `out` gets the reconstructions below
    if n:
        first = np.asarray(decoder.reconstruct(data.images[:1]))
        recon = np.empty((n, *first.shape[1:]), dtype=np.uint8)  # filled in place: no concat
        last = 0
        for start in range(0, n, _RECON_BLOCK):
            check_cancel(cancel, "reconstructing")
            stop = min(n, start + _RECON_BLOCK)
            recon[start:stop] = decoder.reconstruct(data.images[start:stop])
            if 100 * stop // n > last:
                last = 100 * stop // n
                yield Stage("stage", f"reconstructing {stop:,}/{n:,} images…")
        out.reconstructions = recon
        out.recon_error = reconstruction_error(data.images, recon)
    return out


_RECON_BLOCK = 2048


def _every_percent(gen, done_and_message):
    """Relay a count-progress generator as `Stage` lines, about one per percent."""
    last = [-1]

    def line(event):
        done, message = done_and_message(event)
        total = max(1, getattr(event, "total", 1))
        percent = 100 * done // total
        if percent == last[0]:
            return None  # relay drops it
        last[0] = percent
        return Stage("stage", message)

    return (yield from relay(gen, line))


def load_runtime(model_file: Any, spec: str, n_expected: int | None, latent_map: Any, cancel):
    """Build the model (Stage 'model'), then load its data (Stage 'data' or 'data_error').

    The model comes first so clicks decode as early as possible; the data (which may
    import scikit-learn or read MNIST) follows.
    """
    check_cancel(cancel, "loading the model")
    model, decoder = build_runtime(model_file)
    yield ModelReady(model=model, decoder=decoder)
    if spec:
        yield from data_task(decoder, spec, n_expected, cancel)
    check_cancel(cancel, "warming up")
    # Build the map's inverse now (imports scipy, triangulates) so the first click is as
    # fast as every other one; the map object guards its lazy parts with a lock.
    if latent_map is not None:
        latent_map.prepare()
    warm_up_training()
    return None


def data_task(decoder: Any, spec: str, n_expected: int | None, cancel, data: Any = None):
    """Load a model's data: yields `DataReady`, or `DataFailed` when it cannot be had (a
    moved folder, no network...); the map and decoding work either way."""
    from .opening import DataMovedError

    check_cancel(cancel, "loading data")
    try:
        extras = yield from dataset_extras_iter(decoder, spec, n_expected, cancel, data)
    except Cancelled:
        raise
    except DataMovedError as exc:
        yield DataFailed(message=str(exc), moved=spec)
    except Exception as exc:  # offline, unreadable...: the map still works
        from .errors import readable_error

        yield DataFailed(message=f"data '{spec}' not available: {readable_error(exc)}")
    else:
        yield DataReady(message=f"data '{spec}' loaded", extras=extras)
    return None


def map_task(codes: np.ndarray, method: str, cancel):
    """Fit the refined map (UMAP by default) in a child process, yielding its progress.

    A child process, not this thread: importing umap and compiling numba kernels would
    hold the GIL (and freeze the window) for up to a second at a time.
    """
    from latent_atlas.explorer.core.isolated import fit_map_isolated

    return (yield from fit_map_isolated(codes, method, cancel=cancel))


_WARM = threading.Lock()  # held while a warm-up runs
_WARMED: list[bool] = []  # [True] once one has finished in this process


def warm_up_training() -> bool:
    """Run one optimiser step on a throwaway model so the modules torch imports lazily on
    the first training step (torch._dynamo, sympy, ~800 modules, ~2 s holding the GIL)
    load now, while the window is starting, not later while the user watches training.

    Once per process: every loading job calls it (two or more when a window opens a pair),
    and a call while another runs, or after one has finished, returns at once (False), so
    the lazy imports never run in two threads at the same time. True when this call ran it.
    """
    if _WARMED or not _WARM.acquire(blocking=False):
        return False
    try:
        if not _WARMED:
            _warm_up()
            _WARMED.append(True)
            return True
        return False
    finally:
        _WARM.release()


def _warm_up() -> None:
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=2, hidden=(2,),
                      epochs=1, batch_size=4)
    run_training(build_model(cfg), np.zeros((10, 1, 8, 8), np.uint8), device="cpu")
