"""One probe of a model that Latent Atlas did not build, when it is opened.

Everything that would otherwise fail later, in a click or in a metric, is found here on a
few real images, through the inference runner, and said in one sentence
(`latent_atlas.models.sources.BadModelError`): a decoder that does not take the encoder's codes, images
of the wrong shape, NaN or infinite values, values outside [0, 1] (with the logits reading
offered). A decoder slower than `SLOW_DECODE_S` per image gets a notice (returned, not
raised): the map still works, as the cursor decodes only the newest position.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from latent_atlas.explorer.core.inference import Decoder, decode_float, encode_posterior
from latent_atlas.models.sources.checks import BadModelError
from latent_atlas.models.sources.module import undeclared_hint

SLOW_DECODE_S = 0.1
# Outputs this far outside [0, 1] are not rounding: the decoder gives something else.
RANGE_SLACK = 1e-3


def _shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(s) for s in shape)


def _hint(exc: BaseException, cond: Any) -> str:
    if cond is None:
        hint = undeclared_hint(exc)
        return f"; {hint}" if hint else ""
    return ("; check the declared conditioning: does the decoder take the label, and as class "
            "indices or one-hot vectors ('form')?")


def probe_model(model: Any, images: np.ndarray, *, name: str = "the model",
                slow_s: float = SLOW_DECODE_S, labels: np.ndarray | None = None) -> list[str]:
    """Encode and decode `images` (uint8 N x C x H x W, with their `labels` for a conditional
    model) with a contract model; raise `BadModelError` for what would break the views,
    return notices for the rest."""
    cond = getattr(model, "conditioning", None)
    with_labels = f" and labels ({cond.describe()})" if cond is not None else ""
    try:
        mu, _ = encode_posterior(model, images, labels=labels)
    except BadModelError as exc:
        raise BadModelError(f"{name}: {exc}") from None
    except ValueError as exc:
        if "NaN" in str(exc):
            raise BadModelError(f"{name}: the encoder gives NaN or infinite codes") from None
        raise BadModelError(f"{name}: {exc}") from None
    except Exception as exc:
        raise BadModelError(f"{name}: the encoder fails on images of "
                            f"{_shape(images.shape[1:])}: {type(exc).__name__}: {exc}") from None
    try:
        out = decode_float(model, mu, labels=labels)
    except BadModelError as exc:
        raise BadModelError(f"{name}: {exc}") from None
    except ValueError as exc:
        if "NaN" in str(exc):
            raise BadModelError(f"{name}: the decoder gives NaN or infinite pixels") from None
        raise BadModelError(f"{name}: {exc}") from None
    except Exception as exc:
        raise BadModelError(
            f"{name}: the decoder does not take the encoder's codes ({_shape(mu.shape)})"
            f"{with_labels}: {type(exc).__name__}: {' '.join(str(exc).split())}"
            f"{_hint(exc, cond)}") from None
    lo, hi = float(out.min()), float(out.max())
    if lo < -RANGE_SLACK or hi > 1 + RANGE_SLACK:
        raise BadModelError(
            f"{name}: the decoder gives values from {lo:.3g} to {hi:.3g}, outside [0, 1]; if "
            "they are logits, open it with the logits reading (--logits, or output='logits')")
    decoder = Decoder(model)
    start = time.perf_counter()
    decoder.decode_float(mu[:1])  # the click path: one code
    per_image = time.perf_counter() - start
    if per_image > slow_s:
        return [f"{name} decodes one image in {1000 * per_image:.0f} ms (over "
                f"{1000 * slow_s:.0f} ms): the map decodes only the newest position while it "
                "waits, so it follows the mouse in jumps"]
    return []
