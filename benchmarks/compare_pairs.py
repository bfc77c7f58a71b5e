"""The pairs `bench_compare.py` opens in the compare window, made once and kept.

- `bundled`: the bundled digits AE and VAE with their stored UMAP maps (1,797 points);
- `digits-nomap`: a digits pair fresh from `train-pair` (no stored maps);
- `mnist`: an AE and a VAE trained on the MNIST test set (10,000 points), maps stored
  with `latent-atlas project`;
- `mnist-nomap`: the same two networks without maps.

The MNIST pairs need ../shared/data/mnist beside the checkout (never copied into the
project); the files go to a cache folder outside the repository (`--work`).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT.parent / "shared" / "data" / "mnist"
KEYS = ("maps_ready_s", "aligned_s", "first_metric_s", "all_metrics_s", "compare_ready_s")


def default_work() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("latent-atlas", appauthor=False)) / "bench-pairs"


def _cli(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "latent_atlas.explorer.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    if proc.returncode != 0:
        raise RuntimeError(f"latent-atlas {' '.join(args[:2])} failed: {proc.stderr[-400:]}")
    return proc


def _train(work: Path, name: str, data: str, *extra: str) -> list[str]:
    files = [work / f"{name}_ae.safetensors", work / f"{name}_vae.safetensors"]
    if not all(f.exists() for f in files):
        work.mkdir(parents=True, exist_ok=True)
        print(f"(training the {name} pair once into {work})", flush=True)
        _cli("train-pair", "--data", data, "--out", str(work / name), "--quiet", *extra)
    return [str(f) for f in files]


def _mapped(files: list[str], work: Path, name: str) -> list[str]:
    out = []
    for f in files:
        target = work / f"{name}_{Path(f).stem.rsplit('_', 1)[1]}.safetensors"
        if not target.exists():
            print(f"(projecting {target.name} once)", flush=True)
            tmp = target.with_suffix(".tmp.safetensors")
            shutil.copy(f, tmp)
            _cli("project", str(tmp), "--quiet")
            os.replace(tmp, target)
        out.append(str(target))
    return out


def pairs(work: Path, mnist: bool = True) -> dict[str, list[str]]:
    """Name -> the two model files of every pair this machine can make."""
    from latent_atlas.explorer.core.bundled import default_model_paths

    found = {"bundled": default_model_paths()}
    found["digits-nomap"] = _train(work, "digits", "digits", "--epochs", "5",
                                   "--latent-dim", "8")
    if mnist and (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        plain = _train(work, "mnist", f"mnist:{MNIST}", "--epochs", "2", "--latent-dim", "16")
        found["mnist"] = _mapped(plain, work, "mnistmap")
        found["mnist-nomap"] = plain
    return {k: v for k, v in found.items() if len(v) == 2}


def window_run(files: list[str], shot: Path) -> dict[str, float]:
    """One `latent-atlas --compare FILES --screenshot` in a fresh process: its figures."""
    proc = _cli("--compare", *files, "--screenshot", str(shot), timeout=900)
    return {k: float(v) for k, v in re.findall(r"(\w+_s)=([\d.]+|nan)", proc.stdout)}


def window_figures(files: list[str], runs: int, shot: Path) -> dict[str, float]:
    """Median of `runs` fresh processes for each figure of KEYS."""
    got = [window_run(files, shot) for _ in range(runs)]
    return {k: statistics.median(g[k] for g in got) for k in KEYS if all(k in g for g in got)}


def faithfulness(files: list[str], n_max: int = 3000, seed: int = 0) -> dict[str, float]:
    """Trustworthiness (k = 10) of each model's map against its own codes, on at most
    `n_max` samples, and the relative alignment error, for three alignments: the stored
    maps with Procrustes (a similarity transform keeps trustworthiness exactly), the right
    map laid out again from the left one (`build_aligned_map`), and both fitted together
    (`build_joint_maps`, what Map ▸ Fit both maps together runs; seconds `joint_s`)."""
    import time

    import numpy as np
    from sklearn.manifold import trustworthiness

    from latent_atlas.explorer.core.analysis.comparison.align import (
        align_maps,
        alignment_error,
        build_aligned_map,
        build_joint_maps,
    )
    from latent_atlas.explorer.core.latent.map import load_map
    from latent_atlas.explorer.core.progress import drain

    left, right = (load_map(f) for f in files)
    if left is None or right is None:
        return {}
    codes = np.asarray(right.codes, np.float32)
    left_codes = np.asarray(left.codes, np.float32)
    refined = drain(build_aligned_map(codes, left, seed=seed))
    procrustes = align_maps(right, left)
    start = time.perf_counter()
    joint_left, joint_right = drain(build_joint_maps(left_codes, codes, seed=seed))
    joint_s = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(codes), size=min(n_max, len(codes)), replace=False)

    def tw(pos, of=codes):
        return float(trustworthiness(of[idx], np.asarray(pos)[idx], n_neighbors=10))

    return {"trust_unaligned": tw(right.positions), "trust_procrustes": tw(procrustes.positions),
            "trust_refined": tw(refined.positions), "trust_joint": tw(joint_right.positions),
            "trust_left_stored": tw(left.positions, left_codes),
            "trust_left_joint": tw(joint_left.positions, left_codes),
            "error_procrustes": alignment_error(procrustes.positions, left.positions),
            "error_refined": alignment_error(refined.positions, left.positions),
            "error_joint": alignment_error(joint_right.positions, joint_left.positions),
            "joint_s": joint_s}
