"""Data and projection at scale (issue 12): shapes:1,000,000, encoding, UMAP on a subsample.

Measures in one run, on this machine's CPU:

- loading `shapes:N` (default a million 32 x 32 images): seconds and resident memory,
- encoding with a bundled-like conv VAE (latent 8, trained briefly on shapes so its codes
  have structure): images per second on `--encode-n` images; all N are encoded when
  `--encode-all` is given (needed for the 1M map), else the 1M figure is extrapolated
  and the output says so,
- the map of all codes: UMAP fitted on a seeded subsample (50,000) and the rest placed
  by k-NN (`build_map`), with its reported trustworthiness of placed and fitted points,
- the inverse: Delaunay on the fitted subsample (what the map builds) against the full
  triangulation of every point (`--full-tri`),
- at 100,000 codes: subsample + placement against a full UMAP fit of all 100,000,
  trustworthiness of both maps on the same sample of placed points.

The last line holds every figure as key=value pairs.

    NUMBA_CACHE_DIR=/tmp/numba python benchmarks/bench_projection_scale.py [--n 1000000]
        [--encode-all] [--encode-n 100000] [--epochs 1] [--full-tri] [--skip-full-fit]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES: dict[str, object] = {}


def note(key: str, value: object, text: str = "") -> None:
    FIGURES[key] = value
    print(f"{key}={value}" + (f"  # {text}" if text else ""), flush=True)


def rss_gb() -> float:
    """Current resident memory of this process in GB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**30


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def trained_model(images: np.ndarray, epochs: int):
    from models.config import ModelConfig, default_hidden
    from models.networks import build_model
    from models.progress import drain
    from models.trainer import train

    shape = tuple(images.shape[1:])
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=shape, latent_dim=8,
                      hidden=default_hidden("conv", shape), epochs=epochs, seed=0)
    model = build_model(cfg)
    if epochs:
        result = drain(train(model, images, device="cpu"))
        model = result.model
    return model.cpu().eval()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--encode-n", type=int, default=100_000)
    p.add_argument("--encode-all", action="store_true")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-n", type=int, default=20_000)
    p.add_argument("--subsample", type=int, default=50_000)
    p.add_argument("--full-tri", action="store_true")
    p.add_argument("--skip-full-fit", action="store_true")
    args = p.parse_args()

    from explorer.core.data import load_data
    from explorer.core.inference import encode
    from explorer.core.latent.inverse import TriangulationInverse
    from explorer.core.latent.map import FIT_INDEX, build_map
    from explorer.core.latent.placement import trustworthiness_sample
    from explorer.core.latent.umap_projection import configure_numba_cache, cuml_available
    from explorer.core.progress import drain

    configure_numba_cache()
    tag = f"{args.n // 1000}k" if args.n < 1_000_000 else f"{args.n // 1_000_000}m"
    note("cuml_available", cuml_available())

    # --- data ----------------------------------------------------------------------
    base = rss_gb()
    data, wall, cpu = timed(lambda: load_data(f"shapes:{args.n}"))
    note(f"shapes_load_s_{tag}", round(wall, 2), f"cpu {cpu:.2f} s")
    note(f"shapes_load_cpu_s_{tag}", round(cpu, 2))
    note(f"shapes_rss_gb_{tag}", round(rss_gb() - base, 3),
         f"images {data.images.nbytes / 2**30:.3f} GB uint8; peak process {peak_gb():.2f} GB")

    # --- model and encoding ----------------------------------------------------------
    model, wall, _ = timed(lambda: trained_model(data.images[:args.train_n], args.epochs))
    note("train_s", round(wall, 1), f"{args.epochs} epoch(s) on {args.train_n:,} shapes")
    import torch

    note("torch_threads", torch.get_num_threads())
    n_enc = len(data) if args.encode_all else min(args.encode_n, len(data))
    codes, wall, _ = timed(lambda: encode(model, data.images[:n_enc]))
    rate = n_enc / wall
    note(f"encode_s_{n_enc // 1000}k", round(wall, 1), f"{rate:,.0f} images/s")
    if n_enc == len(data):
        note(f"encode_s_{tag}", round(wall, 1), "measured")
    else:
        note(f"encode_s_{tag}", round(len(data) / rate, 1),
             f"EXTRAPOLATED from {n_enc:,} images at {rate:,.0f}/s")
    note("rss_gb_after_encode", round(rss_gb(), 3))

    # --- the map of every encoded code ------------------------------------------------
    if n_enc > args.subsample:
        events: list = []
        m, wall, cpu = timed(lambda: drain(build_map(codes, "umap", subsample=args.subsample),
                                           events.append))
        n_tag = f"{n_enc // 1000}k" if n_enc < 1_000_000 else f"{n_enc // 1_000_000}m"
        note(f"map_s_{n_tag}", round(wall, 1),
             f"UMAP on {args.subsample:,} + placement of {n_enc - args.subsample:,}, inverse "
             f"built; cpu {cpu:.1f} s")
        note(f"umap_fit_s_{n_tag}", m.params.get("fit_seconds"))
        place = [e for e in events if e.stage == "place"]
        note(f"trust_placed_{n_tag}", m.params.get("trust_placed"))
        note(f"trust_fitted_{n_tag}", m.params.get("trust_fitted"))
        note("place_events", len(place))
        fit = m.extra[FIT_INDEX]
        _, wall, _ = timed(lambda: TriangulationInverse(m.positions[fit], m.codes[fit]))
        note("delaunay_subsample_s", round(wall, 2), f"{len(fit):,} points")
        if args.full_tri:
            _, wall, _ = timed(lambda: TriangulationInverse(m.positions, m.codes))
            note(f"delaunay_full_s_{n_tag}", round(wall, 2), f"{n_enc:,} points")
        note("peak_rss_gb", round(peak_gb(), 2))
        del m

    # --- 100k: subsample + placement against a full fit ----------------------------
    if not args.skip_full_fit:
        n100 = min(100_000, len(codes))
        c100 = codes[:n100]
        sub, wall_sub, _ = timed(lambda: drain(build_map(c100, "umap",
                                                         subsample=args.subsample)))
        full, wall_full, _ = timed(lambda: drain(build_map(c100, "umap", subsample=None)))
        placed = np.setdiff1d(np.arange(n100), sub.extra[FIT_INDEX])
        pick = np.random.default_rng(0).choice(placed, min(5000, len(placed)), replace=False)
        t_sub = trustworthiness_sample(c100, sub.positions, pick)
        t_full = trustworthiness_sample(c100, full.positions, pick)
        note("map_s_sub_100k", round(wall_sub, 1))
        note("map_s_full_100k", round(wall_full, 1))
        note("trust_sub_100k", round(t_sub, 4), "placed points, map = subsample + placement")
        note("trust_full_100k", round(t_full, 4), "the same points on a full UMAP fit")
        note("trust_ratio_100k", round(t_sub / t_full, 4))

    print(" ".join(f"{k}={v}" for k, v in FIGURES.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
