"""The compare metrics repeated over sampling seeds: mean and spread beside the numbers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    MetricsProgress,
    compare_models,
)
from latent_atlas.explorer.core.analysis.comparison.table import COLUMNS
from latent_atlas.explorer.core.progress import relay


def compare_over_seeds(models: dict[str, Any], data: Any, settings: MetricSettings | None = None,
                       seeds: list[int] | None = None, *, cancel: Any = None
                       ) -> Generator[MetricsProgress, None, CompareResult]:
    """`compare_models` repeated with each sampling seed (the models stay the same).

    Returns the first seed's result; with several seeds every fraction also carries
    "per_seed" (one fraction per seed), "mean" and "sd" (sample standard deviation), and
    the scalar metrics' per-seed values sit in `extras["per_seed"]`.
    """
    from dataclasses import replace

    from latent_atlas.explorer.core.analysis.comparison.explain import explain

    settings = settings or MetricSettings()
    seeds = list(dict.fromkeys(int(s) for s in (seeds or [settings.seed])))
    if any(s < 0 for s in seeds):
        raise ValueError("seeds must be >= 0")
    results: list[CompareResult] = []
    for i, seed in enumerate(seeds):
        def shift(event: MetricsProgress, i: int = i, seed: int = seed) -> MetricsProgress:
            return MetricsProgress(event.stage, (i + (event.fraction or 0.0)) / len(seeds),
                                   f"seed {seed}: {event.message}")

        results.append((yield from relay(
            compare_models(models, data, replace(settings, seed=seed), cancel=cancel), shift)))
    first = results[0]
    if len(results) == 1:  # one seed: the plain result, no spread to report
        return first
    for j, m in enumerate(first.models):
        runs = [r.models[j] for r in results]
        for group in ("holes", "between"):
            for key, by_judge in getattr(m, group).items():
                for judge_name, cell in by_judge.items():
                    values = [getattr(r, group).get(key, {}).get(judge_name, {})
                              .get("fraction", float("nan")) for r in runs]
                    cell.update(_spread(values))
        for judge_name, cell in m.reconstruction.items():
            cell.update(_spread([r.reconstruction.get(judge_name, {}).get("fraction",
                                                                          float("nan"))
                                 for r in runs]))
        for key, by_clf in m.probe.items():
            for clf, cell in by_clf.items():
                cell.update(_spread([r.probe.get(key, {}).get(clf, {}).get(
                    "accuracy", float("nan")) for r in runs]))
        m.extras["per_seed"] = {attr: [getattr(r, attr) for r in runs] for _h, attr, _f in COLUMNS}
    first.seeds = seeds
    first.explanation = explain(first)
    return first


def _spread(values: list[float]) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64)
    return {"per_seed": [float(x) for x in v], "mean": float(np.nanmean(v)),
            "sd": float(np.nanstd(v, ddof=1)) if np.isfinite(v).sum() > 1 else 0.0}
