"""Training time per epoch of every autoencoder kind, relative to the plain AE.

Same data (the MNIST test set from ../shared/data/mnist when present, else digits x5),
same conv backbone, latent size and batch size; one epoch each with the app's trainer.
Prints seconds per epoch and the ratio to `ae`; last line `family_time_ratios=...`.

    python benchmarks/bench_family.py [--epochs 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_train import load_images  # noqa: E402

from latent_atlas.models.config import ModelConfig  # noqa: E402
from latent_atlas.models.networks import build_model  # noqa: E402
from latent_atlas.models.trainer import run_training  # noqa: E402

VARIANTS = [
    ("ae", {}), ("vae", {}), ("beta-vae", {"beta": 4.0}),
    ("dae", {"noise": "masking", "noise_level": 0.4}), ("sae", {}), ("cae", {}),
    ("cvae", {"n_classes": 10}), ("aae", {}),
    ("stacked (mlp ae)", {"kind": "ae", "arch": "mlp", "hidden": (256, 64), "pretrain_epochs": 1}),
    ("mlp ae", {"kind": "ae", "arch": "mlp", "hidden": (256, 64)}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    images, name = load_images()
    labels = None
    mnist_labels = ROOT.parent / "shared" / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    if name == "mnist-test":
        import gzip

        import numpy as np

        labels = np.frombuffer(gzip.decompress(mnist_labels.read_bytes()), np.uint8, offset=8)
    else:
        import numpy as np
        from sklearn.datasets import load_digits

        labels = np.concatenate([load_digits().target] * 5)
    c, h, w = images.shape[1:]
    print(f"data={name} n={len(images)} epochs={args.epochs}")
    # Warm-up so the first variant does not pay for first-call allocations and kernels.
    run_training(build_model(ModelConfig(kind="ae", arch="conv", input_shape=(c, h, w),
                                         latent_dim=16, hidden=(32, 64), epochs=1)), images[:1024])
    times = {}
    for label, extra in VARIANTS:
        kw = dict(kind=label, arch="conv", input_shape=(c, h, w), latent_dim=16, hidden=(32, 64),
                  batch_size=128, epochs=args.epochs, seed=0)
        kw.update(extra)
        model = build_model(ModelConfig(**kw))
        t = time.perf_counter()
        result = run_training(model, images, labels=labels)
        seconds = (time.perf_counter() - t) / args.epochs
        assert result.status == "completed", result.message
        times[label] = seconds
        print(f"{label:18s} {seconds:6.2f} s/epoch  x{seconds / times['ae']:.2f} of ae  "
              f"val total {result.history[-1]['val']['total']:.1f}")
    print("family_time_ratios=" + ",".join(f"{k}:{v / times['ae']:.2f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
