"""Train the β sweep's models in rounds until they converge, for `sweep --seeds --models`.

    python benchmarks/beta_rounds.py --models runs/ --data shapes --beta 0,1,4,8,16 \\
        --seeds 0,1,2 --arch conv --latent-dim 10 [--first 4 --step 2 --max-epochs 40] \\
        [--each] [--hours 2.5] [--status]

Every model is the one `latent-atlas sweep` builds for that β and seed (the same
configuration, saved as DIR/seed_S/beta_B_KIND.safetensors, β = 0 being the plain AE), with
its optimizer state, so each round resumes it exactly. A round brings every model to the
same epoch count E (the sweep compares models of one epoch count), then checks each against
the convergence criterion of docs/disentanglement.md: the held-out loss (the trainer's 10 %
validation split, `val.total` in the file's history) fell by less than `--criterion`
(0.5 %) per epoch on average over the last `--window` (3) epochs. When every model has
converged, or E reached `--max-epochs`, or the `--hours` budget ran out, it stops and prints
a table per model and the `sweep` command that measures them:

    beta=… seed=… epochs=… held_out=… fall_pct=… converged=yes|no
    rounds_done=… epochs=E all_converged=yes|no train_seconds=…

With `--each`, a round trains only the models that have not met the criterion yet, so each
model stops at its own convergence (a high β converges in a third of the AE's epochs) and
the others go on; the printed command then measures every model as trained
(`sweep --as-trained`). Several processes can share the work, one per seed (`--seeds 0`,
`--seeds 1`, ...): each model has its own file.

Stopped at any moment, the models saved so far stay: run it again to go on (`--status`
only prints the table). Slow by nature (hours on a 2-core machine), so never a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CRITERION = 0.005
WINDOW = 3


def held_out_losses(history: Sequence[dict]) -> list[float]:
    """The held-out loss of every epoch in a model file's history (nan where none)."""
    out = []
    for record in history:
        val = record.get("val") or {}
        out.append(float(val.get("total", float("nan"))))
    return out


def mean_fall(losses: Sequence[float], window: int = WINDOW) -> float | None:
    """Mean relative fall per epoch over the last `window` epochs (0.01 = 1 % a epoch), or
    None with fewer than window + 1 epochs."""
    if len(losses) < window + 1:
        return None
    tail = losses[-(window + 1):]
    falls = [(a - b) / abs(a) for a, b in zip(tail[:-1], tail[1:], strict=True) if a]
    return sum(falls) / len(falls) if len(falls) == window else None


def converged(losses: Sequence[float], criterion: float = CRITERION,
              window: int = WINDOW) -> bool:
    """The criterion: the mean fall over the last `window` epochs is below `criterion`."""
    fall = mean_fall(losses, window)
    return fall is not None and fall < criterion


@dataclass
class Slot:
    beta: float
    seed: int
    config: object  # the ModelConfig the sweep builds for this β and seed
    path: Path

    def history(self) -> list[dict]:
        if not self.path.exists():
            return []
        from latent_atlas.models.modelfile import read_metadata

        return list(read_metadata(self.path).get("history") or [])

    def converged(self, args: argparse.Namespace) -> bool:
        return converged(held_out_losses(self.history()), args.criterion, args.window)


def slots(args: argparse.Namespace, data) -> list[Slot]:
    """One slot per β and seed, with the configuration `sweep --seeds` would train."""
    from latent_atlas.explorer.cli.train import parse_hidden
    from latent_atlas.explorer.core.analysis.comparison.sweep import check_betas, sweep_configs
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
        model_path,
        parse_seeds,
    )
    from latent_atlas.explorer.core.training import make_config

    betas = check_betas(float(b) for b in args.beta.split(","))
    seeds = parse_seeds(args.seeds)
    base = make_config(data, kind="vae", arch=args.arch, latent_dim=args.latent_dim,
                       hidden=parse_hidden(args.hidden), epochs=args.first,
                       batch_size=args.batch_size, lr=args.lr, seed=seeds[0])
    out = []
    for seed in seeds:
        for beta, cfg in zip(betas, sweep_configs(base.replace(seed=seed), betas), strict=True):
            out.append(Slot(beta, seed, cfg, model_path(args.models, beta, seed, cfg.kind)))
    return out


def train_to(slot: Slot, data, epochs: int, device: str, limit: int | None = None) -> float:
    """Bring one model to `epochs` epochs (a new one, or its file resumed); seconds taken."""
    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.explorer.session.commands.resume import resume_training
    from latent_atlas.explorer.session.commands.train import (
        Training,
        new_model,
        process_group,
    )

    done = len(slot.history())
    if done >= epochs:
        return 0.0
    if done:
        run = resume_training(slot.path, data=data.spec, limit=limit)
    else:
        run = Training(data=data, model=new_model(slot.config.replace(epochs=epochs)))
    group = process_group(device)
    start = time.perf_counter()
    try:
        result = drain(run.run(epochs - done, group))
    finally:
        group.close()
    if result.status != "completed":
        raise SystemExit(f"beta {slot.beta:g} seed {slot.seed}: {result.message}")
    slot.path.parent.mkdir(parents=True, exist_ok=True)
    run.save(slot.path, result)
    return time.perf_counter() - start


def report(all_slots: list[Slot], criterion: float, window: int) -> tuple[int, bool]:
    """Print one line per model; returns (the lowest epoch count, all converged)."""
    counts, every = [], True
    for s in all_slots:
        losses = held_out_losses(s.history())
        fall = mean_fall(losses, window)
        ok = converged(losses, criterion, window)
        every = every and ok
        counts.append(len(losses))
        print(f"beta={s.beta:g} seed={s.seed} epochs={len(losses)} "
              f"held_out={losses[-1] if losses else float('nan'):.2f} "
              f"fall_pct={'-' if fall is None else f'{100 * fall:.2f}'} "
              f"converged={'yes' if ok else 'no'}", flush=True)
    return (min(counts) if counts else 0), every


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", required=True, metavar="DIR")
    p.add_argument("--data", default="shapes")
    p.add_argument("--beta", default="0,1,4,8,16", metavar="B,B,...")
    p.add_argument("--seeds", default="0,1,2", metavar="S,S,...")
    p.add_argument("--arch", default="conv", choices=["mlp", "conv"])
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--hidden", default=None)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=int, default=None, help="use at most N images")
    p.add_argument("--first", type=int, default=4, help="epochs of the first round")
    p.add_argument("--step", type=int, default=2, help="epochs added per later round")
    p.add_argument("--max-epochs", type=int, default=40)
    p.add_argument("--criterion", type=float, default=CRITERION)
    p.add_argument("--window", type=int, default=WINDOW)
    p.add_argument("--hours", type=float, default=None, help="stop starting models after this")
    p.add_argument("--device", default="cpu")
    p.add_argument("--each", action="store_true",
                   help="train each model until it converges by itself (rounds skip the models "
                        "that have); measure them with sweep --as-trained")
    p.add_argument("--status", action="store_true", help="only print where the models stand")
    args = p.parse_args(argv)
    if min(args.first, args.step, args.max_epochs, args.window) < 1 or args.criterion <= 0:
        p.error("--first, --step, --max-epochs and --window must be at least 1, "
                "--criterion above 0")

    from latent_atlas.explorer.core.data import load_data

    data = load_data(args.data, limit=args.limit)
    if not data.factors:
        p.error(f"{data.spec} has no factor columns; the β sweep measures data with factors")
    all_slots = slots(args, data)
    deadline = None if args.hours is None else time.monotonic() + 3600 * args.hours
    rounds, seconds = 0, 0.0
    lowest, every = report(all_slots, args.criterion, args.window)
    target = max(args.first, max(len(s.history()) for s in all_slots))
    while not args.status:
        pending = [s for s in all_slots if not (args.each and s.converged(args))]
        lowest = min((len(s.history()) for s in pending), default=target)
        if lowest >= target and (every or target >= args.max_epochs):
            break
        if lowest >= target:
            target = min(args.max_epochs, target + args.step)
        stopped = False
        for s in pending:
            if deadline is not None and time.monotonic() > deadline:
                stopped = True
                break
            took = train_to(s, data, target, args.device, args.limit)
            seconds += took
            if took:
                print(f"trained beta={s.beta:g} seed={s.seed} to {target} epochs "
                      f"({took:.0f} s)", flush=True)
        rounds += 1
        lowest, every = report(all_slots, args.criterion, args.window)
        if stopped:
            print("(time budget spent: run again to go on)", flush=True)
            break
    counts = [len(s.history()) for s in all_slots]
    at = counts[0] if counts and len(set(counts)) == 1 else None
    print(f"rounds_done={rounds} epochs={at if at is not None else 'mixed'} "
          f"all_converged={'yes' if every else 'no'} train_seconds={seconds:.0f}")
    if at is not None or (args.each and min(counts, default=0) > 0):
        extra = "".join(f" {flag} {v}" for flag, v in (
            ("--hidden", args.hidden), ("--batch-size", args.batch_size if args.batch_size != 128
                                        else None),
            ("--lr", args.lr if args.lr != 1e-3 else None), ("--limit", args.limit)) if v)
        epochs = "--as-trained" if args.each else f"--epochs {at}"
        print(f"measure: latent-atlas sweep --data {args.data} --beta {args.beta} --seeds "
              f"{args.seeds} --arch {args.arch} --latent-dim {args.latent_dim} {epochs} "
              f"--models {args.models}{extra} --markdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
