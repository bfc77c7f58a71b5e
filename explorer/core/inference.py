"""The one inference runner: every encode and decode of a model in the project goes here.

It owns what each of them needs: checking images and codes, batching, the labels of a
conditional model, the model's device, the thread policy, `torch.inference_mode()`, eval
mode (restored after) and the conversion to display images.

    codes = encode(model, images_uint8, labels=labels)          # mean codes N x d
    codes = yield from encode_iter(model, images, cancel=ev)    # the same, with progress
    mu, logvar = encode_posterior(model, float_or_uint8_images) # logvar None for an AE
    images = decode_float(model, codes, labels=labels)          # float M x C x H x W
    Decoder(model).decode_at(latent_map, (x, y))                # the click path: uint8 image
    images = reconstruct_float(model, images_uint8)             # encode + decode

A max-unpooling decoder needs max-pooling switches: a reconstruction uses the image's own,
any other code those of the nearest data sample (`latent_atlas.explorer.core.switches`).

The map always plots the mean code (`mu`), never a sampled one: a VAE's sample would move
every point on each run. Images stay uint8 until a batch is made, so encoding 60,000 MNIST
images needs a few megabytes of float memory at a time. The click path is inverse (sub-
millisecond) + one small decoder pass (~0.25 ms) + the uint8 conversion, so `Decoder`
avoids per-call work beyond the image. Torch is imported inside the functions only.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.checks import _check_batch_size, check_codes, check_images
from latent_atlas.explorer.core.progress import CountProgress, check_cancel, drain
from latent_atlas.explorer.core.switches import (
    SwitchReference,
    attach_reference,
    needs_switches,
    resolve_reference,
    switch_reference,
    switch_sources,
)

if TYPE_CHECKING:
    import torch

    from latent_atlas.models.networks import Autoencoder

ENCODE_BATCH = 1024
DECODE_BATCH = 1024
# Batches up to this size run on one intra-op thread (see `one_torch_thread`).
SINGLE_THREAD_MAX = 64


@dataclass(frozen=True)
class EncodeProgress(CountProgress):
    """`done` of `total` images encoded so far."""

    STAGE: ClassVar[str] = "encode"
    TEMPLATE: ClassVar[str] = "encoding {done:,}/{total:,} images…"


# --- device and threads --------------------------------------------------------------

def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's parameters (the CPU for a model without any)."""
    import torch

    params = model.parameters() if hasattr(model, "parameters") else iter(())
    first = next(iter(params), None)
    return first.device if first is not None else torch.device("cpu")


@contextmanager
def one_torch_thread(active: bool = True) -> Iterator[None]:
    """Run small model calls (one image, a click, a traversal grid) on one intra-op thread.

    A tiny network gains nothing from a second thread, and when the other core is busy
    (training, a UMAP fit, another program) the pool waits for a descheduled worker:
    measured on 2 cores, one decode of a click went from 0.5 ms to 100+ ms and one encode
    of an 8 x 8 image from 0.7 ms to 50 ms. The setting applies to the calling thread only
    and is restored afterwards; torch is used only if it is imported already (a model is
    loaded), so this is free on the start-up path. `active=False` makes it a no-op.
    """
    if not active or "torch" not in sys.modules:
        yield
        return
    import torch

    prev = torch.get_num_threads()
    if prev <= 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def _small(n: int, device: torch.device) -> bool:
    return n <= SINGLE_THREAD_MAX and device.type == "cpu"


def _labels(model: Autoencoder, labels: npt.ArrayLike | None, n: int) -> np.ndarray | None:
    """Labels for a conditional model (None: its default label); ignored by other models."""
    if labels is None or not getattr(model, "n_cond", 0):
        return None
    y = np.asarray(labels)
    if y.ndim == 0:
        y = np.full(n, int(y), dtype=np.int64)
    if y.shape != (n,):
        raise ValueError(f"{n} images or codes but {len(y)} labels")
    return y.astype(np.int64, copy=False)


def _label_batch(y: np.ndarray | None, start: int, stop: int, device: torch.device
                 ) -> torch.Tensor | None:
    if y is None:
        return None
    import torch

    t = torch.from_numpy(np.ascontiguousarray(y[start:stop]))
    return t if device.type == "cpu" else t.to(device)


# --- encode --------------------------------------------------------------------------

def _encode_batches(model: Autoencoder, images: np.ndarray, labels: npt.ArrayLike | None,
                    batch_size: int, cancel: Any, want_logvar: bool
                    ) -> Generator[EncodeProgress, None, tuple[np.ndarray, np.ndarray | None]]:
    import torch

    bs = _check_batch_size(batch_size)
    n = len(images)
    y = _labels(model, labels, n)
    d = int(model.latent_dim)
    mu_out = np.empty((n, d), dtype=np.float32)
    lv_out = (np.empty((n, d), dtype=np.float32)
              if want_logvar and model.config.is_variational else None)
    device = model_device(model)
    single = _small(n, device)
    was_training = model.training
    model.eval()
    try:
        yield EncodeProgress(0, n)
        for start in range(0, n, bs):
            check_cancel(cancel, "encoding")
            stop = min(n, start + bs)
            # np.array copies the slice: torch refuses read-only buffers (e.g. memory maps).
            x = torch.from_numpy(np.array(images[start:stop]))
            if device.type != "cpu":
                x = x.to(device)
            with one_torch_thread(single), torch.inference_mode():
                x = x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()
                yb = _label_batch(y, start, stop, device)
                mu, logvar = model.encode(x) if yb is None else model.encode(x, yb)
                mu_out[start:stop] = mu.float().cpu().numpy()
                if lv_out is not None and logvar is not None:
                    lv_out[start:stop] = logvar.float().cpu().numpy()
            yield EncodeProgress(stop, n)
    finally:
        model.train(was_training)
    if not np.isfinite(mu_out).all():
        raise ValueError("the model produced NaN or infinite codes; its weights are damaged "
                         "(did training diverge?)")
    return mu_out, lv_out


def encode_iter(model: Autoencoder, images_uint8: np.ndarray, *,
                labels: npt.ArrayLike | None = None, batch_size: int = ENCODE_BATCH,
                cancel: Any = None) -> Generator[EncodeProgress, None, np.ndarray]:
    """Yield `EncodeProgress` per batch; return the mean codes (N x d float32).

    A conditional model encodes each image under its own label when `labels` is given
    (otherwise under the model's default label). The model runs in eval mode (restored
    after). `cancel` (Event-like or callable) is checked before every batch; when set,
    raises `latent_atlas.explorer.core.progress.Cancelled`.
    """
    images = check_images(model, images_uint8)
    mu, _ = yield from _encode_batches(model, images, labels, batch_size, cancel, False)
    return mu


def encode(model: Autoencoder, images_uint8: np.ndarray, *,
           labels: npt.ArrayLike | None = None, batch_size: int = ENCODE_BATCH) -> np.ndarray:
    """Mean codes N x d of uint8 images N x C x H x W (or one C x H x W): `encode_iter` drained."""
    return drain(encode_iter(model, images_uint8, labels=labels, batch_size=batch_size))


def encode_posterior(model: Autoencoder, images: np.ndarray, *,
                     labels: npt.ArrayLike | None = None, batch_size: int = ENCODE_BATCH
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """(mean codes N x d, log-variances N x d or None for a non-variational model).

    Takes uint8 images or float images in [0, 1] (inpainting feeds the model's own output
    back in).
    """
    batch = check_images(model, images, allow_float=True)
    return drain(_encode_batches(model, batch, labels, batch_size, None, True))


# --- max-pooling switches (see latent_atlas.explorer.core.switches) --------------------------------

def set_switch_reference(model: Autoencoder, images: np.ndarray,
                         codes: npt.ArrayLike | None = None, *,
                         labels: npt.ArrayLike | None = None) -> SwitchReference | None:
    """Attach the data a max-unpooling model borrows switches from (a no-op, returning None,
    for every other model). `codes` default to the images' mean codes."""
    if not needs_switches(model):
        return None
    images = check_images(model, images)
    z = encode(model, images, labels=labels) if codes is None else check_codes(codes)
    ref = SwitchReference(images, z)
    attach_reference(model, ref)
    return ref


def _switches(model: Autoencoder, images: np.ndarray, device: torch.device) -> list[torch.Tensor]:
    """The encoder's max-pooling switches of uint8 or [0, 1] float images (inside the
    caller's inference mode)."""
    import torch

    x = torch.from_numpy(np.array(images))
    if device.type != "cpu":
        x = x.to(device)
    x = x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()
    return model.encode_with_switches(x)[2]


# --- decode --------------------------------------------------------------------------

def _decode(model: Autoencoder, z: npt.NDArray[np.float32], y: torch.Tensor | None,
            device: torch.device, reference: SwitchReference | None = None,
            switch_images: np.ndarray | None = None) -> npt.NDArray[np.float32]:
    """One decoder pass; every decode of the project goes through here, so this is where
    NaN is caught (it would silently become a black image) and where a max-unpooling
    decoder gets its switches: those of `switch_images` (a reconstruction, row-aligned),
    else those of the nearest sample of the reference."""
    import torch  # imported already (the model is a torch module): a dictionary look-up

    t = torch.from_numpy(z)
    if device.type != "cpu":
        t = t.to(device)
    if needs_switches(model):
        if switch_images is None:
            ref = resolve_reference(model, reference)
            switch_images = ref.images[ref.nearest(z)]
        decoded = model.decode(t, y, _switches(model, switch_images, device))
    else:
        decoded = model.decode(t) if y is None else model.decode(t, y)
    out: npt.NDArray[np.float32] = decoded.float().cpu().numpy()
    if not np.isfinite(out).all():
        raise ValueError("the model decoded NaN or infinite pixels: its weights are damaged "
                         "(did training diverge?)")
    return out


def decode_float(model: Autoencoder, codes: npt.ArrayLike, *,
                 labels: npt.ArrayLike | None = None, batch_size: int = DECODE_BATCH,
                 reference: SwitchReference | None = None,
                 switch_images: np.ndarray | None = None) -> npt.NDArray[np.float32]:
    """Codes (M, d) or one (d,) -> float images M x C x H x W in [0, 1], in batches.

    A conditional model decodes under `labels` (one per code, or one for all; default:
    its default label). The model runs in eval mode (restored after). A max-unpooling
    model decodes with the switches of `switch_images` (one image per code: the codes'
    own images, for a reconstruction), else of the nearest sample of `reference` (default:
    the one attached to the model); other models ignore both.
    """
    import torch

    z = check_codes(codes, int(model.latent_dim), one=True)
    if switch_images is not None and needs_switches(model):
        switch_images = check_images(model, switch_images, allow_float=True)
        if len(switch_images) != len(z):
            raise ValueError(f"{len(z)} codes but {len(switch_images)} switch images")
    else:
        switch_images = None
    bs = _check_batch_size(batch_size)
    m = len(z)
    y = _labels(model, labels, m)
    out = np.empty((m, *model.config.input_shape), dtype=np.float32)
    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        with one_torch_thread(_small(m, device)), torch.inference_mode():
            for start in range(0, m, bs):
                stop = min(m, start + bs)
                out[start:stop] = _decode(
                    model, z[start:stop], _label_batch(y, start, stop, device), device,
                    reference, None if switch_images is None else switch_images[start:stop])
    finally:
        model.train(was_training)
    return out


def reconstruct_float(model: Autoencoder, images: np.ndarray, *,
                      labels: npt.ArrayLike | None = None, batch_size: int = DECODE_BATCH
                      ) -> npt.NDArray[np.float32]:
    """Encode then decode uint8 (or [0, 1] float) images: float images N x C x H x W.

    A max-unpooling model decodes each image with its own switches, so this is a true
    reconstruction even for images outside its switch reference.
    """
    batch = check_images(model, images, allow_float=True)
    mu, _ = encode_posterior(model, batch, labels=labels, batch_size=batch_size)
    return decode_float(model, mu, labels=labels, batch_size=batch_size, switch_images=batch)


def to_display(images: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Float images N x C x H x W in [0, 1] (numpy or torch) -> uint8 N x H x W or N x H x W x 3.

    One-channel images lose the channel axis (what `ImageItem.setImage` and Pillow's "L"
    mode want); three-channel images become channels-last. Values outside [0, 1] clip.
    """
    if hasattr(images, "detach"):  # a torch tensor; no torch import needed here
        images = images.detach().cpu().numpy()
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(f"images must be N x C x H x W with 1 or 3 channels, not {arr.shape}")
    out = np.clip(arr * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    if out.shape[1] == 1:
        return out[:, 0]
    return np.ascontiguousarray(out.transpose(0, 2, 3, 1))


class HasInverse(Protocol):
    """A map's inverse (see `latent_atlas.explorer.core.latent.map.MapLike`): position(s) -> code(s)."""

    def inverse(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]: ...


class Decoder:
    """Decode codes (or map positions) of one model to uint8 display images.

    Single inputs give single images: `decode(z)` with z of shape (d,) returns H x W
    (or H x W x 3); a batch (M, d) returns M images. Puts the model in eval mode for good:
    this is the display path of a loaded model.
    """

    def __init__(self, model: Autoencoder) -> None:
        self.model = model
        model.eval()
        self.device = model_device(model)
        self._dim = int(model.latent_dim)

    @property
    def latent_dim(self) -> int:
        return self._dim

    @property
    def needs_switches(self) -> bool:
        """A max-unpooling decoder: codes decode with a data sample's switches."""
        return needs_switches(self.model)

    @property
    def decodes_codes(self) -> bool:
        """Whether any code decodes now (a max-unpooling model: once data is attached)."""
        return not self.needs_switches or switch_reference(self.model) is not None

    def switch_sources(self, codes: npt.ArrayLike) -> npt.NDArray[np.int64] | None:
        """The data sample whose switches decode each code (None for other models)."""
        return switch_sources(self.model, codes)

    def decode_float(self, codes: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Codes (M, d) or (d,) -> float images M x C x H x W in [0, 1]."""
        z = check_codes(codes, self._dim, one=True)
        if len(z) > DECODE_BATCH:
            return decode_float(self.model, z)
        import torch  # the click path: one batch, no per-call setup beyond this

        with one_torch_thread(_small(len(z), self.device)), torch.inference_mode():
            return _decode(self.model, z, None, self.device)

    def decode(self, codes: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Codes (d,) or (M, d) -> uint8 display image(s)."""
        single = np.ndim(codes) == 1
        out = to_display(self.decode_float(codes))
        return out[0] if single else out

    def decode_at(self, latent_map: HasInverse, xy: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """Map position(s) (2,) or (M, 2) -> uint8 display image(s) via the map's inverse."""
        return self.decode(latent_map.inverse(xy))

    def encode(self, images_uint8: np.ndarray) -> npt.NDArray[np.float32]:
        """uint8 images N x C x H x W (or one C x H x W) -> mean codes N x d."""
        return encode(self.model, images_uint8)

    def reconstruct(self, images_uint8: np.ndarray) -> npt.NDArray[np.uint8]:
        """Encode then decode: uint8 images in, uint8 display images out (N of them)."""
        return to_display(reconstruct_float(self.model, images_uint8))
