"""`latent-atlas denoise | inpaint | anomalies | retrieve`: the application views
headless (`traverse` is in traverse.py, `denoise` in denoise.py). Each prints its numbers
and (optionally) writes the picture the panel shows."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .app_steps import (
    NEGATIVE,
    check_out,
    common,
    labels,
    load,
    map_code,
    one_label,
    parse_ints,
    query_image,
    source,
    write,
)
from .common import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inpaint", help="erase a rectangle (or a mask picture) and let the model fill it")
    common(p, True)
    source(p)
    m = p.add_mutually_exclusive_group(required=True)
    m.add_argument("--rect", metavar="TOP,LEFT,HEIGHT,WIDTH", help="rectangle to fill, in pixels")
    m.add_argument("--mask", metavar="PATH", help="picture whose bright pixels are to be filled")
    p.add_argument("--steps", type=int, default=10, help="encode-decode iterations (default 10)")
    p.add_argument("--label", type=int, default=None, help="conditional VAE: class of --image")
    p.set_defaults(handler=run_inpaint)
    p._negative_number_matcher = NEGATIVE  # --rect -5,-5,3,3 is a value

    p = sub.add_parser("anomalies", help="rank samples by reconstruction error, worst first")
    common(p, False)
    p.add_argument("--top", type=int, default=20, help="how many to list (default 20)")
    p.add_argument("--metric", default="mse", choices=["mse", "bce"])
    p.add_argument("--limit", type=int, default=None, help="rank at most N images")
    p.set_defaults(handler=run_anomalies)

    p = sub.add_parser("retrieve", help="the k samples nearest in latent space to a sample or picture")
    common(p, False)
    source(p, xy=True)
    p.add_argument("--k", type=int, default=8, help="how many neighbours (default 8)")
    p.add_argument("--metric", default="euclidean", choices=["euclidean", "cosine"])
    p.add_argument("--label", type=int, default=None, help="conditional VAE: class of --image")
    p.set_defaults(handler=run_retrieve)
    p._negative_number_matcher = NEGATIVE




def _check_rect(text: str, shape) -> list[int]:
    """TOP,LEFT,HEIGHT,WIDTH inside the model's image: the command refuses what the panel
    would clip, so the pixels filled are the ones asked for."""
    top, left, height, width = parse_ints(text, "--rect", 4)
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
    out = check_out(args)
    from latent_atlas.explorer.core.analysis.applications import (
        inpaint,
        masked_mse,
        mean_fill,
        rectangle_mask,
    )

    loaded, data = load(args)
    img, y, where = query_image(args, loaded, data)
    shape = loaded.model.image_shape
    mask: Any
    if args.rect is not None:
        mask = rectangle_mask(shape, *_check_rect(args.rect, shape))
    else:
        mask = _mask_from_picture(args.mask, shape)
    r = inpaint(loaded.model, img, mask, steps=args.steps, labels=one_label(y))
    model_err = float(masked_mse(r.filled_float, img, mask)[0])
    base_err = float(masked_mse(mean_fill(img, mask), img, mask)[0])
    print(f"Inpainting {int(mask.sum())} pixel(s) of {where} with {Path(args.file).name} "
          f"({loaded.model.kind}), {r.iterations} iteration(s):")
    print("  change per iteration: " + " ".join(f"{c:.4f}" for c in r.changes))
    print(f"  masked-region MSE: model {model_err:.5f}, mean fill {base_err:.5f}")
    write(out, r.display_rows(), args.scale)
    return 0


def run_anomalies(args: argparse.Namespace) -> int:
    out = check_out(args)
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

    loaded, data = load(args, limit=args.limit)
    y = labels(loaded, data)
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
        write(out, [to_display(to_unit(top)), to_display(recon)], args.scale)
    return 0


def run_retrieve(args: argparse.Namespace) -> int:
    out = check_out(args)
    import numpy as np

    from latent_atlas.explorer.core.analysis.applications import nearest_codes
    from latent_atlas.explorer.core.analysis.applications.common import check_label, to_unit
    from latent_atlas.explorer.core.inference import decode_float, encode, to_display

    loaded, data = load(args)
    model = loaded.model
    y = labels(loaded, data)
    codes = encode(model, data.images, labels=y)
    exclude = None
    if args.xy is not None:
        latent_map, xy = map_code(args, loaded)
        query = latent_map.inverse(np.asarray(xy))
        lab = one_label(check_label(model, args.label))
        query_img = to_display(decode_float(model, query[None], labels=lab))
        where = f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, label, where = query_image(args, loaded, data)
        lab = one_label(check_label(model, label))
        query = encode(model, img[None], labels=lab)[0]
        query_img = to_display(to_unit(img[None]))
        exclude = [args.index] if args.index is not None else None
    hits = nearest_codes(codes, query, args.k, metric=args.metric, exclude=exclude)
    print(f"{len(hits)} nearest samples of {data.spec} to {where} ({args.metric} latent distance, "
          f"{Path(args.file).name}):")
    for rank, (i, dist) in enumerate(zip(hits.indices, hits.distances, strict=True), 1):
        label = f"  label {data.label_name(int(data.labels[i]))}" if data.labels is not None else ""
        print(f"  {rank:3d}. sample {i:6d}  distance {dist:.4f}{label}")
    write(out, [query_img, to_display(to_unit(data.images[hits.indices]))], args.scale)
    return 0
