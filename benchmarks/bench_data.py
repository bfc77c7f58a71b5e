"""Data loading speed and memory: the MNIST test set, a 60,000-image set, and shapes.

    python benchmarks/bench_data.py [MNIST_DIR]

Targets (issue 3): MNIST test set < 1 s, shapes 20,000 <= 2 s, 60,000 28x28 images
< 100 MB in memory. Times are the best of a few runs after a first (cold) one.
"""

from __future__ import annotations

import gzip
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latent_atlas.explorer.core.data import load_data  # noqa: E402


def timed(spec: str, repeat: int = 3):
    """(cold seconds, best warm seconds, the set) for loading `spec`."""
    start = time.perf_counter()
    data = load_data(spec)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        load_data(spec)
        warm.append(time.perf_counter() - start)
    return cold, min(warm), data


def peak_mb(spec: str) -> float:
    """Peak Python-visible allocation (numpy included) while loading `spec`, in MB."""
    tracemalloc.start()
    load_data(spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    mnist = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "mnist"
    if (mnist / "t10k-images-idx3-ubyte.gz").exists():
        cold, warm, data = timed(f"mnist:{mnist}")
        print(f"MNIST test set ({len(data):,} x {data.shape}): cold {cold:.3f} s, "
              f"warm {warm:.3f} s; images {data.images.nbytes / 2**20:.1f} MB, "
              f"load peak {peak_mb(f'mnist:{mnist}'):.1f} MB")
        # A 60,000-image train split made by repeating the test set six times.
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("images-idx3", "labels-idx1"):
                raw = gzip.decompress((mnist / f"t10k-{kind}-ubyte.gz").read_bytes())
                head = 16 if kind.startswith("images") else 8
                header = bytearray(raw[:head])
                header[4:8] = (60000).to_bytes(4, "big")
                body = raw[head:] * 6
                (Path(tmp) / f"train-{kind}-ubyte.gz").write_bytes(
                    gzip.compress(bytes(header) + body, 1))
            spec = f"mnist:{tmp}?split=train"
            cold, warm, big = timed(spec, repeat=1)
            print(f"60,000-image train split: {warm:.3f} s; images "
                  f"{big.images.nbytes / 2**20:.1f} MB (+ labels {big.labels.nbytes / 2**20:.1f} MB), "
                  f"load peak {peak_mb(spec):.1f} MB")
            del big
    else:
        print(f"MNIST test set not found in {mnist}; skipping the MNIST figures")
    for spec in ("shapes", "shapes?size=64"):
        cold, warm, data = timed(spec)
        print(f"{spec} ({len(data):,} x {data.shape}): cold {cold:.3f} s, warm {warm:.3f} s; "
              f"{data.nbytes / 2**20:.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
