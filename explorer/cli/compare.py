"""`latent-atlas compare` (continuity metrics of two models) and `latent-atlas train-pair`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .common import (
    UserError,
    add_format_flags,
    check_output,
    drain_with_progress,
)
from .train import add_model_options, finished_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare",
                       help="measure two models (e.g. an AE and a VAE) on the same data: "
                            "reconstruction, hole fraction, interpolation, path length")
    p.add_argument("first", metavar="AE_FILE", help="first model file (.safetensors)")
    p.add_argument("second", metavar="VAE_FILE", help="second model file (.safetensors)")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the first model was trained on)")
    p.add_argument("--limit", type=int, default=None,
                   help="use at most N images, chosen as the data's limit option chooses them "
                        "(only if the models were trained that way)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--seeds", default=None, metavar="S,S,...",
                   help="repeat the sampling with each seed (e.g. 0,1,2) and report mean and "
                        "spread beside the first seed's numbers (overrides --seed)")
    p.add_argument("--between", type=int, default=300, metavar="N",
                   help="held-out pairs (and neighbour points) for the between-code gaps "
                        "(default 300)")
    p.add_argument("--no-classifier", action="store_true",
                   help="judge by pixel distance only (skip training the classifier judge)")
    p.add_argument("--probe-labels", default="10%,100%", metavar="F,F,...",
                   help="labelled shares of the training images for the codes-as-features "
                        "probe (logistic regression and k-NN on each model's codes; data "
                        "with labels only), or 'none' (default 10%%,100%%)")
    p.add_argument("--samples", type=int, default=2000, help="prior samples (default 2000)")
    p.add_argument("--pairs", type=int, default=100,
                   help="held-out pairs to interpolate (default 100)")
    add_format_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_compare)

    p = sub.add_parser("train-pair",
                       help="train an AE and a VAE with identical settings (for `compare`)")
    p.add_argument("--data", default="digits", help="data spec, e.g. digits, shapes, mnist:DIR")
    p.add_argument("--kinds", default="ae,vae",
                   help="the two kinds to train, comma-separated (default ae,vae)")
    add_model_options(p)
    p.add_argument("--out", required=True, metavar="PREFIX",
                   help="output prefix: writes PREFIX_ae.safetensors and PREFIX_vae.safetensors")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_train_pair)


def _positive(flag: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UserError(f"{flag} must be at least 1, not {value}")


def _seeds(text: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]: whole numbers >= 0, at most 20, no repeats."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        raise UserError(f"--seeds must be whole numbers separated by commas, like 0,1,2, not "
                        f"'{text}'") from None
    if not seeds or min(seeds) < 0 or len(seeds) > 20 or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds needs 1 to 20 different whole numbers >= 0, not '{text}'")
    return seeds


def run_compare(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.session.commands import compare

    for flag, v in (("--limit", args.limit), ("--samples", args.samples), ("--pairs", args.pairs),
                    ("--between", args.between)):
        _positive(flag, v)
    most_of = compare.size_limits()
    for flag, v, most in (("--samples", args.samples, most_of["samples"]),
                          ("--pairs", args.pairs, most_of["pairs"]),
                          ("--between", args.between, most_of["between"])):
        if v > most:
            raise UserError(f"{flag} must be at most {most:,}, not {v:,}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    seeds = _seeds(args.seeds) if args.seeds is not None else [args.seed]
    from latent_atlas.explorer.session.commands.codes import parse_fractions
    from latent_atlas.explorer.session.opening import (
        data_spec_for,
        open_data,
        open_model,
        other_data_note,
    )

    # Both models, then the data, are opened and checked before anything is printed: two
    # models of different images fail on that, the real error, first.
    first = open_model(args.first, with_data=False, data=getattr(args, "data", None))
    second = open_model(args.second, with_data=False, data=getattr(args, "data", None))
    _check_shapes([(Path(args.first).stem, first.model.image_shape),
                   (Path(args.second).stem, second.model.image_shape)])
    data = open_data(data_spec_for(first.stored, args.data), first.model.image_shape,
                     model_name=first.name, from_file=not args.data, limit=args.limit)
    from latent_atlas.explorer.session.headless import compare_iter, named_models

    opened = [first, second]
    names = list(named_models(opened)[0])
    notes = [other_data_note(o.stored, data) for o in opened]
    if not args.quiet:
        for note in filter(None, notes):
            print(note, file=sys.stderr)
    try:
        probe = (() if args.probe_labels.strip().lower() == "none"
                 else parse_fractions(args.probe_labels))
    except ValueError as exc:
        raise UserError(f"--probe-labels: {exc} (or 'none')") from None
    settings = compare.settings(seeds, samples=args.samples, pairs=args.pairs,
                                between=args.between, classifier=not args.no_classifier,
                                probe_labels=probe)
    work = compare_iter(opened, data, settings, seeds, latents=True)
    if not args.quiet:
        print(f"Measuring {' and '.join(names)} on {len(data)} images of {data.spec} "
              f"(seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})",
              file=sys.stderr)
    result, doc = drain_with_progress(work, args.quiet)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(compare.compare_text(result, names, markdown=args.markdown))
    return 0


def _size(shape) -> str:
    c, h, w = shape
    return f"{h}×{w}×{c}"


def _check_shapes(shapes: list[tuple[str, tuple[int, ...]]]) -> None:
    """Both models take the same images (as the compare window says)."""
    (a, sa), (b, sb) = shapes
    if sa != sb:
        raise UserError(f"{a} takes {_size(sa)} images but {b} takes {_size(sb)}; compare two "
                        "models of the same data")


def run_train_pair(args: argparse.Namespace) -> int:
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    from latent_atlas.explorer.session.commands.train import is_conditional

    from .train import KIND_CHOICES, check_sampling, config_from_args

    check_sampling(args)

    if len(kinds) != 2 or kinds[0] == kinds[1] or not set(kinds) <= set(KIND_CHOICES):
        raise UserError(f"--kinds must name two different kinds from "
                        f"{', '.join(KIND_CHOICES)}, not '{args.kinds}'")
    if any(is_conditional(k) for k in kinds):
        raise UserError("train-pair does not train conditional models; use `latent-atlas train`")
    _positive("--limit", args.limit)
    prefix = Path(args.out)
    if prefix.suffix == ".safetensors":
        prefix = prefix.with_suffix("")
    outs = {k: check_output(prefix.with_name(f"{prefix.name}_{k}.safetensors"), (".safetensors",))
            for k in kinds}
    from latent_atlas.explorer.core.data import load_data

    data = load_data(args.data, limit=args.limit)
    args.model = kinds[0]
    cfg = config_from_args(args, data)
    from tqdm import tqdm

    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.explorer.core.training import train_pair

    print(f"Training the pair {' / '.join(k.upper() for k in kinds)} ({cfg.arch}, latent "
          f"{cfg.latent_dim}, {cfg.epochs} epochs, seed {cfg.seed}) on {data.spec}: "
          f"{len(data)} images", file=sys.stderr)
    cancel = threading.Event()
    gen = train_pair(cfg, data.images, kinds=kinds, device=args.device, cancel=cancel)
    bar = tqdm(total=2 * cfg.epochs, unit="epoch", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)
    # Ctrl-C stops the current model before its next batch, keeping its last epoch.
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())

    def on_progress(event) -> None:
        if event.stage == "epoch":
            bar.update(1)
            bar.set_description(event.kind.upper())
            bar.set_postfix({k: f"{v:.2f}" for k, v in event.event.losses.items()})

    try:
        result = drain(gen, on_progress)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    from latent_atlas.explorer.session.commands.train import save_pair_model

    for kind, trained in result.results.items():
        if trained.epochs_completed == 0 and cfg.epochs > 0:  # never save an untrained model
            print(f"{kind.upper()}: no epoch finished; {outs[kind]} was not written",
                  file=sys.stderr)
            continue
        save_pair_model(outs[kind], trained, data)  # a 2-D latent with its own map
        print(f"Saved {outs[kind]} ({trained.epochs_completed} epoch(s))", file=sys.stderr)
    print(result.message, file=sys.stderr)
    return finished_code(result.status)
