"""`compare`: models measured on the same data, AE against VAE
(latent_atlas.explorer.core.analysis.comparison), with each model's per-latent
diagnostics (core.analysis.disentangle.per_model) under the table."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any


def size_limits() -> dict[str, int]:
    """The most prior samples, interpolated pairs and between-code pairs one comparison
    measures."""
    from latent_atlas.explorer.core.analysis.comparison.results import MAX_PAIRS, MAX_PRIOR

    return {"samples": MAX_PRIOR, "pairs": MAX_PAIRS, "between": MAX_PAIRS}


def compare(models: dict[str, Any], data: Any, seeds: list[int], *, samples: int = 2000,
            pairs: int = 100, between: int = 300, classifier: bool = True,
            probe_labels: tuple[float, ...] = ()) -> Generator[Any, None, Any]:
    """The metrics of `models` (table name -> model) on `data`, repeated with each sampling
    seed: a generator of progress (the table so far) that returns the CompareResult."""
    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings
    from latent_atlas.explorer.core.analysis.comparison.seeds import compare_over_seeds

    settings = MetricSettings(seed=seeds[0], n_prior=samples, n_pairs=pairs,
                              n_between=between, classifier=classifier,
                              probe_labels=probe_labels)
    return compare_over_seeds(models, data, settings, seeds)


def per_latent(models: dict[str, Any], data: Any, seed: int = 0
               ) -> Generator[Any, None, dict[str, dict[str, Any]]]:
    """Each model's per-latent diagnostics (and disentanglement, when the data has factor
    columns): a generator of progress that returns them by table name."""
    from latent_atlas.explorer.core.analysis.disentangle.per_model import latents_iter

    return latents_iter(models, data, seed=seed)


def compare_text(result: Any, names: list[str], markdown: bool = False) -> str:
    """The comparison table, then (after a blank line) the per-latent rows when
    `result.latents` holds any."""
    from latent_atlas.explorer.core.analysis.comparison.table import format_table
    from latent_atlas.explorer.core.analysis.disentangle.per_model import format_latent_rows

    text = format_table(result, markdown=markdown)
    extra = format_latent_rows(result.latents, names)
    return text + "\n\n" + extra if extra else text
