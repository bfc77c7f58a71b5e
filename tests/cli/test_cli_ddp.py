"""`torchrun --nproc_per_node 2 --no-python latent-atlas train ...`: two CPU processes with
gloo train one model data-parallel; process 0 writes the file."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.models.checkpoint import load_model

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300
ARGS = ["train", "--data", "digits", "--model", "vae", "--latent-dim", "4", "--seed", "1"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="torchrun with gloo on POSIX")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(*args: str) -> list[str]:
    """torchrun for two local processes running `latent-atlas` (the console script beside
    this Python, else `python -m latent_atlas.explorer.cli`)."""
    script = Path(sys.executable).with_name("latent-atlas")
    program = ["--no-python", str(script)] if script.exists() else ["-m", "latent_atlas.explorer.cli"]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
            "--nnodes", "1", "--rdzv-backend", "c10d",
            "--rdzv-endpoint", f"127.0.0.1:{_free_port()}", *program, *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    # Its own session, so a timeout kills the launcher and both workers, never hangs the suite.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"torchrun did not finish in {TIMEOUT_S} s:\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_torchrun_is_available():
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--nproc-per-node" in done.stdout


def test_two_processes_train_one_model_like_one_process(tmp_path):
    one, two = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    assert main([*ARGS, "--epochs", "3", "--quiet", "--out", str(one)]) == 0
    done = _run(_torchrun(*ARGS, "--epochs", "3", "--quiet", "--out", str(two)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes" in done.stderr
    assert done.stderr.count("Saved ") == 1  # only process 0 reports and writes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    a, b = load_model(one), load_model(two)
    assert b.config == a.config and b.meta["data_spec"] == "digits"
    assert [h["epoch"] for h in b.meta["history"]] == [1, 2, 3]
    val_one = a.meta["history"][-1]["val"]["total"]
    val_two = b.meta["history"][-1]["val"]["total"]
    first = b.meta["history"][0]["val"]["total"]
    assert val_two < first  # it learnt
    # Same global batch and the same validation rows; different batch order and noise,
    # so close, not equal.
    assert val_two == pytest.approx(val_one, rel=0.05)
    # ... and the file resumes in one process, with the stored optimizer state.
    assert main(["train", "--resume", str(two), "--epochs", "1", "--quiet"]) == 0
    assert len(load_model(two).meta["history"]) == 4


def test_ctrl_c_stops_every_process_and_keeps_whole_epochs(tmp_path):
    """Ctrl-C in a terminal reaches torchrun and both workers: they agree to stop at the same
    batch (none waits for the other), process 0 saves the last complete epoch."""
    out = tmp_path / "c.safetensors"
    proc = subprocess.Popen(_torchrun(*ARGS, "--epochs", "500", "--out", str(out)),
                            stderr=subprocess.PIPE, text=True, env=_env(),
                            start_new_session=True)
    try:
        deadline, buf = time.time() + TIMEOUT_S, ""
        while time.time() < deadline:  # the first completed epoch in the progress bar
            ch = proc.stderr.read(1)
            if not ch:
                break
            buf += ch
            if "img/s" in buf:
                break
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        rest = proc.communicate(timeout=TIMEOUT_S)[1]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # torchrun's own exit status after a signal is its business; the workers' output is ours.
    assert "Training cancelled" in rest, buf[-2000:] + rest[-3000:]
    n = len(load_model(out).meta["history"])
    assert 1 <= n < 500


WORKER = r'''
import json, sys, threading
import torch
from latent_atlas.explorer.core.data import load_data
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.device import resolve_device
from latent_atlas.models.distributed import from_env
from latent_atlas.models.networks import build_model
from latent_atlas.models.trainer import train

group = from_env(resolve_device("cpu"))
images = load_data("digits").images[:400]
cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=4,
                  hidden=(16, 32), batch_size=64, epochs=3, seed=2)
report = {}
for trouble in ("nan", "cancel"):
    model, cancel = build_model(cfg), threading.Event()
    gen = train(model, images, device="cpu", cancel=cancel, group=group)
    try:
        while True:
            event = next(gen)
            # Only process 1 gets into trouble, right after its first epoch.
            if event.stage == "epoch" and event.epoch == 1 and group.rank == 1:
                if trouble == "nan":
                    with torch.no_grad():
                        model.mu_head.weight.fill_(float("nan"))
                else:
                    cancel.set()
    except StopIteration as stop:
        result = stop.value
    report[trouble] = [result.status, result.epochs_completed, result.message]
group.close()
# one file per process: two processes printing to one pipe can interleave their lines
with open(f"{sys.argv[1]}/report_{group.rank}.json", "w") as f:
    json.dump({"rank": group.rank, **report}, f)
'''


def test_trouble_in_one_process_stops_both_at_the_same_batch(tmp_path):
    """A NaN loss or a cancel in process 1 only: both processes stop (none waits forever in
    a collective) with the same status and keep epoch 1."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes",
           "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{_free_port()}",
           str(script), str(tmp_path)]
    done = _run(cmd)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = {r["rank"]: r for r in (json.loads(f.read_text())
                                      for f in sorted(tmp_path.glob("report_*.json")))}
    assert set(reports) == {0, 1}
    for r in reports.values():
        assert r["nan"][:2] == ["diverged", 1], r
        assert r["cancel"][:2] == ["cancelled", 1], r
    assert "in another process" in reports[0]["nan"][2]
    assert "in another process" not in reports[1]["nan"][2]
