"""Gap heatmap and compare-metrics speed, against a per-point loop in the same run.

The gap grid inverts the whole grid at once, decodes in batches and finds nearest real
images with a blocked matrix product. The baseline does the obvious thing per grid
point (inverse one point, decode one image, nearest image by broadcasting) on a subset
and is extrapolated to the full grid. Goal: a 64 x 64 grid on digits in under 2 s.

    python benchmarks/bench_compare.py [--resolution 64] [--no-mnist] [--runs 3]
        [--window-only | --no-window] [--faithfulness]

The compare window (issue 24) is timed in fresh processes (`latent-atlas --compare
--screenshot`, median of `--runs`) on the pairs of `compare_pairs.py`: the bundled digits
pair (stored maps), a digits pair without maps, and a 10,000-point MNIST pair with and
without stored maps. Each prints `compare.<pair>.<figure>=seconds` for maps_ready_s (both
maps drawn, clicks decode), aligned_s, first_metric_s, all_metrics_s and
compare_ready_s. `--faithfulness` prints what aligning costs: both maps' trustworthiness
and the alignment error as stored (= after Procrustes), with the right map laid out again
from the left one, and with both fitted together (AlignedUMAP), with that fit's seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings, compare_models  # noqa: E402
from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex, gap_grid, grid_points  # noqa: E402
from latent_atlas.explorer.core.data import load_data  # noqa: E402
from latent_atlas.explorer.core.inference import Decoder, encode  # noqa: E402
from latent_atlas.explorer.core.latent.map import load_map, quick_map  # noqa: E402
from latent_atlas.explorer.core.progress import drain  # noqa: E402

BUNDLED = ROOT / "resources" / "models"
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def _loop_baseline(decoder, latent_map, index, rect, resolution, n_points=256) -> float:
    """Seconds for the full grid, extrapolated from a per-point loop over n_points."""
    pts = grid_points(rect, resolution)[:n_points]
    t0 = time.perf_counter()
    for p in pts:
        img = decoder.decode_float(latent_map.inverse(p)[None]).reshape(-1)
        d2 = ((index.data - img[None]) ** 2).mean(axis=1)
        float(np.sqrt(d2.min()))
    return (time.perf_counter() - t0) * len(grid_points(rect, resolution)) / len(pts)


def _time_grid(name, decoder, latent_map, index, resolution) -> float:
    rect = latent_map.bounds()
    t0 = time.perf_counter()
    grid = gap_grid(decoder, latent_map, index, rect, resolution)
    cold = time.perf_counter() - t0  # includes building the map's triangulation
    t0 = time.perf_counter()
    gap_grid(decoder, latent_map, index, rect, resolution)
    warm = time.perf_counter() - t0
    base = _loop_baseline(decoder, latent_map, index, rect, resolution)
    print(f"{name}: {resolution}x{resolution} gap grid cold {cold:.3f} s, warm {warm:.3f} s; "
          f"per-point loop ~{base:.2f} s ({base / warm:.0f}x slower); "
          f"scores {grid.scores.min():.3f}..{grid.scores.max():.3f}")
    return warm


def _digits_models():
    from latent_atlas.models.checkpoint import load_model

    files = [BUNDLED / "digits_ae.safetensors", BUNDLED / "digits_vae.safetensors"]
    if all(f.exists() for f in files):
        return [(f.stem, load_model(f).model, load_map(f)) for f in files]
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    print("(bundled models missing: timing untrained models of the same size)")
    return [(k, build_model(ModelConfig(kind=k, input_shape=(1, 8, 8), latent_dim=8)), None)
            for k in ("ae", "vae")]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--no-mnist", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--window-only", action="store_true", help="only the compare window")
    ap.add_argument("--no-window", action="store_true", help="skip the compare window")
    ap.add_argument("--faithfulness", action="store_true")
    ap.add_argument("--pairs", default="", help="comma-separated pair names (default all)")
    args = ap.parse_args()
    if not args.window_only:
        grid_and_metrics(args)
    if not args.no_window or args.faithfulness:
        window(args)
    return 0


def window(args) -> None:
    import tempfile

    from compare_pairs import default_work, faithfulness, pairs, window_figures

    found = pairs(default_work(), mnist=not args.no_mnist)
    wanted = [p for p in args.pairs.split(",") if p] or list(found)
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            if name not in found:
                print(f"(pair {name} not available here)")
                continue
            if not args.no_window:
                figures = window_figures(found[name], args.runs, Path(tmp) / "shot.png")
                for key, value in figures.items():
                    print(f"compare.{name}.{key}={value:.3f}", flush=True)
            if args.faithfulness and not name.endswith("nomap"):
                for key, value in faithfulness(found[name]).items():
                    print(f"align.{name}.{key}={value:.3f}", flush=True)


def grid_and_metrics(args) -> None:

    data = load_data("digits")
    index = RealImageIndex(data.images)
    worst = 0.0
    models = _digits_models()
    for name, model, stored in models:
        m = stored or quick_map(encode(model, data.images))
        worst = max(worst, _time_grid(f"digits {name} ({m.method} map)", Decoder(model), m,
                                      index, args.resolution))
    t0 = time.perf_counter()
    drain(compare_models({n: mdl for n, mdl, _ in models}, data, MetricSettings()))
    print(f"digits compare metrics (both models, default settings): "
          f"{time.perf_counter() - t0:.2f} s")

    if not args.no_mnist and (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        from latent_atlas.models.config import ModelConfig
        from latent_atlas.models.networks import build_model

        mnist = load_data(f"mnist:{MNIST}")
        model = build_model(ModelConfig(kind="vae", input_shape=mnist.shape, latent_dim=16,
                                        hidden=(32, 64, 128)))
        m = quick_map(encode(model, mnist.images))
        _time_grid(f"mnist ({len(mnist)} references, untrained conv VAE)", Decoder(model), m,
                   RealImageIndex(mnist.images), args.resolution)
    print(f"gap_grid_digits_seconds={worst:.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
