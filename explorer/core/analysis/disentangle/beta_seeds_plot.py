"""The β × seed sweep as a PNG (matplotlib Agg, no Qt): one panel per measure against β,
each seed a dot and the mean over seeds a line with its ±1 standard deviation band."""

from __future__ import annotations

import os
from typing import Any

from .beta_seeds import EXTRA, BetaSeedResult
from .measure import METRICS

PANELS = ["recon_mse", "kl", *METRICS, "n_active", "mi"]


def render_beta_seeds_png(result: BetaSeedResult, *, dpi: int = 100) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 7.2), dpi=dpi, layout="constrained")
    axes = fig.subplots(2, 5).ravel()
    # β = 0 sits on a symlog axis so that 0, 1, 4, 8, 16 are evenly readable.
    for ax, key in zip(axes, PANELS, strict=False):
        _panel(ax, result, key)
    for ax in axes[len(PANELS):]:
        ax.set_visible(False)
    fig.suptitle(f"β against seed on {result.data_spec}: {result.arch}, latent "
                 f"{result.latent_dim}, {result.epochs_text(short=True)}, seeds "
                 f"{', '.join(map(str, result.seeds))} (dots: seeds; line and band: mean ± sd)",
                 fontsize=11)
    from latent_atlas.explorer.core.io.plots import figure_png

    return figure_png(fig)


def _panel(ax: Any, result: BetaSeedResult, key: str) -> None:
    betas = [b for b in result.betas if result.summary(key, b)["n"] > 0]
    label = EXTRA.get(key) or METRICS[key]
    if not betas:
        ax.text(0.5, 0.5, f"{label}: not for these models", ha="center", va="center",
                transform=ax.transAxes, color="gray", fontsize=8)
        ax.set_axis_off()
        return
    s = [result.summary(key, b) for b in betas]
    mean = [v["mean"] for v in s]
    sd = [v["sd"] for v in s]
    ax.fill_between(betas, [m - e for m, e in zip(mean, sd, strict=True)],
                    [m + e for m, e in zip(mean, sd, strict=True)], color="#4e79a7", alpha=0.2,
                    lw=0)
    ax.plot(betas, mean, "-", color="#4e79a7", lw=1.5)
    for b in betas:
        v = result.column(key, b)
        ax.plot([b] * len(v), v, "o", color="#f28e2b", ms=4, alpha=0.85)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xticks(list(result.betas), labels=[f"{b:g}" for b in result.betas])
    ax.set_xlabel("β (0 = AE)", fontsize=8)
    ax.set_title(label, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def save_beta_seeds_plot(result: BetaSeedResult, path: str | os.PathLike, **kw: Any) -> None:
    from latent_atlas.explorer.core.io.plots import save_png

    save_png(path, render_beta_seeds_png(result, **kw))
