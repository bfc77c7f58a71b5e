"""The β sweep from the windows, as a plain generator (no Qt): what the dialog asks, its
defaults from the active model, and the task a job runs: with one seed the rate–distortion
and gap sweep, with `seeds` the β × seed disentanglement sweep. The parsers and both runs
are `latent-atlas sweep`'s own (`explorer.session.commands.sweep`), so the dialog and the
command train and measure with the same calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from latent_atlas.explorer.core.analysis.comparison.sweep import check_betas
from latent_atlas.explorer.core.progress import check_cancel
from latent_atlas.models.config import Arch, ModelConfig

from .commands import sweep as work
from .loading import Stage

DEFAULT_BETAS = (0.0, 0.25, 1.0, 4.0)


@dataclass(frozen=True)
class SweepRequest:
    """Everything the sweep dialog collects."""

    data_spec: str = "digits"
    betas: tuple[float, ...] = DEFAULT_BETAS
    arch: Arch = "conv"
    latent_dim: int = 8
    epochs: int = 10
    seed: int = 0
    n_prior: int = 2000
    device: str = "auto"
    # Given (even one): every β trained with each seed and measured for disentanglement,
    # as `latent-atlas sweep --seeds`; `seed` and `n_prior` are then unused.
    seeds: tuple[int, ...] = ()
    measure_limit: int | None = None  # with seeds: measure on this many images

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas", check_betas(self.betas))
        if self.seeds:
            object.__setattr__(self, "seeds", work.parse_seeds(",".join(map(str, self.seeds))))
        if self.measure_limit is not None and self.measure_limit < 100:
            raise ValueError(f"measure on at least 100 images, not {self.measure_limit}")
        if not self.data_spec.strip():
            raise ValueError("name the data to train on, e.g. digits")
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"the architecture must be mlp or conv, not {self.arch!r}")
        if min(self.latent_dim, self.epochs, self.n_prior) < 1 or self.seed < 0:
            raise ValueError("latent size, epochs and samples must be >= 1 and the seed >= 0")

    parse_betas = staticmethod(work.parse_betas)

    @staticmethod
    def parse_seeds(text: str) -> tuple[int, ...]:
        """'' -> () (the one-seed sweep); '0,1,2' -> (0, 1, 2); ValueError otherwise."""
        return work.parse_seeds(text) if text.strip() else ()


def sweep_defaults(config: ModelConfig | None, data_spec: str = "") -> SweepRequest:
    """The dialog's first values: the active model's data, architecture, latent size and
    epochs when there is one, else a small digits sweep."""
    if config is None:
        return SweepRequest(data_spec=data_spec or "digits")
    arch: Arch = "mlp" if config.arch == "mlp" else "conv"
    return SweepRequest(data_spec=data_spec or "digits", arch=arch,
                        latent_dim=config.latent_dim, epochs=config.epochs, seed=config.seed)


def sweep_task(req: SweepRequest, cancel: Any):
    """Load the data, then train and measure the sweep (yields progress, returns the
    SweepResult)."""
    yield Stage("stage", f"loading data '{req.data_spec}'…")
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    data = load_data(req.data_spec)
    check_cancel(cancel, "sweep")
    cfg = make_config(data, kind="vae", arch=req.arch, latent_dim=req.latent_dim,
                      epochs=req.epochs, seed=req.seeds[0] if req.seeds else req.seed)
    if req.seeds:
        if not data.factors:
            raise ValueError(f"{data.spec} has no factor columns; a sweep over seeds measures "
                             "disentanglement, which needs data with known factors, such as "
                             "shapes (or leave the seeds empty)")
        return (yield from work.seed_sweep(cfg, data, req.betas, req.seeds, device=req.device,
                                           cancel=cancel, measure_limit=req.measure_limit))
    return (yield from work.sweep(cfg, data, req.betas, seed=req.seed, samples=req.n_prior,
                                  device=req.device, cancel=cancel))
