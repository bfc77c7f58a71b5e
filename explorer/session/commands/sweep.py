"""`sweep`: the AE/VAE family trained over β with one seed and measured for the
rate–distortion trade-off and the gaps (latent_atlas.explorer.core.analysis.comparison.sweep),
or with `--seeds` every β with every seed, measured for disentanglement
(core.analysis.disentangle.beta_seeds). The windows' sweep dialog (`explorer.session.sweep`)
parses and runs with these same functions."""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

from ..errors import CommandError


def parse_betas(text: str) -> tuple[float, ...]:
    """"0,0.25,1,4" -> the KL weights, each finite and >= 0, once each; ValueError
    otherwise."""
    from latent_atlas.explorer.core.analysis.comparison.sweep import parse_betas as parse

    return parse(text)


def parse_seeds(text: str) -> tuple[int, ...]:
    """"0,1,2" -> the training seeds of the β × seed sweep; ValueError otherwise."""
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import parse_seeds as parse

    return parse(text)


def largest_sample() -> int:
    """The most samples per sampler the hole fractions take."""
    from latent_atlas.explorer.core.analysis.comparison.results import MAX_PRIOR

    return MAX_PRIOR


def model_file_name(beta: float, kind: str) -> str:
    """Where `--save-models DIR` keeps the model of one β: beta_<β>_<kind>.safetensors."""
    return f"beta_{beta:g}_{kind}.safetensors"


def sweep(config: Any, data: Any, betas: tuple[float, ...], *, seed: int = 0,
          samples: int = 2000, device: str = "auto", cancel: Any = None
          ) -> Generator[Any, None, Any]:
    """Train one model per β like `config` (β = 0: the plain AE) and measure each with
    `samples` prior samples: yields progress, returns the SweepResult."""
    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings
    from latent_atlas.explorer.core.analysis.comparison.sweep import run_sweep

    settings = MetricSettings(seed=seed, n_prior=samples)
    return run_sweep(config, data, betas, settings=settings, device=device, cancel=cancel)


def seed_sweep(config: Any, data: Any, betas: tuple[float, ...], seeds: tuple[int, ...], *,
               models_dir: str | Path | None = None, device: str = "auto",
               cancel: Any = None, measure_limit: int | None = None,
               as_trained: bool = False) -> Generator[Any, None, Any]:
    """Every β with every seed, measured for disentanglement (reusing and saving models in
    `models_dir`, or with `as_trained` reusing them all at the epochs each has; `data` must
    have factor columns): yields progress, returns the BetaSeedResult. A model folder that
    cannot be used is a CommandError."""
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
        ModelDirError,
        run_beta_seeds,
    )

    try:
        return (yield from run_beta_seeds(config, data, betas, seeds, models_dir=models_dir,
                                          device=device, cancel=cancel,
                                          measure_limit=measure_limit,
                                          as_trained=as_trained))
    except ModelDirError as exc:
        raise CommandError(str(exc)) from None


def _over_seeds(result: Any) -> bool:
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import BetaSeedResult

    return isinstance(result, BetaSeedResult)


def save_plot(result: Any, out: str | os.PathLike) -> None:
    """The sweep's plot as a PNG: rate–distortion against the gaps (one seed), or the
    disentanglement metrics with the seed spread (`seed_sweep`)."""
    if _over_seeds(result):
        from latent_atlas.explorer.core.analysis.disentangle.beta_seeds_plot import (
            save_beta_seeds_plot,
        )

        save_beta_seeds_plot(result, out)
    else:
        from latent_atlas.explorer.core.analysis.comparison.sweep_plot import save_sweep_plot

        save_sweep_plot(result, out)


def table(result: Any, markdown: bool = False) -> str:
    """The sweep as a text (or markdown) table, one row per β."""
    if _over_seeds(result):
        from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
            format_beta_seed_table,
        )

        return format_beta_seed_table(result, markdown=markdown)
    from latent_atlas.explorer.core.analysis.comparison.sweep import format_sweep_table

    return format_sweep_table(result, markdown=markdown)


def save_models(result: Any, outs: Mapping[float, Path], data: Any) -> None:
    """Each β's trained model (of a one-seed sweep) to its file in `outs`, with the data's
    spec and label names and the model's history."""
    from latent_atlas.models.checkpoint import save_model

    for p in result.points:
        save_model(outs[p.beta], p.model, data_spec=data.spec, label_names=data.label_names,
                   history=p.history)
