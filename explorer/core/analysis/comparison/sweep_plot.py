"""The β sweep as a PNG (matplotlib, headless Agg backend; no Qt).

Two panels side by side: the rate–distortion curve (held-out KL against reconstruction
error, one point per VAE, labelled by β; the AE, which has no rate, is a dashed line at
its error) and the gap measures against reconstruction error (one series per measure,
95 % intervals as error bars, each model's column labelled by β on the top axis).
"""

from __future__ import annotations

import os
from typing import Any

from latent_atlas.explorer.core.analysis.comparison.sweep import (
    SweepResult,
    beta_columns,
    beta_name,
    dodge_offsets,
    gap_series,
    rate_points,
)

# Colour-blind-safe (Tableau 10), one per gap measure, in order.
COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948",
           "#9c755f")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def render_sweep_png(result: SweepResult, *, dpi: int = 110, judge: str = "pixel") -> bytes:
    """The sweep's figure as PNG bytes."""
    from matplotlib.figure import Figure  # a Figure without pyplot: no GUI backend, no state

    fig = Figure(figsize=(11.5, 4.6), dpi=dpi, layout="constrained")
    ax_rate, ax_gap = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.45]})
    from matplotlib.ticker import MaxNLocator

    _draw_rate(ax_rate, result)
    _draw_gaps(ax_gap, result, judge)
    for ax in (ax_rate, ax_gap):  # error values have many digits: few ticks stay legible
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    fig.suptitle(f"β sweep on {result.data_spec}: {result.arch}, latent {result.latent_dim}, "
                 f"{result.epochs} epochs, seed {result.seed}", fontsize=11)
    from latent_atlas.explorer.core.io.plots import figure_png

    return figure_png(fig)


def save_sweep_plot(result: SweepResult, path: str | os.PathLike, **kwargs: Any) -> None:
    """Write the sweep's figure to `path` (PNG) atomically."""
    from latent_atlas.explorer.core.io.plots import save_png

    save_png(path, render_sweep_png(result, **kwargs))


def _draw_rate(ax: Any, result: SweepResult) -> None:
    pts = rate_points(result)
    if pts:
        betas, x, y = zip(*pts, strict=True)
        ax.plot(x, y, "-o", color="#4e79a7", lw=1.2, ms=6, zorder=3)
        for b, xi, yi in pts:
            ax.annotate(beta_name(b), (xi, yi), textcoords="offset points", xytext=(6, 4),
                        fontsize=8)
    else:
        ax.text(0.5, 0.5, "no VAE in this sweep (β > 0)", ha="center", va="center",
                transform=ax.transAxes, color="gray")
    for p in result.points:
        if p.kl is None:
            ax.axvline(p.recon_mse, color="gray", ls="--", lw=1)
            ax.annotate(f"{beta_name(p.beta)}: no rate", (p.recon_mse, 0.5),
                        xycoords=("data", "axes fraction"), xytext=(-3, 0),
                        textcoords="offset points", fontsize=8, color="gray", rotation=90,
                        ha="right", va="center")
    ax.set_xlabel("distortion: held-out reconstruction MSE")
    ax.set_ylabel("rate: held-out KL (nats per image)")
    ax.set_ylim(bottom=0)
    ax.set_title("rate–distortion", fontsize=10)
    ax.grid(alpha=0.3)


def _draw_gaps(ax: Any, result: SweepResult, judge: str) -> None:
    series = gap_series(result, judge)
    offsets = dodge_offsets(result, len(series))
    for i, s in enumerate(series):
        x = [xi + offsets[i] for xi in s.x]
        y = [100 * v for v in s.y]
        err = [[100 * (v - lo) for v, lo in zip(s.y, s.low, strict=True)],
               [100 * (hi - v) for v, hi in zip(s.y, s.high, strict=True)]]
        ax.errorbar(x, y, yerr=err, fmt="-" + MARKERS[i % len(MARKERS)],
                    color=COLOURS[i % len(COLOURS)], lw=1.1, ms=5, capsize=3, label=s.label)
    if not series:
        ax.text(0.5, 0.5, "no gap measures", ha="center", va="center", transform=ax.transAxes)
    # Every measure of one model shares its x: label each model's column by β on top.
    top = ax.secondary_xaxis("top")
    columns = beta_columns(result)
    top.set_xticks([c.x for c in columns], labels=[c.label for c in columns], fontsize=8)
    for p in result.points:
        ax.axvline(p.recon_mse, color="gray", lw=0.6, alpha=0.35, zorder=0)
    ax.set_xlabel("held-out reconstruction MSE")
    ax.set_ylabel(f"gap fraction, % ({judge} judge, 95 % interval)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8, loc="best")
