"""Time the disentanglement metrics on 20,000 codes against the shapes factors.

    python benchmarks/bench_disentangle.py [N]

Target (issue 23): every metric with its interval, on 20,000 codes x 10 dimensions, in
under 30 s on the 2-core development machine. The codes are the factors themselves
(standardised) mixed by a random rotation plus noise: a mid-range case, neither perfectly
disentangled nor pure noise, so the trees grow as they would on a trained model's codes.
Prints key=value lines (wall and CPU seconds per metric, the total and the values
measured) and the load average: the machine is shared, and under a load of 20 on 2 cores
the wall time says more about the neighbours than about the code, the CPU time does not.
Run with OMP_NUM_THREADS=1 for the one-core figure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from latent_atlas.explorer.core.analysis.disentangle import DisentangleSettings, factor_table  # noqa: E402
from latent_atlas.explorer.core.analysis.disentangle.dci import dci  # noqa: E402
from latent_atlas.explorer.core.analysis.disentangle.factorvae import factorvae_score  # noqa: E402
from latent_atlas.explorer.core.analysis.disentangle.measure import disentanglement, split_rows  # noqa: E402
from latent_atlas.explorer.core.analysis.disentangle.mig import mig, sap  # noqa: E402
from latent_atlas.explorer.core.data.shapes import sample_factors  # noqa: E402

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
    tr, te = split_rows(n, s.dci_train, s.dci_test, s.seed)
    tr2, te2 = split_rows(n, s.sap_train, s.sap_test, s.seed + 1)
    parts = {"mig": lambda: mig(z, table, n_boot=s.n_boot),
             "dci": lambda: dci(z, table, tr, te, n_boot=s.dci_boot),
             "sap": lambda: sap(z, table, tr2, te2, n_boot=s.n_boot),
             "factorvae": lambda: factorvae_score(z, table, n_boot=s.n_boot)}
    for name, run in parts.items():
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        print(f"{name}_s={time.perf_counter() - wall:.2f} {name}_cpu_s="
              f"{time.process_time() - cpu:.2f}")
    wall, cpu = time.perf_counter(), time.process_time()
    result = disentanglement(z, factors, s)  # everything, as the sweep and compare call it
    total, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"all_metrics_s={total:.2f}")
    print(f"all_metrics_cpu_s={total_cpu:.2f}")
    print(f"load_average_1min_after={os.getloadavg()[0]:.2f}")
    for key in result.metrics:
        lo, hi = result.interval(key)
        print(f"{key}={result.value(key):.3f} {key}_low={lo:.3f} {key}_high={hi:.3f}")
    print(f"target_s={TARGET_S:g}")
    print(f"under_target_wall={total < TARGET_S}")
    print(f"under_target_cpu={total_cpu < TARGET_S}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
