"""The conditional adversarial AE against the CVAE: is the condition obeyed, is identity kept?

    python benchmarks/bench_caae.py --data digits --epochs 30 --seeds 0,1,2 --models DIR
    python benchmarks/bench_caae.py --data "shapes:4000?label=scale" --latent-dim 10 \
        --epochs 10 --seeds 0,1,2 --models DIR

Trains a CVAE (Sohn et al. 2015) and a CAAE (Zhang et al. 2017) with the same data, seed,
architecture, latent size and epochs (a model already in DIR with these settings is
reused), then measures each with `progression_measure.measure_progression`: held-out
images encoded under their own label and decoded under every condition, read by
classifier judges trained on real images (the condition, and every other factor of data
with factor columns; one set of judges for every model, trained on the split of seed 0),
and how much of the label its codes carry (a logistic regression on 10 % of the codes).
Prints the per-seed table, the mean ± sd over seeds per kind as
markdown, and key=value lines. Run with OMP_NUM_THREADS=1 on the shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from latent_atlas.explorer.core.analysis.applications.progression_measure import (  # noqa: E402
    ProgressionMeasure,
    format_progression_table,
    measure_progression,
)
from latent_atlas.explorer.core.data import load_data  # noqa: E402
from latent_atlas.explorer.core.progress import drain  # noqa: E402
from latent_atlas.explorer.core.training import make_config  # noqa: E402
from latent_atlas.models.checkpoint import load_model, save_model  # noqa: E402
from latent_atlas.models.networks import build_model  # noqa: E402
from latent_atlas.models.trainer import run_training  # noqa: E402

KINDS = ("cvae", "caae")


def model_for(kind: str, data, seed: int, args, folder: Path) -> tuple[object, float]:
    """The trained model (reused from `folder` when its settings match) and training seconds."""
    cfg = make_config(data, kind=kind, arch="conv", latent_dim=args.latent_dim,
                      epochs=args.epochs, seed=seed)
    safe = data.spec.replace(":", "_").replace("?", "_").replace("&", "_").replace("=", "-")
    path = folder / f"{safe}_{kind}_seed{seed}_e{args.epochs}.safetensors"
    if path.exists():
        loaded = load_model(path)
        if loaded.config.to_dict() == cfg.to_dict():
            return loaded.model, 0.0
    t0 = time.perf_counter()
    result = run_training(build_model(cfg), data.images, labels=data.labels)
    if result.status != "completed":
        raise SystemExit(f"{kind} seed {seed}: {result.message}")
    seconds = time.perf_counter() - t0
    save_model(path, result.model, data_spec=data.spec, label_names=data.label_names,
               history=result.history)
    return result.model, seconds


def label_in_code(model, data, seed: int) -> float:
    """How much of the condition the code itself carries: held-out accuracy of a logistic
    regression reading the label off codes encoded under their own label, trained on a
    random 10 % (mean of 5 draws). A code free of its condition reads at chance."""
    from sklearn.linear_model import LogisticRegression

    from latent_atlas.explorer.core.inference import encode

    z = encode(model, data.images, labels=data.labels)
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(5):
        idx = rng.permutation(len(z))
        cut = max(len(z) // 10, 20)
        clf = LogisticRegression(max_iter=2000).fit(z[idx[:cut]], data.labels[idx[:cut]])
        accs.append(clf.score(z[idx[cut:]], data.labels[idx[cut:]]))
    return float(np.mean(accs))


def summary(results: list[ProgressionMeasure], probes: dict) -> str:
    """Mean ± sd over seeds of each column, one row per kind."""
    names = [j.name for j in results[0].identity]
    head = ["model", "seeds", "recon MSE", "condition obeyed", "mean condition error"] + \
        [f"{f} kept" for f in names] + ["label read off the code"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in KINDS:
        rs = [r for r in results if r.kind == kind]
        if not rs:
            continue

        def ms(values, fmt):
            v = np.asarray(values, dtype=np.float64)
            sd = v.std(ddof=1) if len(v) > 1 else 0.0
            return f"{v.mean():{fmt}} ± {sd:{fmt}}"

        cells = [kind, str(len(rs)), ms([r.recon_mse for r in rs], ".4f"),
                 ms([r.condition.hit["fraction"] for r in rs], ".1%"),
                 ms([r.condition.mean_error for r in rs], ".2f")]
        cells += [ms([r.identity[i].hit["fraction"] for r in rs], ".1%")
                  for i in range(len(names))]
        cells.append(ms([probes[(kind, r.seed)] for r in rs], ".1%"))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="digits")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--limit", type=int, default=300, help="held-out sources per model")
    p.add_argument("--models", default="runs/caae", help="where models are saved and reused")
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    folder = Path(args.models)
    folder.mkdir(parents=True, exist_ok=True)
    data = load_data(args.data)
    print(f"data={data.spec}")
    print(f"images={len(data)}")
    print(f"epochs={args.epochs}")
    print(f"latent_dim={args.latent_dim}")
    print(f"load_average_1min={os.getloadavg()[0]:.2f}")
    results: list[ProgressionMeasure] = []
    probes: dict[tuple[str, int], float] = {}
    for seed in seeds:
        for kind in KINDS:
            model, seconds = model_for(kind, data, seed, args, folder)
            t0 = time.perf_counter()
            r = drain(measure_progression(model, data, limit=args.limit, seed=seed,
                                          judge_seed=0))
            results.append(r)
            probes[(kind, seed)] = label_in_code(model, data, seed)
            print(f"{kind}_seed{seed}_label_in_code={probes[(kind, seed)]:.4f}")
            print(f"{kind}_seed{seed}_train_s={seconds:.1f}")
            print(f"{kind}_seed{seed}_measure_s={time.perf_counter() - t0:.1f}")
            print(f"{kind}_seed{seed}_condition={r.condition.hit['fraction']:.4f}")
            for j in r.identity:
                print(f"{kind}_seed{seed}_{j.name}_kept={j.hit['fraction']:.4f}")
    print(f"load_average_1min_end={os.getloadavg()[0]:.2f}")
    print()
    print(format_progression_table(results))
    print()
    print(summary(results, probes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
