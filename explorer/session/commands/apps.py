"""`inpaint`, `anomalies` and `retrieve`, and the query steps the application commands
share (the code of a picture or a map point, checked labels, images as shown)
(latent_atlas.explorer.core.analysis.applications)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CommandError
from ..opening import OpenedModel

if TYPE_CHECKING:
    from latent_atlas.explorer.core.analysis.applications.retrieval import Metric
    from latent_atlas.explorer.core.data.base import ImageSet


def check_label(opened: OpenedModel, label: int | None) -> int | None:
    """The class a conditional model decodes under (None: its default), checked against
    its classes; always None for a model without conditions."""
    from latent_atlas.explorer.core.analysis.applications.common import check_label as check

    return check(opened.model, label)


def _one(label: int | None) -> np.ndarray | None:
    return None if label is None else np.array([label])


def shown(images: np.ndarray) -> np.ndarray:
    """uint8 images N x C x H x W as display images (N x H x W, or N x H x W x 3)."""
    from latent_atlas.explorer.core.analysis.applications.common import to_unit
    from latent_atlas.explorer.core.inference import to_display

    return np.asarray(to_display(to_unit(images)))


def image_query(opened: OpenedModel, image: np.ndarray, label: int | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The code of one image (C x H x W uint8, encoded under its checked label) and the
    image as shown (1 x H x W ...)."""
    from latent_atlas.explorer.core.inference import encode

    lab = _one(check_label(opened, label))
    return encode(opened.model, image[None], labels=lab)[0], shown(image[None])


def map_query(opened: OpenedModel, latent_map: Any, xy: tuple[float, float],
              label: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The code under a point of the stored map (its inverse) and its decode under the
    checked label, as shown (1 x H x W ...)."""
    from latent_atlas.explorer.core.inference import decode_float, to_display

    code = latent_map.inverse(np.asarray(xy))
    lab = _one(check_label(opened, label))
    return code, np.asarray(to_display(decode_float(opened.model, code[None], labels=lab)))


@dataclass
class Inpainting:
    """An inpainted image: the core result (`changes`, `iterations`, `display_rows()`),
    how many pixels were filled and the masked-region MSE of the model and of the mean
    fill against the original."""

    result: Any
    pixels: int
    model_mse: float
    mean_fill_mse: float


def inpaint(opened: OpenedModel, image: np.ndarray, label: int | None, *,
            rect: tuple[int, int, int, int] | None = None,
            mask_picture: str | os.PathLike | None = None, steps: int = 10) -> Inpainting:
    """Erase the rectangle TOP, LEFT, HEIGHT, WIDTH (or the bright pixels of a mask
    picture, resized to the image) of one image and let the model fill it in `steps`
    encode-decode iterations."""
    from latent_atlas.explorer.core.analysis.applications import rectangle_mask

    shape = opened.model.image_shape
    mask: Any
    if rect is not None:
        mask = rectangle_mask(shape, *rect)
    else:
        if mask_picture is None:
            raise CommandError("inpaint needs a rectangle or a mask picture")
        mask = _mask_from_picture(mask_picture, shape)
    r, model_mse, mean_fill_mse = fill(opened.model, image, mask, steps=steps, label=label)
    return Inpainting(r, int(mask.sum()), model_mse, mean_fill_mse)


def fill(model: Any, image: np.ndarray, mask: np.ndarray, *, steps: int = 10,
         label: int | None = None) -> tuple[Any, float, float]:
    """Fill the `mask` pixels of one image (C x H x W uint8) in `steps` encode-decode
    iterations (a conditional model under `label`): the InpaintResult and the
    masked-region MSE of the model's fill and of the mean fill against the original. The
    inpainting panel's job runs this too (`panels.inpaint_work.fill_hole`)."""
    from latent_atlas.explorer.core.analysis.applications import inpaint, masked_mse, mean_fill

    r = inpaint(model, image, mask, steps=steps, labels=_one(label))
    return (r, float(masked_mse(r.filled_float, image, mask)[0]),
            float(masked_mse(mean_fill(image, mask), image, mask)[0]))


def _mask_from_picture(path: str | os.PathLike, shape: tuple[int, ...]) -> np.ndarray:
    from PIL import Image

    from latent_atlas.explorer.core.io.images import read_image

    _, h, w = shape
    pic = read_image(path).convert("L").resize((w, h), Image.Resampling.NEAREST)
    return np.asarray(pic) > 127


def anomalies(opened: OpenedModel, data: ImageSet, *, metric: str = "mse",
              top: int = 20) -> Any:
    """The data's images ranked by reconstruction error ("mse" or "bce"), worst first:
    the AnomalyRanking (`errors`, `zscore`, the `top` indices)."""
    from latent_atlas.explorer.core.analysis.applications import (
        rank_anomalies,
        reconstruction_errors,
    )

    errors = reconstruction_errors(opened.model, data.images, labels=opened.labels,
                                   metric=metric)
    return rank_anomalies(errors, top=top)


def worst_rows(opened: OpenedModel, data: ImageSet, ranking: Any) -> list[np.ndarray]:
    """Two display rows: the worst reconstructed images, and their reconstructions."""
    from latent_atlas.explorer.core.inference import reconstruct_float, to_display

    top = data.images[ranking.top]
    y = opened.labels
    recon = reconstruct_float(opened.model, top, labels=None if y is None else y[ranking.top])
    return [shown(top), np.asarray(to_display(recon))]


def nearest(opened: OpenedModel, data: ImageSet, query: np.ndarray, *, k: int = 8,
            metric: Metric = "euclidean", exclude: list[int] | None = None) -> Any:
    """The k images of `data` whose codes lie nearest to `query` ("euclidean" or
    "cosine"), leaving out `exclude`: the Neighbours (`indices`, `distances`)."""
    from latent_atlas.explorer.core.analysis.applications import nearest_codes
    from latent_atlas.explorer.core.inference import encode

    codes = encode(opened.model, data.images, labels=opened.labels)
    return nearest_codes(codes, query, k, metric=metric, exclude=exclude)
