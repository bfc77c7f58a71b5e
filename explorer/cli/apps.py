"""`latent-atlas denoise | inpaint | anomalies | retrieve`: the application views
headless (`traverse` is in traverse.py, `denoise` in denoise.py). Each prints its numbers
and (optionally) writes the picture the panel shows."""

from __future__ import annotations

import argparse
from pathlib import Path

from .app_steps import (
    NEGATIVE,
    check_out,
    common,
    load,
    map_code,
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




def _check_rect(text: str, shape) -> tuple[int, int, int, int]:
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
    return top, left, height, width


def run_inpaint(args: argparse.Namespace) -> int:
    out = check_out(args)
    from latent_atlas.explorer.session.commands import apps

    loaded, data = load(args)
    img, y, where = query_image(args, loaded, data)
    shape = loaded.model.image_shape
    rect = None if args.rect is None else _check_rect(args.rect, shape)
    filled = apps.inpaint(loaded, img, y, rect=rect, mask_picture=args.mask, steps=args.steps)
    r = filled.result
    print(f"Inpainting {filled.pixels} pixel(s) of {where} with {Path(args.file).name} "
          f"({loaded.model.kind}), {r.iterations} iteration(s):")
    print("  change per iteration: " + " ".join(f"{c:.4f}" for c in r.changes))
    print(f"  masked-region MSE: model {filled.model_mse:.5f}, mean fill "
          f"{filled.mean_fill_mse:.5f}")
    write(out, r.display_rows(), args.scale)
    return 0


def run_anomalies(args: argparse.Namespace) -> int:
    out = check_out(args)
    if args.top < 1:
        raise UserError(f"--top must be at least 1, not {args.top}")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    import numpy as np

    from latent_atlas.explorer.session.commands import apps

    loaded, data = load(args, limit=args.limit)
    ranking = apps.anomalies(loaded, data, metric=args.metric, top=args.top)
    print(f"Worst {len(ranking.top)} of {len(data)} images of {data.spec} by reconstruction "
          f"{args.metric} ({Path(args.file).name}, {loaded.model.kind}); median "
          f"{float(np.median(ranking.errors)):.5f}")
    has_labels = data.labels is not None
    for rank, i in enumerate(ranking.top, 1):
        label = f"  label {data.label_name(int(data.labels[i]))}" if has_labels else ""
        print(f"  {rank:3d}. sample {i:6d}  error {ranking.errors[i]:.5f}  "
              f"(z {ranking.zscore[i]:+.1f}){label}")
    if out is not None:
        write(out, apps.worst_rows(loaded, data, ranking), args.scale)
    return 0


def run_retrieve(args: argparse.Namespace) -> int:
    out = check_out(args)
    from latent_atlas.explorer.session.commands import apps

    loaded, data = load(args)
    exclude = None
    if args.xy is not None:
        latent_map, xy = map_code(args, loaded)
        query, query_img = apps.map_query(loaded, latent_map, xy, args.label)
        where = f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, label, where = query_image(args, loaded, data)
        query, query_img = apps.image_query(loaded, img, label)
        exclude = [args.index] if args.index is not None else None
    hits = apps.nearest(loaded, data, query, k=args.k, metric=args.metric, exclude=exclude)
    print(f"{len(hits)} nearest samples of {data.spec} to {where} ({args.metric} latent distance, "
          f"{Path(args.file).name}):")
    for rank, (i, dist) in enumerate(zip(hits.indices, hits.distances, strict=True), 1):
        label = f"  label {data.label_name(int(data.labels[i]))}" if data.labels is not None else ""
        print(f"  {rank:3d}. sample {i:6d}  distance {dist:.4f}{label}")
    write(out, [query_img, apps.shown(data.images[hits.indices])], args.scale)
    return 0
