"""Tools of the fuzz suite: small model files, header/metadata mutation, and running the
CLI in a child process with a timeout and a memory limit.

A hostile-input case passes when the command ends with exit code 2 and one readable line
on stderr (no traceback) well within `HANG_S`, under `MEMORY_LIMIT` bytes of address
space, and loses nothing.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The issue asks for an answer within 10 s; the tests only detect hangs, generously, so a
# loaded machine never fails them (`python tests/fuzz/campaign.py` measures the 10 s).
HANG_S = 90.0
MEMORY_LIMIT = 3 * 2**30


def _limit_memory() -> None:  # runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.strip().splitlines() if line.strip()]


def run_cli(args: Sequence[str], *, timeout: float = HANG_S, env: dict | None = None,
            stdin: str | None = None, cwd: Path = ROOT) -> Run:
    """`python -m latent_atlas.explorer.cli ARGS` with the worktree first on the path."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.setdefault("QT_QPA_PLATFORM", "offscreen")
    full_env.update(env or {})
    argv = [sys.executable, "-m", "latent_atlas.explorer.cli", *map(str, args)]
    out = subprocess.run(argv, capture_output=True, timeout=timeout, env=full_env, cwd=cwd,
                         preexec_fn=_limit_memory, input=None if stdin is None else stdin.encode())
    return Run([str(a) for a in args], out.returncode,
               out.stdout.decode("utf-8", "backslashreplace"),
               out.stderr.decode("utf-8", "backslashreplace"))


def assert_one_line_error(run: Run, *needles: str) -> None:
    """Exit code 2, one `latent-atlas: error: ...` line, each needle in it, no traceback."""
    detail = f"{run.args}: exit {run.returncode}\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr, detail
    assert run.returncode == 2, detail
    assert len(run.lines) == 1, detail
    line = run.lines[0]
    assert line.startswith("latent-atlas: error: "), detail
    for needle in needles:
        assert needle.lower() in line.lower(), f"{needle!r} not in: {line}"


# --- model files ---------------------------------------------------------------------

def make_model_file(path: Path, *, kind: str = "ae", arch: str = "mlp", latent_dim: int = 2,
                    hidden: tuple[int, ...] = (16,), with_map: bool = True,
                    epochs_trained: int = 1, input_shape: tuple[int, int, int] = (1, 8, 8),
                    data_spec: str = "digits", **options) -> Path:
    """A valid, tiny model file for 8 x 8 digits, with its map (made in milliseconds)."""
    import numpy as np

    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    cfg = ModelConfig(kind=kind, arch=arch, input_shape=input_shape, latent_dim=latent_dim,
                      hidden=hidden, **options)
    model = build_model(cfg)
    latent_map = None
    labels = None
    if with_map:
        from latent_atlas.explorer.core.data import load_data
        from latent_atlas.explorer.core.inference import encode
        from latent_atlas.explorer.core.latent.map import quick_map

        data = load_data("digits?limit=64")
        labels = data.labels
        latent_map = quick_map(encode(model, data.images,
                                      labels=labels if cfg.is_conditional else None))
    history = [{"epoch": i + 1, "train": {"recon": 1.0, "total": 1.0}, "val": None,
                "seconds": 0.1} for i in range(epochs_trained)]
    save_explorable(path, model, latent_map=latent_map, data_spec=data_spec,
                    label_names=[str(i) for i in range(10)], history=history,
                    labels=None if labels is None else np.asarray(labels))
    return path


def read_parts(path: Path) -> tuple[dict, bytes]:
    """(JSON header, tensor bytes) of a safetensors file."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_parts(path: Path, header: dict | str | bytes, data: bytes) -> Path:
    raw = header if isinstance(header, bytes) else (
        header if isinstance(header, str) else json.dumps(header)).encode("utf-8")
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def mutate(src: Path, dst: Path, edit_header: Callable[[dict], object] | None = None,
           edit_meta: Callable[[dict], object] | None = None) -> Path:
    """Copy `src` to `dst` with its header `h` and metadata document `m` edited in place.

    An edit may return a replacement (e.g. `lambda m: []`); None keeps the edited object.
    """
    header, data = read_parts(src)
    if edit_meta is not None:
        meta = json.loads(header["__metadata__"]["latent_atlas"])
        new = edit_meta(meta)
        header["__metadata__"]["latent_atlas"] = json.dumps(meta if new is None else new)
    if edit_header is not None:
        new = edit_header(header)
        header = header if new is None else new
    return write_parts(dst, header, data)


def set_config(**values) -> Callable[[dict], None]:
    def edit(m: dict) -> None:
        m["config"].update(values)

    return edit


def run_many(argvs: Sequence[Sequence[object]], *, timeout: float = HANG_S) -> list[Run]:
    """Each command line in its own child, forked from one warm runner (see forkrun.py)."""
    jobs = [{"argv": [str(a) for a in argv], "timeout": timeout, "memory": MEMORY_LIMIT}
            for argv in argvs]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("forkrun.py"))],
                         input=json.dumps(jobs), capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60 + timeout * len(jobs))
    if out.returncode != 0:
        raise RuntimeError(f"the fork runner failed: {out.stderr[-3000:]}")
    runs = []
    for job, res in zip(jobs, json.loads(out.stdout), strict=True):
        stderr = res["stderr"] + (f"\n[killed after {res['seconds']:.1f} s: hung]"
                                  if res["timed_out"] else "")
        run = Run(job["argv"], res["returncode"], res["stdout"], stderr)
        run.seconds = res["seconds"]
        runs.append(run)
    return runs
