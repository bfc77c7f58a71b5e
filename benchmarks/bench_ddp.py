"""One process against two data-parallel processes (torchrun, gloo, CPU) on the same training.

Runs `latent-atlas train` once in one process and once under
`torchrun --nproc_per_node 2 --no-python latent-atlas train`, same data, model, seed and
global batch, and prints key=value lines: wall time of each command (start-up included),
the time inside the epochs (summed from the stored history), and both final validation
losses.

    python benchmarks/bench_ddp.py [--data digits] [--epochs 5] [--model vae]

torchrun gives each worker OMP_NUM_THREADS=1 unless it is set; the one-process run keeps
torch's default thread count (all cores), and is repeated with one thread
(`one_process_1thread_*`) to separate the effect of threads from that of processes.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], out: Path, threads: int | None = None) -> tuple[float, float, float]:
    """(wall s, seconds inside the epochs, final validation total) of one training command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-3000:]}")
    meta = json.loads(subprocess.run(
        [sys.executable, "-m", "latent_atlas.explorer.cli", "info", str(out), "--json"], capture_output=True,
        text=True, env=env, check=True).stdout)
    history = meta["history"]
    return wall, sum(h["seconds"] for h in history), history[-1]["val"]["total"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="digits")
    ap.add_argument("--model", default="vae")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--nproc", type=int, default=2)
    a = ap.parse_args()
    script = Path(sys.executable).with_name("latent-atlas")
    program = ["--no-python", str(script)] if script.exists() else ["-m", "latent_atlas.explorer.cli"]
    train = ["train", "--data", a.data, "--model", a.model, "--epochs", str(a.epochs),
             "--quiet", "--device", "cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.safetensors", Path(tmp) / "many.safetensors"
        w1, t1, v1 = run([sys.executable, "-m", "latent_atlas.explorer.cli", *train, "--out", str(one)], one)
        one1 = Path(tmp) / "one1.safetensors"
        w11, t11, v11 = run([sys.executable, "-m", "latent_atlas.explorer.cli", *train, "--out", str(one1)],
                            one1, threads=1)
        wn, tn, vn = run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                          str(a.nproc), "--nnodes", "1", "--rdzv-backend", "c10d",
                          "--rdzv-endpoint", f"127.0.0.1:{free_port()}", *program, *train,
                          "--out", str(many)], many)
    print(f"data={a.data} model={a.model} epochs={a.epochs} cores={os.cpu_count()}")
    print(f"one_process_wall_s={w1:.2f}")
    print(f"ddp_{a.nproc}_process_wall_s={wn:.2f}")
    print(f"one_process_epochs_s={t1:.2f}")
    print(f"ddp_{a.nproc}_process_epochs_s={tn:.2f}")
    print(f"one_process_1thread_wall_s={w11:.2f}")
    print(f"one_process_1thread_epochs_s={t11:.2f}")
    print(f"one_process_1thread_final_val={v11:.4f}")
    print(f"ddp_wall_speedup={w1 / wn:.3f}")
    print(f"ddp_wall_speedup_vs_1thread={w11 / wn:.3f}")
    print(f"one_process_final_val={v1:.4f}")
    print(f"ddp_{a.nproc}_process_final_val={vn:.4f}")
    print(f"final_val_rel_diff={abs(vn - v1) / abs(v1):.4f}")


if __name__ == "__main__":
    main()
