"""`latent-atlas train` and `latent-atlas info`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from latent_atlas.explorer.core.training import KIND_LABELS
from latent_atlas.explorer.session.commands.train import sampling_choices, variant_flags

from .common import EXIT_INTERRUPTED, UserError, at_least, check_output, fraction_in

KIND_CHOICES = KIND_LABELS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train a model of the autoencoder family and save it",
        description="Train a model and save it. Under `torchrun --nproc_per_node N --no-python "
        "latent-atlas train ...` the N processes train data-parallel (gloo on CPU, nccl on "
        "CUDA) with --batch-size as the global batch; process 0 writes the file.")
    p.add_argument("--data", default=None,
                   help="data spec, e.g. digits, shapes, mnist:DIR (default digits; with "
                        "--resume the spec stored in the file)")
    p.add_argument("--model", default="vae", choices=list(KIND_CHOICES),
                   help="model kind: " + ", ".join(f"{k} ({v})" for k, v in KIND_CHOICES.items()))
    add_model_options(p)
    p.add_argument("--resume", default=None, metavar="FILE",
                   help="continue training the model in FILE for --epochs MORE epochs, with "
                        "its stored optimizer state, seed and train/validation split; its "
                        "history grows. Model options come from FILE (flags for them are "
                        "ignored); --out defaults to FILE (replaced atomically)")
    p.add_argument("--out", default=None,
                   help="output model file (.safetensors); required unless --resume")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_train)

    p = sub.add_parser("info", help="print a model file's config, data and training summary",
                       description="Print what a model file holds; for a model of your own "
                       "(--python FILE.py:FACTORY, or an ONNX, diffusers or pythae folder) "
                       "what Latent Atlas reads of it: shapes, variational or conditional, "
                       "and what it cannot do.")
    p.add_argument("file", help="a model file, a model folder, or --python FILE.py:FACTORY")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    p.add_argument("--data", default=None, metavar="SPEC",
                   help="also encode this data (e.g. the file's own spec) and print the "
                        "per-latent diagnostics: variance of the mean code and active units "
                        "(> 0.01), KL per dimension and the mutual information I(x; z) for "
                        "variational models; JSON adds them as 'latents'")
    p.add_argument("--limit", type=int, default=None, help="with --data: at most N images")
    p.set_defaults(handler=run_info)


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Architecture, hyper-parameter and variant flags shared by `train` and `train-pair`."""
    sampling = sampling_choices()
    p.add_argument("--arch", default="conv", choices=["mlp", "conv"])
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--hidden", default=None,
                   help="comma-separated widths (mlp) or conv channels, e.g. 32,64 (default: conv "
                        "32,64 below 16 px, else 32,64,128; mlp 128,64 below 512 pixels, "
                        "else 512,256)")
    p.add_argument("--upsample", default="transpose", choices=list(sampling["upsample"]),
                   help="conv decoder: transposed conv, nearest or bilinear resize + conv, "
                        "bed-of-nails (zero insertion) + conv, or max-unpool + conv. max-unpool "
                        "needs --downsample max and the encoder's switches: it reconstructs, "
                        "but cannot generate (a map point decodes with the switches of the "
                        "nearest data sample)")
    p.add_argument("--downsample", default="stride", choices=list(sampling["downsample"]),
                   help="conv encoder: stride-2 conv (default), or conv + 2x2 max or average "
                        "pooling")
    p.add_argument("--recon-loss", default="bce", choices=["bce", "mse"])
    p.add_argument("--epochs", type=at_least(1), default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=None,
                   help="weight of the KL term (default 1; 4 for beta-vae)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--limit", type=int, default=None, help="use at most N images")
    v = p.add_argument_group("variant options")
    for opt in variant_flags():  # each kind's own fields (models/kinds.py)
        default = opt.default
        if opt.choices:
            v.add_argument(opt.flag, default=default, choices=list(opt.choices), help=opt.help)
        elif opt.bounds is not None:
            v.add_argument(opt.flag, type=fraction_in(*opt.bounds), default=default,
                           help=opt.help)
        else:
            v.add_argument(opt.flag, type=type(default), default=default, help=opt.help)
    v.add_argument("--pretrain-epochs", type=int, default=0,
                   help="mlp only: stacked AE, greedy layer-wise pretraining epochs per layer")


def parse_hidden(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"--hidden must be comma-separated whole numbers, not '{text}'") from None
    if not values or min(values) < 1:
        raise UserError(f"--hidden must list positive sizes, not '{text}'")
    return values


def check_sampling(args: argparse.Namespace) -> None:
    """Refuse a max-unpooling decoder without max-pooling switches, before any work."""
    if args.upsample == "max-unpool" and (args.arch != "conv" or args.downsample != "max"):
        raise UserError("--upsample max-unpool puts values back where the encoder's max "
                        "pooling found them, so it needs --arch conv --downsample max (not "
                        f"--arch {args.arch} --downsample {args.downsample})")


def config_from_args(args: argparse.Namespace, data):
    from latent_atlas.explorer.core.training import TrainingChoiceError, make_config

    check_sampling(args)
    try:
        return make_config(
            data, kind=args.model, arch=args.arch, latent_dim=args.latent_dim,
            hidden=parse_hidden(args.hidden), beta=args.beta, upsample=args.upsample,
            downsample=args.downsample,
            recon_loss=args.recon_loss, weight_decay=args.weight_decay, lr=args.lr,
            batch_size=args.batch_size, epochs=args.epochs, seed=args.seed,
            pretrain_epochs=args.pretrain_epochs,
            **{opt.field: getattr(args, opt.field) for opt in variant_flags()})
    except TrainingChoiceError as exc:
        raise UserError(str(exc)) from None


def run_train(args: argparse.Namespace) -> int:
    from .resume import resume_start

    if not args.resume:
        check_sampling(args)

    if args.out is None and args.resume is None:
        raise UserError("give --out FILE.safetensors (or --resume FILE to continue a model)")
    out = check_output(args.out or args.resume, (".safetensors",),
                       flag="--out" if args.out else "--resume")
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.session.commands import train as training

    device = training.resolve_device(args.device)
    if args.resume:
        run = resume_start(args)
    else:
        data = load_data(args.data or "digits", limit=args.limit)
        run = training.Training(data, training.new_model(config_from_args(args, data)))
    data, history = run.data, run.history
    cfg, epochs = run.model.config, args.epochs

    from tqdm import tqdm

    group = training.process_group(device)  # one process, or one of torchrun's (set up)
    try:
        is_main = group.is_main
        if is_main:
            for note in data.notes:  # e.g. which images a --limit kept
                print(f"note: {note}", file=sys.stderr)
            print(f"Training {cfg.kind.upper()} ({cfg.arch}, latent {cfg.latent_dim}) on "
                  f"{data.spec}: {len(data)} images {data.shape}, {epochs} epochs"
                  + (f" after {len(history)}" if history else "") + f", device {group.device}"
                  + (f", {group.world_size} processes" if group.world_size > 1 else ""),
                  file=sys.stderr)
        cancel = threading.Event()
        gen = run.run(epochs, group, cancel)
        bar = tqdm(total=epochs, unit="epoch", disable=args.quiet or not is_main, file=sys.stderr,
                   dynamic_ncols=True, bar_format="{l_bar}{bar}| {n:.2f}/{total_fmt} epochs "
                   "[{elapsed}<{remaining}{postfix}]")
        # Ctrl-C asks the trainer to stop before its next batch (keeping the last complete
        # epoch) instead of raising KeyboardInterrupt inside the generator, which would lose it.
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
        try:
            result = _drain(gen, bar)
        finally:
            signal.signal(signal.SIGINT, previous)
        bar.close()
        code = finished_code(result.status)
        if result.epochs_completed == 0 and epochs > 0:
            # Never write (let alone replace a file with) a model that learnt nothing.
            kept = f"{out} is unchanged" if out.exists() else f"{out} was not written"
            what = result.message.split(";")[0].split(" The last good")[0].rstrip(".")
            if is_main:
                print(f"{what}. No epoch finished, so nothing was saved: {kept}.", file=sys.stderr)
            return code
        if is_main:  # one writer; the others wait at the barrier until the file is complete
            run.save(out, result)
            print(f"{result.message} Saved {out} ({len(result.history)} epoch(s) trained"
                  + (f", {result.epochs_completed} in this run" if args.resume else "") + ").",
                  file=sys.stderr)
        group.barrier()
        return code
    finally:
        group.close()


def finished_code(status: str) -> int:
    """Exit code of a training run: 0 completed, 130 cancelled (Ctrl-C), 1 diverged."""
    return {"completed": 0, "cancelled": EXIT_INTERRUPTED}.get(status, 1)


BATCH_REFRESH_S = 0.5  # the bar moves within an epoch, at most twice a second


def _drain(gen, bar, clock=None):
    import time

    from latent_atlas.explorer.core.progress import drain

    clock = clock or time.monotonic
    stage = ""
    last = clock()

    def on_progress(event) -> None:
        nonlocal stage, last
        if event.stage == "pretrain" and event.message != stage:
            stage = event.message
            bar.set_description(stage)
        if event.stage == "batch":  # a long epoch is not a bar standing still
            now = clock()
            if now - last >= BATCH_REFRESH_S:
                last = now
                bar.n = round(event.epoch - 1 + event.step / max(1, event.steps), 2)
                bar.set_postfix_str(f"batch {event.step}/{event.steps}, "
                                    f"{event.images_per_s:.0f} images/s", refresh=False)
                bar.refresh()
        if event.stage == "epoch":
            last = clock()
            bar.set_description("")
            bar.n = event.epoch
            post = {k: f"{v:.2f}" for k, v in event.losses.items()}
            if event.val:
                post["val"] = f"{event.val['total']:.2f}"
            post["img/s"] = f"{event.images_per_s:.0f}"
            bar.set_postfix(post)

    return drain(gen, on_progress)


def run_info(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.session.commands.info import file_metadata, map_extent
    from latent_atlas.explorer.session.user_model import is_source

    if is_source(args.file):
        return _source_info(args)
    meta = file_metadata(args.file)  # checked: every field below has the type used here
    extent = map_extent(args.file) if meta.get("map") else None
    latents = _latent_diagnostics(args) if args.data else None
    if args.json:
        if extent is not None:
            meta = {**meta, "map": {**meta["map"], "x_range": list(extent[:2]),
                                    "y_range": list(extent[2:])}}
        if latents is not None:
            meta = {**meta, "latents": {"data": args.data, **latents.to_dict()}}
        print(json.dumps(meta, indent=2))
        return 0
    cfg = meta["config"]
    history = meta.get("history", [])
    print(f"file:        {args.file}")
    print(f"model:       {cfg.get('kind', '?')} ({cfg.get('arch', '?')}), latent size "
          f"{cfg.get('latent_dim', '?')}, input {tuple(cfg.get('input_shape', ()))}")
    print(f"data:        {meta.get('data_spec') or '(unknown)'}")
    names = meta.get("label_names") or []
    if names:
        print(f"labels:      {', '.join(names)}")
    print(f"epochs:      {len(history)}")
    print("resume:      " + ("optimizer state stored (train --resume continues it)"
                             if "train_state" in meta else
                             "weights only (train --resume starts a fresh optimizer)"))
    if history:
        last = history[-1]
        train_l = ", ".join(f"{k} {v:.3f}" for k, v in last.get("train", {}).items())
        print(f"final train: {train_l}")
        if last.get("val"):
            val_l = ", ".join(f"{k} {v:.3f}" for k, v in last["val"].items())
            print(f"final val:   {val_l}")
    m = meta.get("map")
    shown = f"{m.get('method', '?')} ({m.get('n_points', '?')} points)" if m else "none"
    if extent is not None:
        shown += (f", x {extent[0]:.2f}..{extent[1]:.2f}, y {extent[2]:.2f}..{extent[3]:.2f} "
                  "(positions for decode --xy)")
    print(f"map:         {shown}")
    print("config:      " + ", ".join(f"{k}={v}" for k, v in cfg.items()))
    print(f"app version: {meta.get('app_version', '?')}, file format {meta.get('format_version')}")
    if latents is not None:
        _print_latents(args, latents)
    return 0


def _source_info(args: argparse.Namespace) -> int:
    """`info` of a model opened from no file (`--python`, a model folder): it is opened on
    its data (a factory's own, or --data) and described by the model contract."""
    from latent_atlas.explorer.session.user_model import describe

    opened = _open_for_info(args)
    info = describe(opened)
    latents = _latent_diagnostics(args, opened) if args.data else None
    if args.json:
        if latents is not None:
            info["latents"] = {"data": args.data, **latents.to_dict()}
        print(json.dumps(info, indent=2))
        return 0
    shape = " x ".join(map(str, info["code_shape"]))
    print(f"model:       {info['name']} ({info['kind']}), from {info['source']}")
    if info["folder"]:
        print(f"folder:      {info['folder']}")
    print(f"codes:       {info['latent_dim']} values (code shape {shape}), "
          f"{'variational (mean and log-variance)' if info['variational'] else 'one code per image'}")
    print(f"input:       {' x '.join(map(str, info['image_shape']))} (C x H x W)")
    print(f"data:        {info['data_spec'] or '(arrays)'}, {info['n_images']} images")
    if info["label_names"]:
        print(f"labels:      {', '.join(info['label_names'])}")
    print(f"conditional: {info['conditional']}")
    for sentence in info["cannot"].values():
        print(f"cannot:      {sentence}")
    for note in info["notes"]:
        print(f"note:        {note}")
    if latents is not None:
        _print_latents(args, latents)
    return 0


def _open_for_info(args: argparse.Namespace):
    from latent_atlas.explorer.session.opening import open_model

    if args.limit is not None and args.limit < 2:
        raise UserError(f"--limit must be at least 2 for the diagnostics, not {args.limit}")
    options = {"limit": args.limit} if args.limit is not None else {}
    return open_model(args.file, data=args.data, **options)


def _print_latents(args: argparse.Namespace, latents) -> None:
    print(f"latents on {args.data} (ordered by "
          f"{'KL' if latents.kl is not None else 'variance'}):")
    for line in latents.lines():
        print("  " + line)


def _latent_diagnostics(args: argparse.Namespace, opened=None):
    """The model's per-latent diagnostics on `--data` (session.commands.info)."""
    from latent_atlas.explorer.session.commands.info import latent_diagnostics

    return latent_diagnostics(opened or _open_for_info(args))
