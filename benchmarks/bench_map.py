"""The latent map's speed: the click path against umap's own inverse, and UMAP fit times.

On one model and its data (the MNIST test set from ../shared/data/mnist when present,
else scikit-learn's digits), this measures in one run:

- encoding the data (and 60,000 images, by repeating the set),
- the click path: `LatentMap.inverse` + decode + conversion to a displayable uint8 image,
  p50 / p99 over 1,000 random map points; the inverse alone for batches of 64; `place`,
- `umap.inverse_transform` for a few points on the same fitted UMAP,
- UMAP fits: in this process (warm when the numba cache is filled) and in a fresh
  process (10,000 codes; optionally 60,000),
- reopening the stored map in a fresh process (no torch, no umap).

Last line: `click_p99_ms=A umap_inverse_ms=B speedup=B/A`.

    python benchmarks/bench_map.py [--model FILE] [--epochs 1] [--clicks 1000] [--fresh-60k]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


def load_images() -> tuple[np.ndarray, str]:
    """MNIST test set (via the app's data source, else the IDX file directly), else digits."""
    if (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        try:
            from latent_atlas.explorer.core.data import load_data

            data = load_data(f"mnist:{MNIST_DIR}")
            return data.images, data.spec
        except Exception as exc:  # the source may be missing or different: read IDX ourselves
            print(f"# mnist source unavailable ({exc}); reading the IDX file directly")
            raw = gzip.decompress((MNIST_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
            n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
            imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, h, w).copy()
            return imgs, f"idx:{MNIST_DIR}"
    from latent_atlas.explorer.core.data import load_data

    data = load_data("digits")
    return data.images, data.spec


def get_model(args, images: np.ndarray, spec: str):
    if args.model:
        from latent_atlas.models.checkpoint import load_model

        return load_model(args.model).model
    from latent_atlas.models.config import ModelConfig, default_hidden
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    shape = tuple(images.shape[1:])
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=shape, latent_dim=16,
                      hidden=default_hidden("conv", shape), epochs=args.epochs)
    t = time.perf_counter()
    result = run_training(build_model(cfg), images, device="cpu")
    print(f"# trained a conv VAE (latent 16) on {spec} for {args.epochs} epoch(s) in "
          f"{time.perf_counter() - t:.1f} s")
    return result.model


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1e3, q))


def fresh_fit(codes: np.ndarray, label: str) -> dict:
    """Fit a UMAP map in a new Python process; returns its timings."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codes.npy"
        np.save(path, codes)
        script = (
            "import json, sys, time\n"
            "t0 = time.perf_counter()\n"
            "import numpy as np\n"
            "from latent_atlas.explorer.core.latent.map import build_map\n"
            "from latent_atlas.explorer.core.progress import drain\n"
            f"codes = np.load({str(path)!r})\n"
            "t1 = time.perf_counter()\n"
            "m = drain(build_map(codes, 'umap'))\n"
            "t2 = time.perf_counter()\n"
            "print(json.dumps({'fit_s': t2 - t1, 'total_s': t2 - t0, 'n': len(codes)}))\n"
        )
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             cwd=ROOT, timeout=900)
        wall = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"fresh fit failed: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_s"] = wall
    print(f"umap_fresh_fit_{label}: fit {res['fit_s']:.2f} s, process total {res['wall_s']:.2f} s "
          f"(interpreter + imports + fit) for {res['n']} codes")
    return res


def fresh_load(model, latent_map) -> None:
    """Store the map with the model, then time `load_map` in a fresh process."""
    from latent_atlas.explorer.core.latent.map import save_map
    from latent_atlas.models.checkpoint import save_model

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.safetensors"
        save_model(path, model)
        save_map(path, latent_map)
        script = (
            "import sys, time\n"
            "t = time.perf_counter()\n"
            "from latent_atlas.explorer.core.latent.map import load_map\n"
            f"m = load_map({str(path)!r})\n"
            "t1 = time.perf_counter()\n"
            "m.prepare(); m.inverse((0.0, 0.0))\n"
            "t2 = time.perf_counter()\n"
            "heavy = sorted({k.split('.')[0] for k in sys.modules} & {'torch', 'umap', 'numba'})\n"
            "print(f'{t1 - t:.3f} {t2 - t1:.3f} {\",\".join(heavy) or \"none\"}')\n"
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             cwd=ROOT, timeout=300)
        size = path.stat().st_size
    load_s, prep_s, heavy = out.stdout.split()
    print(f"map_reload_s={load_s} (file {size / 1e6:.1f} MB; then inverse ready in {prep_s} s; "
          f"heavy modules imported: {heavy})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model file to use (default: train a small conv VAE)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs for the default model")
    ap.add_argument("--clicks", type=int, default=1000)
    ap.add_argument("--umap-points", type=int, default=3, help="points for umap.inverse_transform")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh-process fit")
    ap.add_argument("--fresh-60k", action="store_true", help="also fit 60,000 codes fresh")
    args = ap.parse_args()

    import torch

    from latent_atlas.explorer.core.inference import Decoder, encode
    from latent_atlas.explorer.core.latent.inverse import TriangulationInverse
    from latent_atlas.explorer.core.latent.map import LatentMap
    from latent_atlas.explorer.core.latent.umap_projection import UMAPProjection
    from latent_atlas.explorer.core.progress import drain

    print(f"# torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f} (timings scale with what else runs)")
    images, spec = load_images()
    model = get_model(args, images, spec).eval()

    t = time.perf_counter()
    codes = encode(model, images)
    enc = time.perf_counter() - t
    big = np.concatenate([images] * max(1, -(-60000 // len(images))))[:60000]
    t = time.perf_counter()
    encode(model, big)
    enc60 = time.perf_counter() - t
    print(f"encode: {len(images)} images in {enc:.2f} s; 60000 images in {enc60:.2f} s "
          f"({60000 / enc60:.0f} img/s)")

    proj = UMAPProjection()
    t = time.perf_counter()
    drain(proj.fit_iter(codes))
    fit1 = time.perf_counter() - t
    t = time.perf_counter()
    drain(UMAPProjection().fit_iter(codes))
    fit2 = time.perf_counter() - t
    print(f"umap_fit_in_process: first {fit1:.2f} s, warm {fit2:.2f} s ({len(codes)} codes, "
          f"{codes.shape[1]}-D)")

    builds = []
    for _ in range(3):
        t = time.perf_counter()
        TriangulationInverse(proj.embedding_, codes)
        builds.append(time.perf_counter() - t)
    print(f"inverse_build_s={min(builds):.3f} (best of 3; median {np.median(builds):.3f})")

    m = LatentMap("umap", codes, proj.embedding_, params=proj.params()).prepare()
    dec = Decoder(model)
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = m.bounds()
    px, py = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    pts = np.c_[rng.uniform(x0 - px, x1 + px, args.clicks), rng.uniform(y0 - py, y1 + py,
                                                                          args.clicks)]
    for p in pts[:20]:  # warm-up: first calls allocate
        dec.decode(m.inverse(p))
    inv_t, click_t, click_cpu = [], [], []
    for p in pts:
        c = time.thread_time()
        t = time.perf_counter()
        z = m.inverse(p)
        t1 = time.perf_counter()
        img = dec.decode(z)
        t2 = time.perf_counter()
        click_cpu.append(time.thread_time() - c)
        inv_t.append(t1 - t)
        click_t.append(t2 - t)
    assert img.dtype == np.uint8
    batch_t = []
    for _ in range(200):
        q = pts[rng.integers(0, len(pts), 64)]
        t = time.perf_counter()
        m.inverse(q)
        batch_t.append(time.perf_counter() - t)
    place_t = []
    for i in range(1000):
        z = codes[i % len(codes)] + rng.normal(0, 0.1, codes.shape[1]).astype(np.float32)
        t = time.perf_counter()
        m.place(z)
        place_t.append(time.perf_counter() - t)
    print(f"inverse_single_ms p50={pct(inv_t, 50):.3f} p99={pct(inv_t, 99):.3f}")
    print(f"inverse_batch64_ms p50={pct(batch_t, 50):.3f} p99={pct(batch_t, 99):.3f}")
    print(f"place_ms p50={pct(place_t, 50):.3f} p99={pct(place_t, 99):.3f}")
    print(f"click_path_ms (inverse + decode + uint8) p50={pct(click_t, 50):.3f} "
          f"p99={pct(click_t, 99):.3f} over {len(pts)} points (thread CPU time p50="
          f"{pct(click_cpu, 50):.3f} p99={pct(click_cpu, 99):.3f})")
    rel = np.linalg.norm(m.inverse(m.positions) - codes, axis=1) / np.maximum(
        np.linalg.norm(codes, axis=1), 1e-12)
    print(f"inverse_max_rel_err_at_data={rel.max():.2e}")

    umap_t = []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in pts[:args.umap_points]:
            t = time.perf_counter()
            proj.umap_.inverse_transform(p[None].astype(np.float32))
            umap_t.append(time.perf_counter() - t)
    umap_ms = float(np.mean(umap_t) * 1e3)
    print(f"umap_inverse_transform_ms mean={umap_ms:.1f} over {len(umap_t)} single points")

    fresh_load(model, m)
    if not args.no_fresh:
        fresh_fit(codes[:10000], "10k")
    if args.fresh_60k:
        reps = -(-60000 // len(codes))
        big_codes = np.concatenate([codes + rng.normal(0, 0.05, codes.shape).astype(np.float32)
                                    for _ in range(reps)])[:60000]
        fresh_fit(big_codes, "60k")

    print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    click_p99 = pct(click_t, 99)
    print(f"click_p99_ms={click_p99:.3f} umap_inverse_ms={umap_ms:.1f} "
          f"speedup={umap_ms / click_p99:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
