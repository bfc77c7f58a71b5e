"""Time the disentanglement metrics on 20,000 codes against the shapes factors.

    python benchmarks/bench_disentangle.py [N]

Target (issue 23): every metric with its interval, on 20,000 codes x 10 dimensions, in
under 30 s on the 2-core development machine. The codes are the factors themselves
(standardised) mixed by a random rotation plus noise: a mid-range case, neither perfectly
disentangled nor pure noise, so the trees grow as they would on a trained model's codes.
Prints key=value lines (seconds per metric, the total and the values measured), plus the
load average, since the machine is shared.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from explorer.core.analysis.disentangle import DisentangleSettings, factor_table  # noqa: E402
from explorer.core.analysis.disentangle.dci import dci  # noqa: E402
from explorer.core.analysis.disentangle.factorvae import factorvae_score  # noqa: E402
from explorer.core.analysis.disentangle.measure import disentanglement, split_rows  # noqa: E402
from explorer.core.analysis.disentangle.mig import mig, sap  # noqa: E402
from explorer.core.data.shapes import sample_factors  # noqa: E402

TARGET_S = 30.0


def codes_for(n: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    factors = sample_factors(n, seed)
    v = np.stack([np.asarray(c, dtype=np.float64) for c in factors.values()], axis=1)
    v = (v - v.mean(axis=0)) / v.std(axis=0)
    rng = np.random.default_rng(seed + 1)
    z = np.concatenate([v, rng.normal(size=(n, 5))], axis=1)
    q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    mix = 0.7 * np.eye(10) + 0.3 * q  # partly rotated
    return z @ mix + 0.3 * rng.normal(size=z.shape), factors


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    z, factors = codes_for(n)
    s = DisentangleSettings()
    table = factor_table(factors)
    print(f"n_codes={n}")
    print(f"latent_dim={z.shape[1]}")
    print(f"load_average_1min={os.getloadavg()[0]:.2f}")
    parts = {}
    start = time.perf_counter()
    mig(z, table, n_boot=s.n_boot)
    parts["mig"] = time.perf_counter() - start
    tr, te = split_rows(n, s.dci_train, s.dci_test, s.seed)
    start = time.perf_counter()
    dci(z, table, tr, te, n_boot=s.dci_boot)
    parts["dci"] = time.perf_counter() - start
    tr, te = split_rows(n, s.sap_train, s.sap_test, s.seed + 1)
    start = time.perf_counter()
    sap(z, table, tr, te, n_boot=s.n_boot)
    parts["sap"] = time.perf_counter() - start
    start = time.perf_counter()
    factorvae_score(z, table, n_boot=s.n_boot)
    parts["factorvae"] = time.perf_counter() - start
    for k, v in parts.items():
        print(f"{k}_s={v:.2f}")
    start = time.perf_counter()
    result = disentanglement(z, factors, s)  # everything, as the sweep and compare call it
    total = time.perf_counter() - start
    print(f"all_metrics_s={total:.2f}")
    for key in result.metrics:
        lo, hi = result.interval(key)
        print(f"{key}={result.value(key):.3f} {key}_low={lo:.3f} {key}_high={hi:.3f}")
    print(f"target_s={TARGET_S:g}")
    print(f"under_target={total < TARGET_S}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
