"""`latent-atlas traverse | denoise | inpaint | anomalies | retrieve`: the application views
headless. Each prints its numbers and (optionally) writes the picture the panel shows."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .app_steps import (  # noqa: F401 (denoise.py reaches them through this module)
    _check_out,
    _labels,
    _load,
    _map_code,
    _one_label,
    _parse_ints,
    _query_image,
    _write,
)
from .common import UserError, add_format_flags

# argparse reads "-1.5,2" or "-5,-5,3,3" as an unknown option; these parsers have no option
# starting with "-<digit>", so such words are values (positions, rectangles).
_NEGATIVE = re.compile(r"^-\.?\d")


def _common(p: argparse.ArgumentParser, out_required: bool) -> None:
    p.add_argument("file", help="model file (.safetensors)")
    p.add_argument("--data", default=None, help="data spec (default: the data the model was trained on)")
    p.add_argument("--out", required=out_required, default=None, help="output PNG")
    p.add_argument("--scale", type=int, default=None,
                   help="enlarge pixels N times, 1..32 (default: enough for images of at least 128 px)")


def _source(p: argparse.ArgumentParser, *, xy: bool = False, image: bool = True,
            required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--index", type=int, metavar="I", help="a sample of the data set")
    if image:
        g.add_argument("--image", metavar="PATH", help="your own picture (PNG, JPEG, ...)")
    if xy:
        g.add_argument("--xy", metavar="X,Y", help="a point of the model's stored map")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("traverse", help="sweep each latent dimension of a code -3..+3 sigma to a PNG grid")
    _common(p, False)  # --out is required unless --measure (checked in run_traverse)
    _source(p, xy=True, required=False)
    p.add_argument("--dims", default=None, help="dimensions to show, e.g. 0,2,5 (default: all)")
    p.add_argument("--steps", type=int, default=7, help="images per row (default 7)")
    p.add_argument("--span", type=float, default=3.0, help="sweep +-SPAN sigma (default 3)")
    p.add_argument("--unit", default="auto", choices=["auto", "prior", "data"],
                   help="sigma: prior (1, VAEs) or the data codes' spread (AEs); auto picks")
    p.add_argument("--sort", default="auto", choices=["auto", "kl", "index"],
                   help="row order; auto sorts a VAE's rows by KL, largest first")
    p.add_argument("--label", type=int, default=None, help="conditional VAE: decode under this class")
    p.add_argument("--condition", action="store_true",
                   help="conditional model (cvae, caae): hold the code and decode it under "
                        "every condition, the progression strip (with --measure: how well "
                        "held-out decodes obey the condition and keep the other factors)")
    p.add_argument("--direction", default=None, metavar="A:B",
                   help="latent arithmetic: add the mean code of label A minus that of label B "
                        "(names or numbers, e.g. 3:8 or heart:square; a factor as scale>0.6)")
    p.add_argument("--strengths", default=None,
                   help="--direction: multiples of the direction to add (default -2,-1,0,1,2; "
                        "with --measure 0,0.5,1,1.5,2)")
    p.add_argument("--measure", action="store_true",
                   help="--direction A:B: measure how often adding the direction turns held-out "
                        "B images into A (classifier judge), against the same on pixels")
    p.add_argument("--limit", type=int, default=500, metavar="N",
                   help="--measure: edit at most N held-out B images (default 500)")
    p.add_argument("--seed", type=int, default=0, help="--measure: seed of the images' choice")
    add_format_flags(p, "--measure: print machine-readable JSON", "--measure: print a markdown table")
    p.add_argument("--quiet", action="store_true", help="--measure: no progress bar")
    # with --measure, --out draws the first edited images: a latent and a pixel row each
    p.set_defaults(handler=run_traverse)
    p._negative_number_matcher = _NEGATIVE  # --xy -1.5,2 is a value

    p = sub.add_parser("inpaint", help="erase a rectangle (or a mask picture) and let the model fill it")
    _common(p, True)
    _source(p)
    m = p.add_mutually_exclusive_group(required=True)
    m.add_argument("--rect", metavar="TOP,LEFT,HEIGHT,WIDTH", help="rectangle to fill, in pixels")
    m.add_argument("--mask", metavar="PATH", help="picture whose bright pixels are to be filled")
    p.add_argument("--steps", type=int, default=10, help="encode-decode iterations (default 10)")
    p.add_argument("--label", type=int, default=None, help="conditional VAE: class of --image")
    p.set_defaults(handler=run_inpaint)
    p._negative_number_matcher = _NEGATIVE  # --rect -5,-5,3,3 is a value

    p = sub.add_parser("anomalies", help="rank samples by reconstruction error, worst first")
    _common(p, False)
    p.add_argument("--top", type=int, default=20, help="how many to list (default 20)")
    p.add_argument("--metric", default="mse", choices=["mse", "bce"])
    p.add_argument("--limit", type=int, default=None, help="rank at most N images")
    p.set_defaults(handler=run_anomalies)

    p = sub.add_parser("retrieve", help="the k samples nearest in latent space to a sample or picture")
    _common(p, False)
    _source(p, xy=True)
    p.add_argument("--k", type=int, default=8, help="how many neighbours (default 8)")
    p.add_argument("--metric", default="euclidean", choices=["euclidean", "cosine"])
    p.add_argument("--label", type=int, default=None, help="conditional VAE: class of --image")
    p.set_defaults(handler=run_retrieve)
    p._negative_number_matcher = _NEGATIVE


# --- commands -----------------------------------------------------------------------

def run_traverse(args: argparse.Namespace) -> int:
    if args.condition:
        from .progression import run_condition

        return run_condition(args, _check_out(args))
    if args.measure:
        return _run_measure(args)
    if args.index is None and args.image is None and args.xy is None:
        raise UserError("traverse needs one of --index, --image or --xy (or --direction A:B "
                        "--measure)")
    if args.out is None:
        raise UserError("traverse needs --out PNG (or --direction A:B --measure)")
    out = _check_out(args)
    import numpy as np

    from latent_atlas.explorer.core.analysis.applications import traversal_for
    from latent_atlas.explorer.core.analysis.applications.common import check_label
    from latent_atlas.explorer.core.inference import encode

    loaded, data = _load(args)
    model = cfg = loaded.model
    check_label(model, args.label)  # a readable error before any work
    if args.xy is not None:
        latent_map, xy = _map_code(args, loaded)
        code, where = latent_map.inverse(np.asarray(xy)), f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, y, where = _query_image(args, loaded, data)
        label = args.label if args.label is not None else y
        ylab = None if label is None or not cfg.n_cond else np.array([label])
        code = encode(model, img[None], labels=ylab)[0]
    if args.direction is not None:
        return _run_direction(args, out, loaded, data, code, where,
                              args.label if args.label is not None else
                              (y if args.xy is None else None))
    dims = None if args.dims is None else np.array(_parse_ints(args.dims, "--dims"))
    order = args.sort if args.sort != "auto" else ("kl" if cfg.variational else "index")
    label = args.label if args.label is not None else (y if args.xy is None else None)
    t = traversal_for(model, code, data.images, _labels(loaded, data), scale=args.unit, dims=dims,
                      steps=args.steps, span=args.span, order=order, label=label)
    print(f"Traversal of {where} with {Path(args.file).name} ({cfg.kind}): +-{args.span:g} sigma, "
          f"sigma = {'prior (1)' if t.scale == 'prior' else 'std of the data codes'}"
          + (f", decoded as class {data.label_name(t.label)}" if t.label is not None else ""))
    for row, dim in enumerate(t.dims):
        kl = f"  KL {t.kl[dim]:.3f}" if t.kl is not None else ""
        print(f"  row {row}: z{dim}  sigma {t.sigma[dim]:.3f}{kl}")
    _write(out, t.rows, args.scale)
    return 0


def _parse_floats(text: str, flag: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise UserError(f"{flag} must be numbers separated by commas, not '{text}'") from None
    if not values:
        raise UserError(f"{flag} needs at least one number, not '{text}'")
    return values


def _run_direction(args: argparse.Namespace, out, loaded, data, code, where, label) -> int:
    """`traverse --direction A:B`: decode the code plus s times (mean code of A - of B)."""
    from latent_atlas.explorer.core.analysis.applications import add_direction, attribute_direction
    from latent_atlas.explorer.core.analysis.applications.arithmetic import parse_direction
    from latent_atlas.explorer.core.inference import encode

    strengths = _parse_floats(args.strengths or "-2,-1,0,1,2", "--strengths")
    a, b = parse_direction(args.direction, data.labels, data.label_names, data.factors)
    codes = encode(loaded.model, data.images, labels=_labels(loaded, data))
    v = attribute_direction(codes, a, b)
    row = add_direction(loaded.model, code, v, strengths, label=label)
    print(f"Latent arithmetic on {where} with {Path(args.file).name} ({loaded.model.kind}): "
          f"direction '{v.title}' = mean code of {v.a} ({v.n_a} samples) minus mean code of "
          f"{v.b} ({v.n_b} samples), length {v.norm:.3f}")
    print("  strengths: " + " ".join(f"{s:g}" for s in row.strengths))
    _write(out, [row.images], args.scale)
    return 0


def _run_measure(args: argparse.Namespace) -> int:
    """`traverse --direction A:B --measure`: the semantic-edit table (latent vs pixels)."""
    from .common import drain_with_progress, print_result

    if args.direction is None:
        raise UserError("--measure needs --direction A:B (two labels, e.g. 1:7)")
    given = [f for f, v in (("--index", args.index), ("--image", args.image), ("--xy", args.xy))
             if v is not None]
    if given:
        raise UserError(f"--measure edits the held-out images of label B and prints a table; "
                        f"leave out {', '.join(given)}")
    out = _check_out(args)
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    strengths = _parse_floats(args.strengths or "0,0.5,1,1.5,2", "--strengths")
    from latent_atlas.explorer.core.analysis.applications.transfer import (
        format_transfer_table,
        measure_transfer,
    )

    loaded, data = _load(args)
    result = drain_with_progress(
        measure_transfer(loaded.model, data, args.direction, strengths=strengths,
                         seed=args.seed, limit=args.limit), args.quiet or args.json)
    if out is not None:  # rows: latent then pixels for each of the first edited images
        _write(out, result.example_rows(), args.scale)
    print_result(result, args, format_transfer_table)
    return 0


def _check_rect(text: str, shape) -> list[int]:
    """TOP,LEFT,HEIGHT,WIDTH inside the model's image: the command refuses what the panel
    would clip, so the pixels filled are the ones asked for."""
    top, left, height, width = _parse_ints(text, "--rect", 4)
    _, h, w = shape
    if height < 1 or width < 1:
        raise UserError(f"--rect must be at least 1x1 pixels, not {height}x{width}")
    if top < 0 or left < 0 or top + height > h or left + width > w:
        raise UserError(f"--rect {text} lies outside the {h}x{w} image (rows {top}..{top + height - 1}, "
                        f"columns {left}..{left + width - 1}); it must lie inside: TOP and LEFT at "
                        f"least 0, TOP+HEIGHT at most {h}, LEFT+WIDTH at most {w}")
    return [top, left, height, width]


def _mask_from_picture(path: str, shape) -> object:
    import numpy as np
    from PIL import Image

    from latent_atlas.explorer.core.io.images import read_image

    _, h, w = shape
    pic = read_image(path).convert("L").resize((w, h), Image.Resampling.NEAREST)
    return np.asarray(pic) > 127


def run_inpaint(args: argparse.Namespace) -> int:
    out = _check_out(args)
    from latent_atlas.explorer.core.analysis.applications import (
        inpaint,
        masked_mse,
        mean_fill,
        rectangle_mask,
    )

    loaded, data = _load(args)
    img, y, where = _query_image(args, loaded, data)
    shape = loaded.model.image_shape
    mask: Any
    if args.rect is not None:
        mask = rectangle_mask(shape, *_check_rect(args.rect, shape))
    else:
        mask = _mask_from_picture(args.mask, shape)
    r = inpaint(loaded.model, img, mask, steps=args.steps, labels=_one_label(y))
    model_err = float(masked_mse(r.filled_float, img, mask)[0])
    base_err = float(masked_mse(mean_fill(img, mask), img, mask)[0])
    print(f"Inpainting {int(mask.sum())} pixel(s) of {where} with {Path(args.file).name} "
          f"({loaded.model.kind}), {r.iterations} iteration(s):")
    print("  change per iteration: " + " ".join(f"{c:.4f}" for c in r.changes))
    print(f"  masked-region MSE: model {model_err:.5f}, mean fill {base_err:.5f}")
    _write(out, r.display_rows(), args.scale)
    return 0


def run_anomalies(args: argparse.Namespace) -> int:
    out = _check_out(args)
    if args.top < 1:
        raise UserError(f"--top must be at least 1, not {args.top}")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    import numpy as np

    from latent_atlas.explorer.core.analysis.applications import (
        rank_anomalies,
        reconstruction_errors,
    )
    from latent_atlas.explorer.core.analysis.applications.common import to_unit
    from latent_atlas.explorer.core.inference import reconstruct_float, to_display

    loaded, data = _load(args, limit=args.limit)
    y = _labels(loaded, data)
    ranking = rank_anomalies(reconstruction_errors(loaded.model, data.images, labels=y,
                                                   metric=args.metric), top=args.top)
    print(f"Worst {len(ranking.top)} of {len(data)} images of {data.spec} by reconstruction "
          f"{args.metric} ({Path(args.file).name}, {loaded.model.kind}); median "
          f"{float(np.median(ranking.errors)):.5f}")
    has_labels = data.labels is not None
    for rank, i in enumerate(ranking.top, 1):
        label = f"  label {data.label_name(int(data.labels[i]))}" if has_labels else ""
        print(f"  {rank:3d}. sample {i:6d}  error {ranking.errors[i]:.5f}  "
              f"(z {ranking.zscore[i]:+.1f}){label}")
    if out is not None:
        top = data.images[ranking.top]
        yt = None if y is None else y[ranking.top]
        recon = reconstruct_float(loaded.model, top, labels=yt)
        _write(out, [to_display(to_unit(top)), to_display(recon)], args.scale)
    return 0


def run_retrieve(args: argparse.Namespace) -> int:
    out = _check_out(args)
    import numpy as np

    from latent_atlas.explorer.core.analysis.applications import nearest_codes
    from latent_atlas.explorer.core.analysis.applications.common import check_label, to_unit
    from latent_atlas.explorer.core.inference import decode_float, encode, to_display

    loaded, data = _load(args)
    model = loaded.model
    y = _labels(loaded, data)
    codes = encode(model, data.images, labels=y)
    exclude = None
    if args.xy is not None:
        latent_map, xy = _map_code(args, loaded)
        query = latent_map.inverse(np.asarray(xy))
        lab = _one_label(check_label(model, args.label))
        query_img = to_display(decode_float(model, query[None], labels=lab))
        where = f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, label, where = _query_image(args, loaded, data)
        lab = _one_label(check_label(model, label))
        query = encode(model, img[None], labels=lab)[0]
        query_img = to_display(to_unit(img[None]))
        exclude = [args.index] if args.index is not None else None
    hits = nearest_codes(codes, query, args.k, metric=args.metric, exclude=exclude)
    print(f"{len(hits)} nearest samples of {data.spec} to {where} ({args.metric} latent distance, "
          f"{Path(args.file).name}):")
    for rank, (i, dist) in enumerate(zip(hits.indices, hits.distances, strict=True), 1):
        label = f"  label {data.label_name(int(data.labels[i]))}" if data.labels is not None else ""
        print(f"  {rank:3d}. sample {i:6d}  distance {dist:.4f}{label}")
    _write(out, [query_img, to_display(to_unit(data.images[hits.indices]))], args.scale)
    return 0
