"""`latent-atlas sweep`: train the AE/VAE family over β with one seed and plot the
rate–distortion trade-off against the gap measures (latent_atlas.explorer.session.commands.sweep);
with `--seeds`, every β with every seed, measured for disentanglement."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .common import (
    EXIT_INTERRUPTED,
    UserError,
    add_format_flags,
    at_least,
    check_output,
    drain_with_progress,
    json_safe,
)
from .compare import _positive


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep",
                       help="train an AE (β = 0) and VAEs over several β with one seed; plot "
                            "reconstruction error against the gap measures (PNG) and print "
                            "a table")
    p.add_argument("--data", default="digits", help="data spec, e.g. digits, shapes, mnist:DIR")
    p.add_argument("--beta", default="0,0.25,1,4", metavar="B,B,...",
                   help="comma-separated KL weights; 0 trains the plain AE (default 0,0.25,1,4)")
    p.add_argument("--arch", default="conv", choices=["mlp", "conv"])
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--hidden", default=None,
                   help="comma-separated widths (mlp) or conv channels, e.g. 32,64 (default: conv "
                        "32,64 below 16 px, else 32,64,128; mlp 128,64 below 512 pixels, "
                        "else 512,256)")
    p.add_argument("--epochs", type=at_least(1), default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0,
                   help="seed of every model and of the measurement (default 0)")
    p.add_argument("--limit", type=int, default=None, help="use at most N images")
    p.add_argument("--samples", type=int, default=2000,
                   help="samples per sampler for the hole fractions (default 2000)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--out", default="sweep.png", metavar="PNG",
                   help="where to write the plot (default sweep.png)")
    p.add_argument("--save-models", default=None, metavar="DIR",
                   help="also save each model as DIR/beta_<β>_<kind>.safetensors")
    p.add_argument("--seeds", default=None, metavar="S,S,...",
                   help="train every β with each of these seeds (e.g. 0,1,2) and measure the "
                        "disentanglement metrics and per-latent diagnostics (data with factor "
                        "columns, such as shapes); the table gives mean ± sd over seeds and the "
                        "plot the seed spread")
    p.add_argument("--models", default=None, metavar="DIR",
                   help="with --seeds: reuse DIR/seed_<s>/beta_<β>_<kind>.safetensors when it "
                        "was trained with these settings, and save there what is trained")
    p.add_argument("--as-trained", action="store_true",
                   help="with --seeds and --models: take every model in DIR at the epochs it "
                        "was trained to (e.g. each until it converged, by "
                        "benchmarks/beta_rounds.py --each) instead of --epochs; trains none")
    p.add_argument("--measure-limit", type=int, default=None, metavar="N",
                   help="with --seeds: measure every model on N images drawn once (the same "
                        "for all; default: every image)")
    add_format_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.session.commands import sweep

    try:
        betas = sweep.parse_betas(args.beta)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.seeds is not None:
        return run_seed_sweep(args, betas)
    if args.models:
        raise UserError("--models goes with --seeds (the single-seed sweep saves with "
                        "--save-models)")
    if args.as_trained:
        raise UserError("--as-trained goes with --seeds and --models")
    for flag, v in (("--epochs", args.epochs), ("--latent-dim", args.latent_dim),
                    ("--limit", args.limit), ("--samples", args.samples)):
        _positive(flag, v)
    most = sweep.largest_sample()
    if args.samples > most:
        raise UserError(f"--samples must be at most {most:,}, not {args.samples:,}")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, not {args.seed}")
    out = check_output(args.out, (".png",))
    model_outs: dict[float, Path] = {}
    if args.save_models:
        folder = Path(args.save_models)
        if folder.exists() and not folder.is_dir():
            raise UserError(f"--save-models must be a folder, and {folder} is a file")
        folder.mkdir(parents=True, exist_ok=True)
        for b in betas:
            name = sweep.model_file_name(b, "ae" if b == 0 else "vae")
            model_outs[b] = check_output(folder / name, (".safetensors",), flag="--save-models")

    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    from .train import parse_hidden

    data = load_data(args.data, limit=args.limit)
    cfg = make_config(data, kind="vae", arch=args.arch, latent_dim=args.latent_dim,
                      hidden=parse_hidden(args.hidden), epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    from latent_atlas.explorer.core.progress import Cancelled

    if not args.quiet:
        print(f"Sweeping β = {', '.join(f'{b:g}' for b in betas)} ({cfg.arch}, latent "
              f"{cfg.latent_dim}, {cfg.epochs} epochs, seed {cfg.seed}) on {data.spec}: "
              f"{len(data)} images", file=sys.stderr)
    cancel = threading.Event()
    work = sweep.sweep(cfg, data, betas, seed=args.seed, samples=args.samples,
                       device=args.device, cancel=cancel)
    # Ctrl-C asks the trainer to stop at its next batch instead of tearing the generator.
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        result = drain_with_progress(work, args.quiet)
    except Cancelled:
        print("latent-atlas: sweep interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, previous)

    sweep.save_plot(result, out)
    print(f"Saved the plot to {out}", file=sys.stderr)
    if model_outs:
        sweep.save_models(result, model_outs, data)
        print(f"Saved {len(model_outs)} models in {args.save_models}", file=sys.stderr)
    if args.json:
        doc = result.to_dict()
        doc["plot"] = str(out)
        if model_outs:
            doc["files"] = {f"{b:g}": str(path) for b, path in model_outs.items()}
        print(json.dumps(json_safe(doc), indent=2))
    else:
        print(sweep.table(result, markdown=args.markdown))
    return 0


def run_seed_sweep(args: argparse.Namespace, betas: tuple[float, ...]) -> int:
    """`sweep --seeds`: every β with every seed, measured for disentanglement."""
    from latent_atlas.explorer.session.commands import sweep

    try:
        seeds = sweep.parse_seeds(args.seeds)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for flag, v in (("--epochs", args.epochs), ("--latent-dim", args.latent_dim),
                    ("--limit", args.limit), ("--measure-limit", args.measure_limit)):
        _positive(flag, v)
    if args.measure_limit is not None and args.measure_limit < 100:
        raise UserError(f"--measure-limit must be at least 100, not {args.measure_limit}")
    if args.save_models:
        raise UserError("with --seeds, give --models DIR (it reuses and saves the models)")
    if args.as_trained and not args.models:
        raise UserError("--as-trained takes the models in --models DIR as they are; give "
                        "--models")
    out = check_output(args.out, (".png",))
    if args.models and Path(args.models).exists() and not Path(args.models).is_dir():
        raise UserError(f"--models must be a folder, and {args.models} is a file")
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    from .train import parse_hidden

    data = load_data(args.data, limit=args.limit)
    if not data.factors:
        raise UserError(f"{data.spec} has no factor columns; the disentanglement metrics need "
                        "data with known factors, such as shapes")
    cfg = make_config(data, kind="vae", arch=args.arch, latent_dim=args.latent_dim,
                      hidden=parse_hidden(args.hidden), epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, seed=seeds[0])
    from latent_atlas.explorer.core.progress import Cancelled

    if not args.quiet:
        epochs = "epochs as trained" if args.as_trained else f"{cfg.epochs} epochs"
        print(f"Sweeping β = {', '.join(f'{b:g}' for b in betas)} × seeds "
              f"{', '.join(map(str, seeds))} ({cfg.arch}, latent {cfg.latent_dim}, "
              f"{epochs}) on {data.spec}: {len(data)} images", file=sys.stderr)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        result = drain_with_progress(sweep.seed_sweep(cfg, data, betas, seeds,
                                                      models_dir=args.models,
                                                      device=args.device, cancel=cancel,
                                                      measure_limit=args.measure_limit,
                                                      as_trained=args.as_trained),
                                     args.quiet)
    except Cancelled:
        print("latent-atlas: sweep interrupted; models already saved stay", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, previous)
    sweep.save_plot(result, out)
    print(f"Saved the plot to {out}", file=sys.stderr)
    if args.json:
        doc = result.to_dict()
        doc["plot"] = str(out)
        print(json.dumps(json_safe(doc), indent=2))
    else:
        print(sweep.table(result, markdown=args.markdown))
    return 0
