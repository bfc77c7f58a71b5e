"""The β sweep dialog's model, Qt-free: runs `latent_atlas.explorer.session.sweep.sweep_task` as a job
with progress and Cancel, and turns its SweepResult into what the dialog draws (the
rate–distortion points, the gap series with their intervals and β labels, the table and
the footer), all from `latent_atlas.explorer.core.analysis.comparison.sweep`. With seeds,
the result is the β × seed sweep of `latent-atlas sweep --seeds` and the dialog shows what
that command prints and plots: its table (mean ± sd over seeds), its verdicts and its
PNG (`beta_seed_figure`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psygnal import Signal

from latent_atlas.explorer.core.analysis.comparison.sweep import (
    beta_columns,
    beta_name,
    dodge_offsets,
    gap_series,
    rate_points,
    sweep_footer,
    sweep_table,
)

from ..errors import readable_error
from ..jobs import Job, Jobs
from ..sweep import SweepRequest, sweep_task

INTRO = ("Choose the βs and press Run. Each β trains one model with the same seed; β = 0 is "
         "the plain autoencoder. Give seeds (e.g. 0, 1, 2) to train every β with each and "
         "measure disentanglement against the seed spread (data with factors, e.g. shapes).")


@dataclass(frozen=True)
class GapSeries:
    """One gap measure against reconstruction error: x (dodged), y, interval, label."""

    label: str
    x: list[float]
    y: list[float]
    low: list[float]
    high: list[float]


@dataclass
class SweepFigure:
    """What the dialog draws: rate points (label, x, y), the models without a rate (label,
    x), the gap series, the β label over each column (label, x, top), and the table."""

    rate: list[tuple[str, float, float]] = field(default_factory=list)
    no_rate: list[tuple[str, float]] = field(default_factory=list)
    gaps: list[GapSeries] = field(default_factory=list)
    columns: list[tuple[str, float, float]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    footer: str = ""
    png: bytes = b""  # the β × seed sweep: the command's plot, shown as it is


def beta_seed_figure(result: Any) -> SweepFigure:
    """The β × seed sweep as the CLI gives it: its table, footer and verdicts, and its PNG."""
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
        beta_seed_table,
        format_beta_seed_table,
    )
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds_plot import (
        render_beta_seeds_png,
    )

    header, rows = beta_seed_table(result)
    text = format_beta_seed_table(result, markdown=True)
    footer = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    return SweepFigure(header=list(header), rows=[list(r) for r in rows], footer=footer,
                       png=render_beta_seeds_png(result))


def is_seed_sweep(result: Any) -> bool:
    return hasattr(result, "seeds") and hasattr(result, "summary")


def sweep_figure(result: Any) -> SweepFigure:
    fig = SweepFigure()
    fig.rate = [(beta_name(b), float(x), float(y)) for b, x, y in rate_points(result)]
    fig.no_rate = [(f"{beta_name(p.beta)}: no rate", float(p.recon_mse))
                   for p in result.points if p.kl is None]
    series = gap_series(result)
    offsets = dodge_offsets(result, len(series))
    fig.gaps = [GapSeries(s.label, [float(x) + offsets[i] for x in s.x],
                          [float(v) for v in s.y], [float(v) for v in s.low],
                          [float(v) for v in s.high]) for i, s in enumerate(series)]
    fig.columns = [(c.label, float(c.x), float(c.top)) for c in beta_columns(result)]
    header, rows = sweep_table(result)
    fig.header, fig.rows = list(header), [list(r) for r in rows]
    fig.footer = "\n".join(sweep_footer(result))
    return fig


class SweepModel:
    """Runs one sweep at a time on `jobs` and keeps its result."""

    changed = Signal()

    def __init__(self, jobs: Jobs, defaults: SweepRequest | None = None):
        self.jobs = jobs
        self.defaults = defaults or SweepRequest()
        self.job: Job | None = None
        self.result: Any = None
        self.figure: SweepFigure | None = None
        self.status = INTRO
        self.fraction = 0.0
        self.running = False  # a sweep runs (set back before its outcome is announced)

    def run(self, make_request: Any) -> None:
        """Start a sweep of `make_request()` (a SweepRequest; its ValueError is said)."""
        if self.running:
            return
        try:
            req = make_request()
        except ValueError as exc:
            return self._say(f"Cannot run: {readable_error(exc)}")
        job = self.jobs.start("sweep", lambda cancel: sweep_task(req, cancel))
        self.job = job
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_result)
        job.failed.connect(lambda msg: self._end(f"The sweep failed: {msg}"))
        job.cancelled.connect(lambda: self._end("Sweep cancelled; nothing was measured."))
        self.running = True
        self.fraction = 0.0
        n = len(req.betas) * max(1, len(req.seeds))
        self.status = f"Training {n} models on {req.data_spec}…"
        job.start()
        self.changed.emit()
        return None

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._say("Cancelling at the next batch…")

    def _say(self, text: str) -> None:
        self.status = text
        self.changed.emit()

    def _end(self, text: str) -> None:
        self.running = False
        self._say(text)

    def _on_progress(self, event: Any) -> None:
        if event.fraction is not None:
            self.fraction = float(event.fraction)
        if event.message:
            self.status = event.message
        self.changed.emit()

    def _on_result(self, result: Any) -> None:
        self.running = False
        self.result = result
        if is_seed_sweep(result):
            self.figure = beta_seed_figure(result)
            self.status = (f"Trained and measured {len(result.points)} models "
                           f"({len(result.betas)} β × {len(result.seeds)} seeds) in "
                           f"{result.train_seconds:.0f} s of training.")
        else:
            self.figure = sweep_figure(result)
            self.status = result.message
        self.fraction = 1.0
        self.changed.emit()

    def save_plot(self, path: str | Path) -> None:
        """Write the sweep's figure (the same PNG as `latent-atlas sweep --out`)."""
        from latent_atlas.explorer.core.analysis.comparison.sweep_plot import save_sweep_plot
        from latent_atlas.explorer.core.io.plots import save_png

        if self.result is None:
            raise ValueError("run the sweep first")
        if self.figure is not None and self.figure.png:
            save_png(path, self.figure.png)  # the β × seed plot, as drawn
        else:
            save_sweep_plot(self.result, path)
