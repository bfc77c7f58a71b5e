"""`compare`: what its flags need (the bounds, the settings) and the text it prints, the
comparison table with each model's per-latent diagnostics (core.analysis.disentangle.per_model)
under it. The models are measured by `explorer.session.headless.compare_iter`, the function
the Python API's `compare` runs (latent_atlas.explorer.core.analysis.comparison)."""

from __future__ import annotations

from typing import Any


def size_limits() -> dict[str, int]:
    """The most prior samples, interpolated pairs and between-code pairs one comparison
    measures."""
    from latent_atlas.explorer.core.analysis.comparison.results import MAX_PAIRS, MAX_PRIOR

    return {"samples": MAX_PRIOR, "pairs": MAX_PAIRS, "between": MAX_PAIRS}


def settings(seeds: list[int], *, samples: int = 2000, pairs: int = 100, between: int = 300,
             classifier: bool = True, probe_labels: tuple[float, ...] = ()) -> Any:
    """The MetricSettings of a comparison sampled first with `seeds[0]`: `samples` prior
    samples, `pairs` interpolated and `between` between-code pairs, the classifier judge
    or pixel distance only, and the probe's labelled shares. The measuring is
    `explorer.session.headless.compare_iter`, as the Python API's."""
    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings

    return MetricSettings(seed=seeds[0], n_prior=samples, n_pairs=pairs, n_between=between,
                          classifier=classifier, probe_labels=probe_labels)


def compare_text(result: Any, names: list[str], markdown: bool = False) -> str:
    """The comparison table, then (after a blank line) the per-latent rows when
    `result.latents` holds any."""
    from latent_atlas.explorer.core.analysis.comparison.table import format_table
    from latent_atlas.explorer.core.analysis.disentangle.per_model import format_latent_rows

    text = format_table(result, markdown=markdown)
    extra = format_latent_rows(result.latents, names)
    return text + "\n\n" + extra if extra else text
