"""`latent-atlas traverse`: sweep each latent dimension of a code to a PNG grid, add a
latent direction (`--direction A:B`), or measure how often that direction edits held-out
images into the other label (`--measure`); `--condition` is the progression strip of a
conditional model (progression.py)."""

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
from .common import UserError, add_format_flags


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("traverse", help="sweep each latent dimension of a code -3..+3 sigma to a PNG grid")
    common(p, False)  # --out is required unless --measure (checked in run_traverse)
    source(p, xy=True, required=False)
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
    p._negative_number_matcher = NEGATIVE  # --xy -1.5,2 is a value



def run_traverse(args: argparse.Namespace) -> int:
    if args.condition:
        from .progression import run_condition

        return run_condition(args, check_out(args))
    if args.measure:
        return _run_measure(args)
    if args.index is None and args.image is None and args.xy is None:
        raise UserError("traverse needs one of --index, --image or --xy (or --direction A:B "
                        "--measure)")
    if args.out is None:
        raise UserError("traverse needs --out PNG (or --direction A:B --measure)")
    out = check_out(args)
    import numpy as np

    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.session.commands import apps, traverse

    loaded, data = load(args)
    model = cfg = loaded.model
    apps.check_label(loaded, args.label)  # a readable error before any work
    if args.xy is not None:
        latent_map, xy = map_code(args, loaded)
        code, where = latent_map.inverse(np.asarray(xy)), f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, y, where = query_image(args, loaded, data)
        label = args.label if args.label is not None else y
        ylab = None if label is None or not cfg.n_cond else np.array([label])
        code = encode(model, img[None], labels=ylab)[0]
    if args.direction is not None:
        return _run_direction(args, out, loaded, data, code, where,
                              args.label if args.label is not None else
                              (y if args.xy is None else None))
    dims = None if args.dims is None else parse_ints(args.dims, "--dims")
    label = args.label if args.label is not None else (y if args.xy is None else None)
    t = traverse.traversal(loaded, data, code, unit=args.unit, dims=dims, steps=args.steps,
                           span=args.span, sort=args.sort, label=label)
    print(f"Traversal of {where} with {Path(args.file).name} ({cfg.kind}): +-{args.span:g} sigma, "
          f"sigma = {'prior (1)' if t.scale == 'prior' else 'std of the data codes'}"
          + (f", decoded as class {data.label_name(t.label)}" if t.label is not None else ""))
    for row, dim in enumerate(t.dims):
        kl = f"  KL {t.kl[dim]:.3f}" if t.kl is not None else ""
        print(f"  row {row}: z{dim}  sigma {t.sigma[dim]:.3f}{kl}")
    write(out, t.rows, args.scale)
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
    from latent_atlas.explorer.session.commands import traverse

    strengths = _parse_floats(args.strengths or "-2,-1,0,1,2", "--strengths")
    v, row = traverse.direction(loaded, data, args.direction, code, strengths, label)
    print(f"Latent arithmetic on {where} with {Path(args.file).name} ({loaded.model.kind}): "
          f"direction '{v.title}' = mean code of {v.a} ({v.n_a} samples) minus mean code of "
          f"{v.b} ({v.n_b} samples), length {v.norm:.3f}")
    print("  strengths: " + " ".join(f"{s:g}" for s in row.strengths))
    write(out, [row.images], args.scale)
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
    out = check_out(args)
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    strengths = _parse_floats(args.strengths or "0,0.5,1,1.5,2", "--strengths")
    from latent_atlas.explorer.session.commands import traverse

    loaded, data = load(args)
    result = drain_with_progress(
        traverse.measure_direction(loaded, data, args.direction, strengths, seed=args.seed,
                                   limit=args.limit), args.quiet or args.json)
    if out is not None:  # rows: latent then pixels for each of the first edited images
        write(out, result.example_rows(), args.scale)
    print_result(result, args, traverse.transfer_table)
    return 0
