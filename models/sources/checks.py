"""One probe of a model that Latent Atlas did not build, when it is opened.

Everything that would otherwise fail later, in a click or in a metric, is found here on a
few real images and said in one sentence (`BadModelError`): a decoder that does not take
the encoder's codes, images of the wrong shape, NaN or infinite values, values outside
[0, 1] (with the logits reading offered). A decoder slower than `SLOW_DECODE_S` per image
gets a notice (returned, not raised): the map still works, coalescing keeps up.
"""

from __future__ import annotations

import time
from typing import Any

import torch

SLOW_DECODE_S = 0.1
# Outputs this far outside [0, 1] are not rounding: the decoder gives something else.
RANGE_SLACK = 1e-3


class BadModelError(ValueError):
    """A model that cannot be explored as it is; the message says why and what to do."""


def _shape(t: torch.Tensor) -> str:
    return " x ".join(str(s) for s in t.shape)


def probe_model(model: Any, sample: torch.Tensor, *, name: str = "the model",
                slow_s: float = SLOW_DECODE_S) -> list[str]:
    """Encode and decode `sample` (N x C x H x W floats in [0, 1]) with a contract model;
    raise `BadModelError` for what would break the views, return notices for the rest."""
    notes: list[str] = []
    model.eval()
    with torch.inference_mode():
        try:
            mu, logvar = model.encode(sample)
        except BadModelError as exc:
            raise BadModelError(f"{name}: {exc}") from None
        except Exception as exc:
            raise BadModelError(f"{name}: the encoder fails on images of "
                                f"{_shape(sample[0])}: {type(exc).__name__}: {exc}") from None
        if not torch.isfinite(mu).all() or (logvar is not None
                                            and not torch.isfinite(logvar).all()):
            raise BadModelError(f"{name}: the encoder gives NaN or infinite codes")
        try:
            out = model.decode(mu)
        except BadModelError as exc:
            raise BadModelError(f"{name}: {exc}") from None
        except Exception as exc:
            raise BadModelError(
                f"{name}: the decoder does not take the encoder's codes "
                f"({_shape(mu)}): {type(exc).__name__}: {exc}") from None
        if not torch.isfinite(out).all():
            raise BadModelError(f"{name}: the decoder gives NaN or infinite pixels")
        lo, hi = float(out.min()), float(out.max())
        if lo < -RANGE_SLACK or hi > 1 + RANGE_SLACK:
            raise BadModelError(
                f"{name}: the decoder gives values from {lo:.3g} to {hi:.3g}, outside "
                "[0, 1]; if they are logits, open it with the logits reading "
                "(--logits, or output='logits')")
        start = time.perf_counter()
        model.decode(mu[:1])
        per_image = time.perf_counter() - start
    if per_image > slow_s:
        notes.append(f"{name} decodes one image in {1000 * per_image:.0f} ms (over "
                     f"{1000 * slow_s:.0f} ms): the map decodes only the newest position "
                     "while it waits, so it follows the mouse in jumps")
    return notes
