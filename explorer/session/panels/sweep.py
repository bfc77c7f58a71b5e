"""The β sweep dialog's model, Qt-free: runs `latent_atlas.explorer.session.sweep.sweep_task` as a job
with progress and Cancel, and turns its SweepResult into what the dialog draws (the
rate–distortion points, the gap series with their intervals and β labels, the table and
the footer), all from `latent_atlas.explorer.core.analysis.comparison.sweep`."""

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
         "the plain autoencoder.")


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
        self.status = f"Training {len(req.betas)} models on {req.data_spec}…"
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
        self.figure = sweep_figure(result)
        self.fraction = 1.0
        self.status = result.message
        self.changed.emit()

    def save_plot(self, path: str | Path) -> None:
        """Write the sweep's figure (the same PNG as `latent-atlas sweep --out`)."""
        from latent_atlas.explorer.core.analysis.comparison.sweep_plot import save_sweep_plot

        if self.result is None:
            raise ValueError("run the sweep first")
        save_sweep_plot(self.result, path)
