"""Data and projection at scale (issue 12): shapes:1,000,000, encoding, UMAP on a subsample.

Measures in one run, on this machine's CPU:

- loading `shapes:N` (default a million 32 x 32 images): seconds and resident memory,
- encoding speed of bundled-like conv and mlp VAEs (latent 8) on `--rate-n` images,
  extrapolated to N (the output says so); then the `--arch` model, trained briefly on
  shapes so its codes have structure, encodes `--encode-n` images (all N with
  `--encode-all`, needed for the map of N),
- the map of all codes: UMAP fitted on a seeded subsample (50,000) and the rest placed
  by k-NN (`build_map`), with its reported trustworthiness of placed and fitted points,
- the inverse: Delaunay on the fitted subsample (what the map builds) against the full
  triangulation of every point (`--full-tri`),
- at 100,000 codes: subsample + placement against a full UMAP fit of all 100,000,
  trustworthiness of both maps on the same sample of placed points.

The last line holds every figure as key=value pairs.

    NUMBA_CACHE_DIR=/tmp/numba python benchmarks/bench_projection_scale.py [--n 1000000]
        [--encode-all] [--encode-n 100000] [--epochs 1] [--arch conv|mlp] [--rate-n 20000]
        [--full-tri] [--skip-full-fit]
        [--skip-map]
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


def trained_model(images: np.ndarray, epochs: int, arch: str = "conv"):
    from latent_atlas.models.config import ModelConfig, default_hidden
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.progress import drain
    from latent_atlas.models.trainer import train

    shape = tuple(images.shape[1:])
    cfg = ModelConfig(kind="vae", arch=arch, input_shape=shape, latent_dim=8,
                      hidden=default_hidden(arch, shape), epochs=epochs, seed=0)
    model = build_model(cfg)
    if epochs:
        result = drain(train(model, images, device="cpu"))
        model = result.model
    return model.cpu().eval()


def pca_codes(images: np.ndarray, d: int, block: int = 65536) -> np.ndarray:
    """Top-d principal components of the pixels (fitted on 20,000 images), in blocks."""
    flat = images.reshape(len(images), -1)
    fit = flat[:20_000].astype(np.float32) / 255
    mean = fit.mean(axis=0)
    _, _, vt = np.linalg.svd(fit - mean, full_matrices=False)
    comps = vt[:d].T.astype(np.float32)
    out = np.empty((len(images), d), dtype=np.float32)
    for start in range(0, len(images), block):
        out[start:start + block] = (flat[start:start + block].astype(np.float32) / 255
                                    - mean) @ comps
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--encode-n", type=int, default=100_000)
    p.add_argument("--encode-all", action="store_true")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--arch", default="conv", choices=["conv", "mlp"],
                   help="the model whose codes are mapped")
    p.add_argument("--codes", default="vae", choices=["vae", "pca"],
                   help="codes to map: the --arch VAE's, or a linear PCA encoder's (fast)")
    p.add_argument("--rate-n", type=int, default=20_000,
                   help="images encoded to time each architecture")
    p.add_argument("--train-n", type=int, default=20_000)
    p.add_argument("--subsample", type=int, default=50_000)
    p.add_argument("--full-tri", action="store_true")
    p.add_argument("--skip-full-fit", action="store_true")
    p.add_argument("--skip-map", action="store_true", help="no map of all encoded codes")
    args = p.parse_args()

    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.latent.inverse import TriangulationInverse
    from latent_atlas.explorer.core.latent.map import FIT_INDEX, build_map
    from latent_atlas.explorer.core.latent.placement import trustworthiness_sample
    from latent_atlas.explorer.core.latent.umap_runtime import configure_numba_cache, cuml_available
    from latent_atlas.explorer.core.progress import drain

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
    import torch

    note("torch_threads", torch.get_num_threads())
    for arch in ("conv", "mlp"):  # encoding speed (weights do not change it)
        probe = trained_model(data.images[:10], 0, arch)
        n_rate = min(args.rate_n, len(data))
        _, wall, cpu = timed(lambda p=probe, k=n_rate: encode(p, data.images[:k]))
        note(f"encode_rate_{arch}", round(n_rate / wall), f"images/s over {n_rate:,}; cpu "
             f"{cpu:.1f} s")
        note(f"encode_s_{tag}_{arch}_est", round(len(data) * wall / n_rate, 1),
             f"EXTRAPOLATED from {n_rate:,} images")
    n_enc = len(data) if args.encode_all else min(args.encode_n, len(data))
    if args.codes == "pca":
        # A linear encoder (the top 8 principal components of the pixels): the map's cost
        # depends on N and the code size, not on which encoder made the codes.
        codes, wall, cpu = timed(lambda: pca_codes(data.images[:n_enc], 8))
        note(f"pca_codes_s_{n_enc // 1000}k", round(wall, 1),
             f"codes from a linear (PCA) encoder, not the VAE; cpu {cpu:.1f} s")
    else:
        model, wall, _ = timed(lambda: trained_model(data.images[:args.train_n], args.epochs,
                                                     args.arch))
        note("train_s", round(wall, 1), f"{args.arch}: {args.epochs} epoch(s) on "
             f"{args.train_n:,} shapes")
        codes, wall, cpu = timed(lambda: encode(model, data.images[:n_enc]))
        rate = n_enc / wall
        note(f"encode_s_{n_enc // 1000}k_{args.arch}", round(wall, 1),
             f"measured, {rate:,.0f} images/s, cpu {cpu:.1f} s")
    note("rss_gb_after_encode", round(rss_gb(), 3))

    # --- the map of every encoded code ------------------------------------------------
    if n_enc > args.subsample and not args.skip_map:
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
        k100 = f"{n100 // 1000}k"
        c100 = codes[:n100]
        sub, wall_sub, _ = timed(lambda: drain(build_map(c100, "umap",
                                                         subsample=args.subsample)))
        full, wall_full, _ = timed(lambda: drain(build_map(c100, "umap", subsample=None)))
        placed = np.setdiff1d(np.arange(n100), sub.extra[FIT_INDEX])
        pick = np.random.default_rng(0).choice(placed, min(5000, len(placed)), replace=False)
        t_sub = trustworthiness_sample(c100, sub.positions, pick)
        t_full = trustworthiness_sample(c100, full.positions, pick)
        note(f"map_s_sub_{k100}", round(wall_sub, 1))
        note(f"map_s_full_{k100}", round(wall_full, 1))
        note(f"trust_sub_{k100}", round(t_sub, 4), "placed points, map = subsample + placement")
        note(f"trust_full_{k100}", round(t_full, 4), "the same points on a full UMAP fit")
        note(f"trust_ratio_{k100}", round(t_sub / t_full, 4))

    print(" ".join(f"{k}={v}" for k, v in FIGURES.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
