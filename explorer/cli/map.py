"""`latent-atlas project`, `decode` and `interpolate`: headless twins of the map gestures."""

from __future__ import annotations

import argparse
import re
import sys
import threading
from pathlib import Path

import numpy as np

from latent_atlas.explorer.session.commands.outputs import write_png

from .common import UserError, check_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("project", help="encode a data set and store its 2-D map in the model file")
    p.add_argument("file", help="model file (.safetensors); the map is stored inside it")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--method", default="auto", choices=["auto", "umap", "pca", "identity"],
                   help="auto: identity for a 2-D latent, else umap")
    p.add_argument("--seed", type=int, default=None,
                   help="fix UMAP's seed (implies --reproducible)")
    p.add_argument("--reproducible", action="store_true",
                   help="same map on every run (UMAP runs single-threaded: slower)")
    p.add_argument("--limit", type=int, default=None, help="map at most N images")
    p.add_argument("--subsample", type=int, default=50_000, metavar="N",
                   help="UMAP fits N codes (seeded) and places the rest by their nearest "
                        "fitted codes; 0 fits all (default 50,000)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_project)

    p = sub.add_parser("decode", help="decode map positions of a model's stored map to a PNG, "
                                      "or a 2-D latent's manifold grid")
    p.add_argument("file", help="model file with a map (see `latent-atlas project`)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--xy", action="append", metavar="X,Y",
                      help="a map position, e.g. --xy -1.5,2; repeat for several images")
    what.add_argument("--grid", type=int, metavar="N",
                      help="2-D latents: the N x N manifold grid over the latent square "
                           "(+-3 for a VAE, the codes' range for an AE; see --range)")
    p.add_argument("--range", dest="square", metavar="XMIN,XMAX,YMIN,YMAX", default=None,
                   help="with --grid: the latent rectangle to cover instead")
    p.add_argument("--out", required=True,
                   help="output PNG (images side by side; with --grid the N x N figure, "
                        "top-left tile at (XMIN, YMAX))")
    p.add_argument("--scale", type=int, default=None,
                   help="enlarge pixels N times, 1..32 (default: enough for images of at least 128 px)")
    p.add_argument("--data", default=None,
                   help="max-unpool models only: the data whose max-pooling switches decode "
                        "each point (those of the nearest sample; default: the model's data). "
                        "A decoder that needs the encoder's switches cannot generate")
    p.set_defaults(handler=run_decode)
    # argparse reads "-1.5,2" as an unknown option; positions are often negative, so treat
    # anything starting with "-<digit>" as a value (this parser has no such options).
    p._negative_number_matcher = re.compile(r"^-\.?\d")

    p = sub.add_parser("interpolate",
                       help="decode the latent path between two samples to a PNG strip")
    p.add_argument("file", help="model file (.safetensors)")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--from", dest="start", type=int, required=True, metavar="I",
                   help="index of the first sample")
    p.add_argument("--to", dest="end", type=int, required=True, metavar="J",
                   help="index of the last sample")
    p.add_argument("--steps", type=int, default=7, help="images in the strip (default 7)")
    p.add_argument("--mode", default="lerp", choices=["lerp", "slerp"])
    p.add_argument("--out", required=True, help="output PNG")
    p.add_argument("--scale", type=int, default=None,
                   help="enlarge pixels N times, 1..32 (default: enough for images of at least 128 px)")
    p.set_defaults(handler=run_interpolate)


def _check_out(path: str, model_file: str) -> Path:
    return check_output(path, (".png",), inputs=(model_file,))


def _check_scale(scale: int | None) -> int | None:
    if scale is not None and not 1 <= scale <= 32:
        raise UserError(f"--scale must be between 1 and 32, not {scale}")
    return scale


def _parse_xy(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise UserError(f"--xy must be two numbers like 1.5,-2, not '{text}'") from None
    if not all(map(lambda v: v == v and abs(v) != float("inf"), (x, y))):
        raise UserError(f"--xy must be finite numbers, not '{text}'")
    return x, y


def _drain_with_bar(gen, total: float, desc: str, quiet: bool, cancel: threading.Event,
                    progress_of):
    """Run a progress generator with a tqdm bar; Ctrl-C sets `cancel` and keeps draining."""
    from tqdm import tqdm

    from latent_atlas.explorer.core.progress import Cancelled, drain

    bar = tqdm(total=total, desc=desc, disable=quiet, file=sys.stderr, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed} {postfix}")

    def on_progress(event) -> None:
        value, note = progress_of(event)
        bar.n = value
        if note:
            bar.set_postfix_str(note, refresh=False)
        bar.refresh()

    try:
        while True:
            try:
                result = drain(gen, on_progress)
            except KeyboardInterrupt:
                cancel.set()
                if gen.gi_frame is None:  # the interrupt landed inside the generator: it is over
                    raise Cancelled("interrupted") from None
                continue  # it landed in the bar: carry on until the generator sees `cancel`
            bar.n = total
            bar.refresh()
            return result
    finally:
        bar.close()


def run_project(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.session.commands.outputs import check_writable

    check_writable(args.file, flag="the model file", error=UserError)  # the map is stored in it
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    if args.subsample != 0 and args.subsample < 10:
        raise UserError(f"--subsample must be 0 (fit all) or at least 10, not {args.subsample}")
    from latent_atlas.explorer.core.inference import encode_iter
    from latent_atlas.explorer.core.latent.map import build_map, save_map
    from latent_atlas.explorer.core.progress import Cancelled
    from latent_atlas.explorer.session.opening import open_model

    loaded = open_model(args.file, data=args.data, switches=False, limit=args.limit)
    if not loaded.model.capabilities.saveable:  # the map goes into the model file
        raise UserError(loaded.model.capabilities.why_not("saveable", loaded.name))
    data = loaded.require_data()
    cancel = threading.Event()
    reproducible = args.reproducible or args.seed is not None
    seed = 0 if args.seed is None else args.seed
    print(f"Mapping {len(data)} images of {data.spec} with {Path(args.file).name} "
          f"(latent {loaded.model.latent_dim}, method {args.method})", file=sys.stderr)
    try:
        codes = _drain_with_bar(
            encode_iter(loaded.model, data.images, cancel=cancel, labels=data.labels),
            len(data), "encode",
            args.quiet, cancel, lambda e: (e.done, ""))
        latent_map = _drain_with_bar(
            build_map(codes, args.method, seed=seed, reproducible=reproducible, cancel=cancel,
                      subsample=args.subsample or None),
            1.0, "map", args.quiet, cancel, lambda e: (round(e.fraction, 3), e.message))
    except Cancelled:
        print("latent-atlas: cancelled; the model file was not changed", file=sys.stderr)
        return 130
    latent_map.params["data_spec"] = data.spec
    # The map and its labels (which colour it at first paint) in one atomic write: a crash
    # leaves the old map with the old labels or the new with the new, never a mix.
    save_map(args.file, latent_map, labels=data.labels)
    x0, x1, y0, y1 = latent_map.bounds()
    print(f"Stored a {latent_map.method} map of {latent_map.n_points} codes in {args.file} "
          f"(x {x0:.2f}..{x1:.2f}, y {y0:.2f}..{y1:.2f}; fit "
          f"{latent_map.params.get('fit_seconds', 0):.1f} s)", file=sys.stderr)
    return 0


def _parse_square(text: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
        if len(values) != 4:
            raise ValueError
    except ValueError:
        raise UserError(f"--range must be four numbers XMIN,XMAX,YMIN,YMAX, not '{text}'"
                        ) from None
    x0, x1, y0, y1 = values
    if not all(v == v and abs(v) != float("inf") for v in values) or x1 <= x0 or y1 <= y0:
        raise UserError(f"--range must be finite with XMIN < XMAX and YMIN < YMAX, not '{text}'")
    return x0, x1, y0, y1


def run_decode_grid(args: argparse.Namespace, out: Path, scale: int | None) -> int:
    """`decode --grid N`: the manifold figure of a 2-D latent (session.commands.map)."""
    from latent_atlas.explorer.session.commands import map as maps

    most = maps.largest_grid()
    if not 1 <= args.grid <= most:
        raise UserError(f"--grid must be between 1 and {most}, not {args.grid}")
    square = _parse_square(args.square) if args.square is not None else None
    from latent_atlas.explorer.session.opening import open_model

    opened = open_model(args.file, with_data=False, data=getattr(args, "data", None))
    model = opened.model
    if int(model.latent_dim) != 2:
        raise UserError(f"--grid needs a model with a 2-D latent; {Path(args.file).name} has "
                        f"{model.latent_dim} dimensions (decode map positions with --xy)")
    if square is None:
        square = maps.own_square(opened)
        if square is None:
            raise UserError(f"{Path(args.file).name} has no prior and no stored codes to take "
                            f"the range of; run `latent-atlas project {args.file}` or give "
                            "--range")
    # The grid is one picture: enlarged to at least 512 px, not 128 px per tile.
    write_png(out, maps.manifold_mosaic(opened, square, args.grid), scale, minimum=512)
    x0, x1, y0, y1 = square
    print(f"Wrote the {args.grid} x {args.grid} manifold grid over x {x0:.2f}..{x1:.2f}, "
          f"y {y0:.2f}..{y1:.2f} to {out}", file=sys.stderr)
    return 0


def run_decode(args: argparse.Namespace) -> int:
    out = _check_out(args.out, args.file)
    scale = _check_scale(args.scale)
    if args.grid is not None:
        return run_decode_grid(args, out, scale)
    if args.square is not None:
        raise UserError("--range goes with --grid")
    points = [_parse_xy(t) for t in args.xy]
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.session.opening import open_model

    opened = open_model(args.file, with_data=False, data=getattr(args, "data", None))
    latent_map = opened.latent_map
    if latent_map is None:
        raise UserError(f"{Path(args.file).name} has no map yet; run "
                        f"`latent-atlas project {args.file}` first")
    decoder = Decoder(opened.model)
    if latent_map.dim != decoder.latent_dim:
        raise UserError(f"the stored map has {latent_map.dim}-D codes but the model's latent is "
                        f"{decoder.latent_dim}-D; run `latent-atlas project` again")
    xy = np.asarray(points, dtype=np.float64)
    sources = None
    if decoder.needs_switches:
        attach_switch_data(opened, args.data, latent_map)
        sources = decoder.switch_sources(latent_map.inverse(xy))
    images = decoder.decode_at(latent_map, xy)
    write_png(out, images, scale)
    _say_where_outside(latent_map, xy)
    for (x, y), i in zip(points, sources if sources is not None else [], strict=False):
        print(f"point ({x:g}, {y:g}): decoded with the max-pooling switches of sample #{i} "
              "(the nearest code): a max-unpooling decoder cannot decode a code on its own")
    print(f"Wrote {len(points)} decoded image(s) to {out}", file=sys.stderr)
    return 0


def _say_where_outside(latent_map, xy: np.ndarray) -> None:
    """A note on stderr for each point outside the data's hull, and how far: a decode there
    is not backed by any data (the command still writes it: exit 0)."""
    from latent_atlas.explorer.core.latent.hull import hull_distance

    far = hull_distance(latent_map.positions, xy)
    x0, x1, y0, y1 = latent_map.bounds()
    for (x, y), d in zip(xy, far.distance, strict=True):
        if d > 0:
            times = d / far.extent if far.extent > 0 else float("inf")
            print(f"note: point ({x:g}, {y:g}) lies outside the data's map (x {x0:.2f}..{x1:.2f}, "
                  f"y {y0:.2f}..{y1:.2f}), {_amount(d)} map units from its edge ({_amount(times)} "
                  "times the map's size): no data backs the decode there", file=sys.stderr)


def _amount(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.2g}"


def attach_switch_data(opened, data: str | None, latent_map=None):
    """Load the data a max-unpooling model borrows its switches from (the map's codes when
    they are those of this data, else encoded now)."""
    from latent_atlas.explorer.core.inference import set_switch_reference
    from latent_atlas.explorer.session.opening import data_spec_for, open_data

    spec = data_spec_for(opened.stored, data)
    images = open_data(spec, opened.model.image_shape, model_name=opened.name,
                       from_file=not data)
    codes = None
    if latent_map is not None and len(latent_map.codes) == len(images):
        codes = np.asarray(latent_map.unaligned().codes)
    return set_switch_reference(opened.model, images.images, codes, labels=images.labels)


def run_interpolate(args: argparse.Namespace) -> int:
    out = _check_out(args.out, args.file)
    scale = _check_scale(args.scale)
    if args.steps < 2 or args.steps > 1000:
        raise UserError(f"--steps must be between 2 and 1000, not {args.steps}")
    from latent_atlas.explorer.session.opening import open_model

    loaded = open_model(args.file, data=args.data)
    data = loaded.require_data()
    n = len(data)
    for flag, i in (("--from", args.start), ("--to", args.end)):
        if not 0 <= i < n:
            raise UserError(f"{flag} {i} is out of range: {data.spec} has {n} images (0..{n - 1})")
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.interpolation import interpolate

    decoder = Decoder(loaded.model)
    z = decoder.encode(data.images[[args.start, args.end]])
    path = interpolate(z[0], z[1], steps=args.steps, mode=args.mode)
    write_png(out, decoder.decode(path), scale)
    print(f"Wrote {args.steps} {args.mode} steps from sample {args.start} to {args.end} "
          f"to {out}", file=sys.stderr)
    return 0
