"""The steps the application commands (`traverse`, `inpaint`, `anomalies`, `retrieve`)
share: their common flags, opening the model with its data, the query image or map point,
and writing the picture."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .common import UserError, check_output

# argparse reads "-1.5,2" or "-5,-5,3,3" as an unknown option; these parsers have no option
# starting with "-<digit>", so such words are values (positions, rectangles).
NEGATIVE = re.compile(r"^-\.?\d")


def common(p: argparse.ArgumentParser, out_required: bool) -> None:
    p.add_argument("file", help="model file (.safetensors)")
    p.add_argument("--data", default=None, help="data spec (default: the data the model was trained on)")
    p.add_argument("--out", required=out_required, default=None, help="output PNG")
    p.add_argument("--scale", type=int, default=None,
                   help="enlarge pixels N times, 1..32 (default: enough for images of at least 128 px)")


def source(p: argparse.ArgumentParser, *, xy: bool = False, image: bool = True,
            required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--index", type=int, metavar="I", help="a sample of the data set")
    if image:
        g.add_argument("--image", metavar="PATH", help="your own picture (PNG, JPEG, ...)")
    if xy:
        g.add_argument("--xy", metavar="X,Y", help="a point of the model's stored map")


def check_out(args: argparse.Namespace) -> Path | None:
    if args.scale is not None and not 1 <= args.scale <= 32:
        raise UserError(f"--scale must be between 1 and 32, not {args.scale}")
    if args.out is None:
        return None
    inputs = (args.file, getattr(args, "image", None), getattr(args, "mask", None))
    return check_output(args.out, (".png",), inputs=inputs)


def load(args: argparse.Namespace, **data_options):
    """The opened model with its data; the data defaults to what it was trained on."""
    from latent_atlas.explorer.session.opening import open_model

    opened = open_model(args.file, data=args.data, **data_options)
    return opened, opened.require_data()


def query_image(args: argparse.Namespace, loaded, data):
    """(image C x H x W, its label or None, a description) from --index or --image."""
    if getattr(args, "index", None) is not None:
        n = len(data)
        if not 0 <= args.index < n:
            raise UserError(f"--index {args.index} is out of range: {data.spec} has {n} images (0..{n - 1})")
        y = loaded.labels
        return data.images[args.index], (None if y is None else int(y[args.index])), \
            f"sample {args.index}"
    from latent_atlas.explorer.core.io.images import dataset_background, load_model_input

    img = load_model_input(args.image, loaded.model.image_shape,
                           background=dataset_background(data.images))
    return img, args.label, Path(args.image).name


def write(out: Path | None, rows, scale: int | None) -> None:
    if out is None:
        return
    from latent_atlas.explorer.core.io.exports import export_strip_png, readable_scale

    if scale is None:  # small images (8x8 digits) enlarged to be seen
        scale = readable_scale(*rows[0].shape[1:3])
    export_strip_png(out, rows, scale=scale)
    print(f"Wrote {out}", file=sys.stderr)


def parse_ints(text: str, flag: str, count: int | None = None) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise UserError(f"{flag} must be whole numbers separated by commas, not '{text}'") from None
    if not values or (count is not None and len(values) != count):
        raise UserError(f"{flag} needs {count or 'at least one'} whole number(s), not '{text}'")
    return values


def map_code(args: argparse.Namespace, opened):
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
