"""`latent-atlas compress` (the AE as a codec against JPEG) and `latent-atlas probe` (codes
as features for a classifier, against raw pixels)."""

from __future__ import annotations

import argparse
import sys

from .common import UserError, add_format_flags, check_output, print_result


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compress",
                       help="quantise the codes to b bits per dimension and compare PSNR/SSIM "
                            "with JPEG at the same size, on held-out images")
    p.add_argument("file", help="model file (.safetensors)")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--bits", default="2,4,8",
                   help="bits per latent dimension, comma-separated (default 2,4,8)")
    p.add_argument("--images", type=int, default=None, metavar="N",
                   help="measure at most N held-out images (default: all)")
    p.add_argument("--out", default=None, metavar="PNG",
                   help="write the rate-distortion curve (and examples) to this PNG")
    p.add_argument("--examples", type=int, default=4, metavar="N",
                   help="example rows under the curve in --out (default 4; 0 for none)")
    add_format_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_compress)

    p = sub.add_parser("probe",
                       help="classify held-out images from the codes of a labelled fraction "
                            "(logistic regression, k-NN), against raw pixels")
    p.add_argument("file", help="model file (.safetensors)")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--labels", default="1%,10%,100%",
                   help="labelled fractions of the training split (default 1%%,10%%,100%%)")
    p.add_argument("--seed", type=int, default=0, help="seed of the labelled choice (default 0)")
    p.add_argument("--no-pixels", action="store_true", help="skip the raw-pixel baseline")
    add_format_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_probe)


def _bits(text: str) -> tuple[int, ...]:
    from latent_atlas.explorer.session.commands.codes import parse_bits

    try:
        return parse_bits(text)
    except ValueError as exc:
        raise UserError(f"--bits: {exc}") from None


def _load(args: argparse.Namespace, need_labels: bool = False):
    """The model and its data (default: what it was trained on), checked to fit (and to
    have labels, with `need_labels`) before anything is printed."""
    from latent_atlas.explorer.session.opening import open_model

    opened = open_model(args.file, data=args.data, need_labels=need_labels, switches=False)
    if not args.quiet:
        for note in opened.notes:
            print(note, file=sys.stderr)
    return opened, opened.require_data()


def run_compress(args: argparse.Namespace) -> int:
    bits = _bits(args.bits)
    if args.images is not None and args.images < 2:
        raise UserError(f"--images must be at least 2, not {args.images}")
    if not 0 <= args.examples <= 32:
        raise UserError(f"--examples must be from 0 to 32, not {args.examples}")
    out = None if args.out is None else check_output(args.out, (".png",), inputs=(args.file,))
    loaded, _ = _load(args)
    from latent_atlas.explorer.session.commands import codes

    from .common import drain_with_progress

    work = codes.compress(loaded, bits, examples=args.examples, max_images=args.images)
    result = drain_with_progress(work, args.quiet)
    if out is not None:
        codes.save_compress_figure(out, result, examples=args.examples > 0)
        if not args.quiet:
            print(f"Wrote {out}", file=sys.stderr)
    print_result(result, args, codes.compress_table)
    return 0


def run_probe(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.session.commands import codes

    try:
        fractions = codes.parse_fractions(args.labels)
    except ValueError as exc:
        raise UserError(f"--labels: {exc}") from None
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    loaded, _ = _load(args, need_labels=True)
    from .common import drain_with_progress

    work = codes.probe(loaded, fractions, seed=args.seed, pixels=not args.no_pixels)
    print_result(drain_with_progress(work, args.quiet), args, codes.probe_table)
    return 0
