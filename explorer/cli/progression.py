"""`latent-atlas traverse FILE --condition`: the progression strip of a conditional model
(hold the code, decode it under every condition), and with `--measure` how well the
decodes obey the condition and keep the other factors
(latent_atlas.explorer.session.commands.traverse)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import UserError


def run_condition(args: argparse.Namespace, out: Path | None) -> int:
    from latent_atlas.explorer.session.commands import traverse

    from .app_steps import load, map_code, query_image, write

    for flag, value in (("--direction", args.direction), ("--dims", args.dims),
                        ("--label", args.label if args.image is None else None)):
        if value is not None:
            raise UserError(f"--condition sweeps the condition itself; leave out {flag}")
    loaded, data = load(args)
    model = loaded.model
    traverse.check_conditional(loaded)  # an ApplicationError: one line, exit 2
    if args.measure:
        return _measure(args, out, loaded, data)
    if args.index is None and args.image is None and args.xy is None:
        raise UserError("traverse --condition needs one of --index, --image or --xy (or "
                        "--measure)")
    if out is None:
        raise UserError("traverse --condition needs --out PNG (or --measure)")
    import numpy as np

    from latent_atlas.explorer.core.inference import encode

    if args.xy is not None:
        latent_map, xy = map_code(args, loaded)
        code, where = latent_map.inverse(np.asarray(xy)), f"map point {xy[0]:g},{xy[1]:g}"
    else:
        img, y, where = query_image(args, loaded, data)
        if y is None:
            raise UserError("--image needs --label: the condition the picture is in")
        code = encode(model, img[None], labels=np.array([y]))[0]
    strip = traverse.progression(loaded, data, code)
    print(f"Progression of {where} with {Path(args.file).name} ({model.kind}): the code held, "
          f"decoded under each of {len(strip.conditions)} conditions, left to right: "
          + ", ".join(strip.names))
    write(out, [strip.images], args.scale)
    return 0


def _measure(args: argparse.Namespace, out: Path | None, loaded, data) -> int:
    from latent_atlas.explorer.session.commands import traverse

    from .common import drain_with_progress, print_result

    given = [f for f, v in (("--index", args.index), ("--image", args.image), ("--xy", args.xy),
                            ("--out", out)) if v is not None]
    if given:
        raise UserError(f"--condition --measure decodes held-out images under every condition "
                        f"and prints a table; leave out {', '.join(given)}")
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    # an ApplicationError (a ValueError) is one line and exit 2, as every user error
    result = drain_with_progress(traverse.measure_progression(loaded, data, limit=args.limit,
                                                              seed=args.seed),
                                 args.quiet or args.json)
    print_result(result, args, traverse.progression_table)
    if not args.json:
        print("", file=sys.stderr)
    return 0
