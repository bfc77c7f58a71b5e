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
    from latent_atlas.explorer.core.analysis.claims.codec import parse_bits

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
    loaded, data = _load(args)
    if loaded.config.is_conditional:
        raise UserError("a conditional model needs each image's label beside its code; "
                        "compress a plain (unconditional) model")
    if loaded.config.needs_switches:
        raise UserError("a max-unpooling decoder needs the encoder's switches beside the code, "
                        "so the code alone is not a compressed image; compress a model with "
                        "another upsampling")
    from latent_atlas.explorer.core.analysis.claims.codec import (
        CompressSettings,
        compress_iter,
        format_compress_table,
    )

    from .common import drain_with_progress

    settings = CompressSettings(bits=bits, examples=args.examples, max_images=args.images)
    result = drain_with_progress(compress_iter(loaded.model, data.images, settings, data_spec=data.spec),
                    args.quiet)
    if out is not None:
        from latent_atlas.explorer.core.analysis.claims.codec_figure import save_compress_png

        save_compress_png(out, result, examples=args.examples > 0)
        if not args.quiet:
            print(f"Wrote {out}", file=sys.stderr)
    print_result(result, args, format_compress_table)
    return 0


def run_probe(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.core.analysis.claims.probe import parse_fractions

    try:
        fractions = parse_fractions(args.labels)
    except ValueError as exc:
        raise UserError(f"--labels: {exc}") from None
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    loaded, data = _load(args, need_labels=True)
    from latent_atlas.explorer.core.analysis.claims.probe import (
        ProbeSettings,
        format_probe_table,
        probe_iter,
    )

    from .common import drain_with_progress

    settings = ProbeSettings(fractions=fractions, seed=args.seed, pixels=not args.no_pixels)
    result = drain_with_progress(probe_iter(loaded.model, data.images, data.labels, settings,
                               data_spec=data.spec), args.quiet)
    print_result(result, args, format_probe_table)
    return 0
