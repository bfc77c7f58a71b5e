"""A user's own PyTorch autoencoder behind the model contract.

Accepted, without subclassing anything of ours:
- an `nn.Module` with `encode(x)` and `decode(z)` methods;
- an `nn.Module` with `encoder` and `decoder` sub-modules;
- an (encoder, decoder) pair of modules or callables.

The encoder may return the code (an autoencoder), a (mean, log-variance) pair, a dict with
`mu`/`mean`/`loc` and `logvar`/`log_var`, or a `torch.distributions.Normal`: those with a
spread make the model variational. Codes may be vectors (N x d) or spatial (N x C x h x w),
flattened for the map and restored for decoding. The decoder returns images in [0, 1], or
logits when opened with `output="logits"` (a sigmoid is applied). A conditional model
declares its labels (`conditioning.py`): its encoder is then called `encode(x, y)` and/or its
decoder `decode(z, y)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import nn

from latent_atlas.models.contract import Capabilities, code_width

from .checks import BadModelError
from .conditioning import Conditioning

Output = Literal["probabilities", "logits"]
_MEAN_KEYS = ("mu", "mean", "loc", "embedding", "z_mean")
_LOGVAR_KEYS = ("logvar", "log_var", "log_variance", "log_covariance", "z_log_var")


def split_posterior(raw: Any, what: str = "the encoder") -> tuple[torch.Tensor,
                                                                   torch.Tensor | None]:
    """(mean, log-variance or None) from whatever an encoder returned."""
    if isinstance(raw, torch.Tensor):
        return raw, None
    if isinstance(raw, torch.distributions.Normal):
        return raw.loc, 2.0 * torch.log(raw.scale)
    if isinstance(raw, dict) or hasattr(raw, "keys"):
        mean = next((raw[k] for k in _MEAN_KEYS if k in raw and raw[k] is not None), None)
        logvar = next((raw[k] for k in _LOGVAR_KEYS if k in raw and raw[k] is not None), None)
        if isinstance(mean, torch.Tensor):
            return mean, logvar if isinstance(logvar, torch.Tensor) else None
    if isinstance(raw, (tuple, list)) and len(raw) == 2 and all(
            isinstance(t, torch.Tensor) for t in raw):
        return raw[0], raw[1]
    raise BadModelError(
        f"{what} returned {_describe(raw)}; it must return the code (a tensor), a "
        "(mean, log-variance) pair, or a dict with 'mu' and 'logvar'")


def first_image(raw: Any, what: str = "the decoder") -> torch.Tensor:
    """The image tensor of whatever a decoder returned."""
    if isinstance(raw, torch.Tensor):
        return raw
    for key in ("sample", "recon_x", "x", "reconstruction", "images"):
        value = raw.get(key) if hasattr(raw, "get") else getattr(raw, key, None)
        if isinstance(value, torch.Tensor):
            return value
    if isinstance(raw, (tuple, list)) and raw and isinstance(raw[0], torch.Tensor):
        return raw[0]
    raise BadModelError(f"{what} returned {_describe(raw)}; it must return an image tensor "
                        "N x C x H x W")


def _describe(raw: Any) -> str:
    if isinstance(raw, (tuple, list)):
        return f"a {type(raw).__name__} of {len(raw)} ({', '.join(_describe(r) for r in raw[:3])})"
    if isinstance(raw, torch.Tensor):
        return f"a tensor of shape {tuple(raw.shape)}"
    return f"a {type(raw).__name__}"


class SourceModel(nn.Module):
    """An encode function and a decode function behind the model contract.

    `encode_fn(x)` and `decode_fn(z)` take and return torch tensors; `code_shape` is one
    code's shape as the decoder takes it; `modules` are the torch modules they use (so
    eval mode, the device and the parameters follow them). With a `conditioning`, the
    halves it names take the labels too (`encode_fn(x, y)`, `decode_fn(z, y)`).
    """

    needs_switches = False

    def __init__(self, encode_fn: Callable[..., Any], decode_fn: Callable[..., Any], *,
                 image_shape: tuple[int, int, int], code_shape: tuple[int, ...],
                 variational: bool, output: Output = "probabilities", family: str = "user",
                 modules: tuple[Any, ...] = (), label_names: tuple[str, ...] = (),
                 source: str = "a Python object",
                 conditioning: Conditioning | None = None) -> None:
        super().__init__()
        self._encode_fn = encode_fn
        self._decode_fn = decode_fn
        self.parts = nn.ModuleList([m for m in modules if isinstance(m, nn.Module)])
        self.image_shape = (int(image_shape[0]), int(image_shape[1]), int(image_shape[2]))
        self.code_shape = tuple(int(s) for s in code_shape)
        self.latent_dim = code_width(self.code_shape)
        self.variational = bool(variational)
        self.output: Output = output
        cond = "c" if conditioning is not None else ""
        self.kind = f"{family}-{cond}{'vae' if variational else 'ae'}"  # user-ae, onnx-vae, user-cvae
        self.label_names = tuple(label_names)
        self.source = source
        self.seed = 0
        self.conditioning = conditioning
        self.n_cond = 0 if conditioning is None else conditioning.classes
        self.default_label = 0 if conditioning is None else conditioning.default_label
        self.capabilities = Capabilities(log_variance=self.variational,
                                         prior=self.variational,
                                         labels=conditioning is not None)

    # ---- the contract -------------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        cond = self.conditioning
        raw = (self._encode_fn(x, cond.tensor(y, len(x), x.device))
               if cond is not None and cond.encoder else self._encode_fn(x))
        mu, logvar = split_posterior(raw)
        mu = mu.flatten(1)  # flatten, not reshape(len(x), ...): an ONNX export traces this
        if mu.shape[1] != self.latent_dim:
            raise BadModelError(f"the encoder gave codes of {mu.shape[1]} values, not "
                                f"{self.latent_dim} as when it was opened")
        if logvar is not None and self.variational:
            return mu, logvar.flatten(1)
        return mu, None

    def decode(self, z: torch.Tensor, y: Any = None) -> torch.Tensor:
        zs, cond = z.reshape(-1, *self.code_shape), self.conditioning
        out = first_image(self._decode_fn(zs, cond.tensor(y, len(z), z.device))
                          if cond is not None and cond.decoder else self._decode_fn(zs))
        if out.numel() != len(z) * code_width(self.image_shape):
            raise BadModelError(
                f"the decoder gave {_describe(out)} for {len(z)} code(s); it must give "
                f"{len(z)} x {' x '.join(map(str, self.image_shape))} images")
        out = out.reshape(-1, *self.image_shape)
        return torch.sigmoid(out) if self.output == "logits" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])


def undeclared_hint(exc: BaseException) -> str:
    """For a call that wanted more arguments (a conditional model opened as a plain one):
    how to declare its labels; else ""."""
    if isinstance(exc, TypeError) and "positional argument" in str(exc):
        return ("if it takes labels, declare them: conditioning={'classes': K} (or "
                "'conditioning' in the factory's dict; docs/own_model.md)")
    return ""


def _callable_parts(obj: Any) -> tuple[Callable[..., Any], Callable[..., Any], tuple[Any, ...]]:
    """(encode function, decode function, modules) of what a user handed over."""
    from .diffusers_vae import is_autoencoder_kl, kl_parts

    if is_autoencoder_kl(obj):
        enc_kl, dec_kl, kl = kl_parts(obj)
        return enc_kl, dec_kl, (kl,)
    if isinstance(obj, (tuple, list)) and len(obj) == 2 and all(callable(p) for p in obj):
        return obj[0], obj[1], tuple(obj)
    enc, dec = getattr(obj, "encode", None), getattr(obj, "decode", None)
    if callable(enc) and callable(dec):
        return enc, dec, (obj,)
    enc, dec = getattr(obj, "encoder", None), getattr(obj, "decoder", None)
    if callable(enc) and callable(dec):
        return enc, dec, (obj,)
    raise BadModelError(
        f"cannot use {_describe(obj)} as an autoencoder: hand over an nn.Module with "
        "encode(x) and decode(z) methods (or encoder and decoder sub-modules), or an "
        "(encoder, decoder) pair")


def from_object(obj: Any, image_shape: tuple[int, int, int], sample: torch.Tensor, *,
                output: Output = "probabilities", variational: bool | None = None,
                family: str = "user", source: str = "a Python object",
                conditioning: Conditioning | None = None,
                sample_labels: Any = None) -> SourceModel:
    """Wrap a user's module or (encoder, decoder) pair; `sample` (a few images N x C x H x W
    in [0, 1], with their `sample_labels` for a conditional model) finds the code shape and
    whether the encoder gives a log-variance."""
    encode_fn, decode_fn, modules = _callable_parts(obj)
    if conditioning is not None and family != "user":
        raise BadModelError(f"a {family} model takes no labels, so it cannot be conditional; "
                            "conditioning is declared for a model of your own (an nn.Module "
                            "or an (encoder, decoder) pair)")
    for m in modules:
        if isinstance(m, nn.Module):
            m.eval()
    takes_y = conditioning is not None and conditioning.encoder
    with torch.inference_mode():
        try:
            raw = (encode_fn(sample, conditioning.tensor(sample_labels, len(sample)))
                   if takes_y and conditioning is not None else encode_fn(sample))
        except BadModelError:
            raise
        except Exception as exc:
            if takes_y and conditioning is not None:
                raise BadModelError(
                    f"the encoder fails when called as encode(x, y) with labels of "
                    f"{conditioning.describe()}, as its conditioning declares: "
                    f"{type(exc).__name__}: {' '.join(str(exc).split())}; if only the decoder "
                    "takes the label, declare 'encoder': False") from None
            raise BadModelError(f"the encoder fails on {len(sample)} image(s) of "
                                f"{' x '.join(map(str, image_shape))}: "
                                f"{type(exc).__name__}: {' '.join(str(exc).split())}; "
                                f"{undeclared_hint(exc) or 'is this the data it was trained on?'}"
                                ) from None
        mu, logvar = split_posterior(raw)
    if mu.ndim < 2 or len(mu) != len(sample):
        raise BadModelError(f"the encoder gave {_describe(mu)} for {len(sample)} images; "
                            "it must give one code per image (N x d or N x C x h x w)")
    if logvar is not None and logvar.shape != mu.shape:
        raise BadModelError(f"the encoder's mean is {tuple(mu.shape)} but its log-variance "
                            f"is {tuple(logvar.shape)}")
    is_vae = logvar is not None if variational is None else bool(variational and logvar is not None)
    return SourceModel(encode_fn, decode_fn, image_shape=image_shape,
                       code_shape=tuple(mu.shape[1:]), variational=is_vae, output=output,
                       family=family, modules=modules, source=source,
                       conditioning=conditioning)
