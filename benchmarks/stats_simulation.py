"""Do the paired tests of the compare metrics behave? A simulation with known answers.

    python benchmarks/stats_simulation.py                  # 300 repetitions per scenario
    python benchmarks/stats_simulation.py --reps 100 --boot 500

Two simulated "models" decode to real digits and to noise in set proportions, and are
measured exactly as `compare` measures two models (latent_atlas.explorer.core.analysis.comparison.paired):

- the **real images** are the scikit-learn digits; 1,200 of them are the training images a
  decode is compared with (nearest-real RMS distance, `gaps.RealImageIndex`), the other
  597 are the population the held-out images come from;
- a **decode** is either one of those 597 real images (a good decode) or a noise image
  (a real image plus Gaussian noise of a random strength, up to 0.5, so only part of the
  noise decodes are holes); a model's *noise share* sets how often;
- each repetition draws 180 held-out images (as many as the digits' split) that set the
  `pixel_real` bar (95th percentile of their nearest-real distance), and two rows:
  **prior samples** (1,000 units, one decode each; the two models' decodes of unit k share
  their source image half of the time, as a shared seed pairs them) and **pairs** (300
  units of three decodes; a "hard" pair decodes to noise at all three steps more often,
  so the decodes of a unit are correlated as along a real pair);
- the **true** hole rate of a model is its rate at the population bar (the 95th percentile
  over all 597), computed exactly from the pools; the true difference is the difference
  of the two.

It reports, over the repetitions, how often the 95 % paired-bootstrap interval covers the
true difference, and how often `differs` (Holm over the two rows) fires when the two
models have the same noise share (false positives; aim: at most 5 %), and when they do
not (power). Printed as key=value lines.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latent_atlas.explorer.core.analysis.comparison.paired import (  # noqa: E402
    Bars,
    PairedRow,
    paired_differences,
)
from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex  # noqa: E402

N_HELD = 180
N_PRIOR = 1000
N_PAIRS = 300
STEPS = 3
HARD_NOISE = 0.8  # a hard pair's decodes are noise this often


def pools(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-real distances of the real population (597) and of 3,000 noise decodes."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    x = load_digits().images.astype(np.float64) / 16.0
    order = rng.permutation(len(x))
    train, pop = x[order[:1200]], x[order[1200:]]
    index = RealImageIndex((train[:, None] * 255).round().astype(np.uint8), max_images=None)
    real = index.nearest(pop[:, None])[0].astype(np.float64)
    src = pop[rng.integers(0, len(pop), 3000)]
    sigma = rng.uniform(0.0, 0.5, size=(3000, 1, 1))
    noisy = np.clip(src + rng.normal(size=src.shape) * sigma, 0, 1)
    noise = index.nearest(noisy[:, None])[0].astype(np.float64)
    return real, noise


def true_rate(real: np.ndarray, noise: np.ndarray, share: float) -> float:
    bar = np.percentile(real, 95.0)
    return float(share * (noise > bar).mean() + (1 - share) * (real > bar).mean())


def draw_prior(rng: np.random.Generator, real: np.ndarray, noise: np.ndarray, sa: float,
               sb: float) -> tuple[np.ndarray, np.ndarray]:
    u = rng.random(N_PRIOR)
    shared = rng.random(N_PRIOR) < 0.5
    u_b = np.where(shared, u, rng.random(N_PRIOR))
    ir, inz = rng.integers(0, len(real), N_PRIOR), rng.integers(0, len(noise), N_PRIOR)
    ir_b = np.where(shared, ir, rng.integers(0, len(real), N_PRIOR))
    in_b = np.where(shared, inz, rng.integers(0, len(noise), N_PRIOR))
    a = np.where(u < sa, noise[inz], real[ir])
    b = np.where(u_b < sb, noise[in_b], real[ir_b])
    return a[:, None], b[:, None]


def draw_pairs(rng: np.random.Generator, real: np.ndarray, noise: np.ndarray, sa: float,
               sb: float) -> tuple[np.ndarray, np.ndarray]:
    """Clustered decodes whose marginal noise share is sa (sb): a pair is hard with
    probability share / HARD_NOISE, and a hard pair's decodes are noise HARD_NOISE often."""
    hard_u = rng.random(N_PAIRS)

    def model(share: float) -> np.ndarray:
        hard = hard_u < share / HARD_NOISE
        is_noise = hard[:, None] & (rng.random((N_PAIRS, STEPS)) < HARD_NOISE)
        return np.where(is_noise, noise[rng.integers(0, len(noise), (N_PAIRS, STEPS))],
                        real[rng.integers(0, len(real), (N_PAIRS, STEPS))])

    return model(sa), model(sb)


def scenario(real: np.ndarray, noise: np.ndarray, sa: float, sb: float, reps: int,
             boot: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    truth = true_rate(real, noise, sa) - true_rate(real, noise, sb)
    covered = {"prior": 0, "pairs": 0}
    fired = {"prior": 0, "pairs": 0}
    family = 0
    width = {"prior": 0.0, "pairs": 0.0}
    for r in range(reps):
        held = rng.choice(len(real), N_HELD, replace=False)
        bars = Bars({"pixel_real": real[held]}, {"pixel_real": 95.0}, {"pixel_real": True})
        rows = [PairedRow("prior", "pixel_real", *draw_prior(rng, real, noise, sa, sb)),
                PairedRow("pairs", "pixel_real", *draw_pairs(rng, real, noise, sa, sb))]
        recs = paired_differences(rows, bars, n_boot=boot, seed=seed + r)
        for rec in recs:
            covered[rec["measure"]] += rec["low"] <= truth <= rec["high"]
            fired[rec["measure"]] += rec["verdict"] == "differs"
            width[rec["measure"]] += rec["high"] - rec["low"]
        family += any(rec["verdict"] == "differs" for rec in recs)
    out = {"true_difference": truth}
    for k in covered:
        out[f"coverage_{k}"] = covered[k] / reps
        out[f"differs_{k}"] = fired[k] / reps
        out[f"mean_width_{k}"] = width[k] / reps
    out["differs_any_row"] = family / reps
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    real, noise = pools(args.seed)
    print(f"real_hole_rate_at_population_bar={(real > np.percentile(real, 95)).mean():.4f}")
    print(f"noise_hole_rate_at_population_bar={(noise > np.percentile(real, 95)).mean():.4f}")
    print(f"reps={args.reps} boot={args.boot} held_out={N_HELD} prior_units={N_PRIOR} "
          f"pairs={N_PAIRS}x{STEPS}")
    for name, sa, sb in (("equal", 0.2, 0.2), ("unequal", 0.26, 0.2)):
        res = scenario(real, noise, sa, sb, args.reps, args.boot, args.seed + 1)
        print(f"scenario={name} noise_share_a={sa} noise_share_b={sb} "
              + " ".join(f"{k}={v:.4f}" for k, v in res.items()), flush=True)


if __name__ == "__main__":
    main()
