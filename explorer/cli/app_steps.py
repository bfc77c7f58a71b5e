"""The steps the application commands share (`apps.py`, `denoise.py`, `progression.py`):
check the output, open the model with its data, read the query image or map point, write
the strip PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import UserError, check_output


def _check_out(args: argparse.Namespace) -> Path | None:
    if args.scale is not None and not 1 <= args.scale <= 32:
        raise UserError(f"--scale must be between 1 and 32, not {args.scale}")
    if args.out is None:
        return None
    inputs = (args.file, getattr(args, "image", None), getattr(args, "mask", None))
    return check_output(args.out, (".png",), inputs=inputs)


def _load(args: argparse.Namespace, **data_options):
    """The opened model with its data; the data defaults to what it was trained on."""
    from latent_atlas.explorer.session.opening import open_model

    opened = open_model(args.file, data=args.data, **data_options)
    return opened, opened.require_data()


def _labels(loaded, data):
    """The data's labels when the model is conditional (it must be given them)."""
    return data.labels if loaded.model.n_cond else None


def _query_image(args: argparse.Namespace, loaded, data):
    """(image C x H x W, its label or None, a description) from --index or --image."""
    if getattr(args, "index", None) is not None:
        n = len(data)
        if not 0 <= args.index < n:
            raise UserError(f"--index {args.index} is out of range: {data.spec} has {n} images (0..{n - 1})")
        y = _labels(loaded, data)
        return data.images[args.index], (None if y is None else int(y[args.index])), \
            f"sample {args.index}"
    from latent_atlas.explorer.core.io.images import dataset_background, load_model_input

    img = load_model_input(args.image, loaded.model.image_shape,
                           background=dataset_background(data.images))
    return img, args.label, Path(args.image).name


def _write(out: Path | None, rows, scale: int | None) -> None:
    if out is None:
        return
    from latent_atlas.explorer.core.io.exports import export_strip_png, readable_scale

    if scale is None:  # small images (8x8 digits) enlarged to be seen
        scale = readable_scale(*rows[0].shape[1:3])
    export_strip_png(out, rows, scale=scale)
    print(f"Wrote {out}", file=sys.stderr)


def _parse_ints(text: str, flag: str, count: int | None = None) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise UserError(f"{flag} must be whole numbers separated by commas, not '{text}'") from None
    if not values or (count is not None and len(values) != count):
        raise UserError(f"{flag} needs {count or 'at least one'} whole number(s), not '{text}'")
    return values


def _one_label(label: int | None):
    """A checked label as the labels array of one image, or None."""
    import numpy as np

    return None if label is None else np.array([label])


def _map_code(args: argparse.Namespace, opened):
    """The opened model's stored map and the `--xy` point on it, both checked."""
    parts = args.xy.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        xy = (float(parts[0]), float(parts[1]))
    except ValueError:
        raise UserError(f"--xy must be two numbers like 1.5,-2, not '{args.xy}'") from None
    latent_map = opened.latent_map
    if latent_map is None:
        raise UserError(f"{Path(args.file).name} has no map yet; run `latent-atlas project {args.file}` first")
    if latent_map.dim != opened.model.latent_dim:
        raise UserError("the stored map does not match the model; run `latent-atlas project` again")
    return latent_map, xy


