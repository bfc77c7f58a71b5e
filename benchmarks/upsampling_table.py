"""Upsampling choices on MNIST: reconstruction and the compare metrics of each decoder.

For every upsampling choice of the conv decoder (transposed conv, nearest and bilinear
resize + conv, bed of nails + conv, max-unpooling + conv with a max-pooling encoder) this
trains an AE and a VAE with `latent-atlas train-pair` (same data, latent size, epochs and
seed) and measures them with `latent-atlas compare --json`; it prints the exact commands
and then one markdown table (held-out reconstruction MSE, hole fraction, prior-sample
distance, interpolation distance, path length; definitions in docs/metrics.md) and the
CPU seconds each pair took to train (user + system of the training process: comparable
between choices even on a loaded machine, unlike wall time).

    python benchmarks/upsampling_table.py [--epochs 3] [--latent-dim 16] [--seed 0]
        [--data mnist:../shared/data/mnist] [--choices transpose,nearest,...] [--jobs 1]
        [--keep DIR]

`--jobs N` trains N pairs at once (each in its own process); the numbers do not change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHOICES = {  # upsampling -> the downsampling it is measured with
    "transpose": "stride", "nearest": "stride", "bilinear": "stride",
    "bed-of-nails": "stride", "max-unpool": "max",
}


def _cli() -> list[str]:
    exe = shutil.which("latent-atlas")
    return [exe] if exe else [sys.executable, "-m", "explorer.cli"]


def _shown(cmd: list[str], folder: Path) -> str:
    """The command as a user types it: `latent-atlas`, files relative to the output folder."""
    return " ".join(["latent-atlas"] + [a.replace(f"{folder}/", "") for a in cmd[len(_cli()):]])


def commands(up: str, args: argparse.Namespace, folder: Path) -> tuple[list[str], list[str]]:
    """The train-pair and compare commands of one upsampling choice."""
    prefix = folder / f"up_{up}"
    train = _cli() + ["train-pair", "--data", args.data, "--latent-dim", str(args.latent_dim),
                      "--epochs", str(args.epochs), "--seed", str(args.seed), "--upsample", up,
                      "--downsample", CHOICES[up], "--out", str(prefix), "--quiet"]
    compare = _cli() + ["compare", f"{prefix}_ae.safetensors", f"{prefix}_vae.safetensors",
                        "--seed", str(args.seed), "--json", "--quiet"]
    return train, compare


def train_all(choices: list[str], args: argparse.Namespace, folder: Path) -> dict[str, float]:
    """Run the train-pair commands, `args.jobs` at a time; CPU seconds of each."""
    cpu: dict[str, float] = {}
    pending = list(choices)
    running: dict[int, tuple[str, subprocess.Popen]] = {}
    while pending or running:
        while pending and len(running) < args.jobs:
            up = pending.pop(0)
            proc = subprocess.Popen(commands(up, args, folder)[0], cwd=ROOT)
            running[proc.pid] = (up, proc)
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        up, proc = running.pop(pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"training {up} failed (exit {proc.returncode})")
        cpu[up] = usage.ru_utime + usage.ru_stime
        print(f"{up}: trained, {cpu[up]:.0f} CPU s", file=sys.stderr, flush=True)
    return cpu


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def markdown(rows: list[tuple[str, dict, float]]) -> str:
    lines = ["| upsample (downsample) | model | recon MSE | hole fraction | prior-sample dist "
             "| interp dist | path length | hole threshold | train CPU s (pair) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for up, doc, seconds in rows:
        for m in doc["models"]:
            lines.append(
                f"| {up} ({CHOICES[up]}) | {m['kind'].upper()} | {_num(m['recon_mse'], '.4f')} | "
                f"{_pct(m['hole_fraction'])} | {_num(m['prior_distance'], '.3f')} | "
                f"{_num(m['interp_distance'], '.3f')} | {_num(m['path_length'], '.2f')} | "
                f"{_num(doc['hole_threshold'], '.3f')} | {seconds:.0f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=f"mnist:{ROOT.parent / 'shared' / 'data' / 'mnist'}")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--latent-dim", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--choices", default=",".join(CHOICES))
    ap.add_argument("--jobs", type=int, default=1, help="pairs trained at once")
    ap.add_argument("--keep", default=None, help="keep the model files in this folder")
    args = ap.parse_args()
    choices = [c.strip() for c in args.choices.split(",") if c.strip()]
    unknown = set(choices) - set(CHOICES)
    if unknown:
        ap.error(f"unknown choice(s): {', '.join(sorted(unknown))}")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="upsampling_"))
    folder.mkdir(parents=True, exist_ok=True)
    cpu = train_all(choices, args, folder)
    rows, shown = [], []
    for up in choices:
        train, compare = commands(up, args, folder)
        out = subprocess.run(compare, check=True, cwd=ROOT, capture_output=True, text=True)
        rows.append((up, json.loads(out.stdout), cpu[up]))
        shown += [_shown(train, folder), _shown(compare, folder)]
    print("```bash")
    print("\n".join(shown))
    print("```\n")
    print(markdown(rows))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
