"""The compare window's own views, Qt-free: the metrics table of a `ComparePair` (its
rows, columns, cells and sentences, from `latent_atlas.explorer.core.analysis.comparison.table`), the
gap heatmap's judges and the hatched cells outside the data's hull."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psygnal import Signal

from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings
from latent_atlas.explorer.core.analysis.gaps.heatmap import (
    JUDGE_TITLES,
    JUDGES,
    outside_rectangles,
)

from ..jobs import Job
from ..pair import ComparePair

GAP_JUDGES = tuple((name, JUDGE_TITLES[name]) for name in JUDGES)
INTRO = ("Reconstruction, hole fraction under four samplers and two judges, gaps between "
         "codes, interpolation, path length and codes as features (docs/metrics.md).")


def metric_rows() -> list[str]:
    """The titles of the metric rows every table has (before the judged and probe rows)."""
    from latent_atlas.explorer.core.analysis.comparison.table import COLUMNS

    return [c[0] for c in COLUMNS]


def outside_cells(grid: Any) -> list[tuple[float, float, float, float]]:
    """The cells of a Heatmap outside the data's hull as (x, y, width, height) in map
    coordinates (what the canvas hatches)."""
    return outside_rectangles(np.asarray(grid.inside), grid.rect)


@dataclass
class MetricsTable:
    """The metrics of a pair as a table: row titles, column headers, one list of cells per
    column, the explanation (sentences written by core) and the note under it."""

    rows: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    columns: list[list[str]] = field(default_factory=list)
    explanation: str = ""
    note: str = INTRO


PENDING = "…"  # a cell still being measured
STREAMING = ("Measuring. The rows shown so far are final; cells marked … are still being "
             "measured (the classifier judge, the other samplers, the codes in between, "
             "interpolation, the probe, then the paired tests and these sentences).")


def _number(fmt: str, value: float, complete: bool) -> str:
    """A number of the table; … for one not measured yet in a streamed table."""
    if not complete and value != value:  # NaN: not measured yet
        return PENDING
    return fmt.format(value)


def metrics_table(result: Any) -> MetricsTable:
    """The table of a CompareResult (latent_atlas.explorer.core.analysis.comparison.metrics), or an empty one."""
    from latent_atlas.explorer.core.analysis.comparison.table import (
        COLUMNS,
        judged_rows,
        probe_rows,
    )

    if result is None:
        return MetricsTable(rows=[c[0] for c in COLUMNS])
    judged = probe_rows(result) + judged_rows(result)
    two = len(result.models) >= 2
    table = MetricsTable(
        rows=[c[0] for c in COLUMNS] + [title for title, _c, _s in judged],
        headers=[f"{m.name} ({m.kind.upper()})" for m in result.models]
        + (["differs"] if two else []),
        columns=[[_number(fmt, getattr(m, attr), result.complete) for _h, attr, fmt in COLUMNS]
                 + [cells[j] for _t, cells, _s in judged] for j, m in enumerate(result.models)],
        explanation=result.explanation if result.complete or result.explanation
        else STREAMING)
    tested = result.complete or bool(result.differences)  # only the per-latent rows to come
    if two:  # the paired tests run last: pending until they have run
        table.columns.append([""] * len(COLUMNS)
                             + [sig if tested else PENDING for _t, _c, sig in judged])
    from latent_atlas.explorer.core.analysis.disentangle.per_model import latent_rows

    for title, cells in latent_rows(result.latents, [m.name for m in result.models]):
        table.rows.append(title)
        for j, cell in enumerate(cells):
            table.columns[j].append(cell)
        if two:
            table.columns[-1].append("")
    accuracy = ("" if not result.classifier else
                f"; classifier judge {result.classifier['accuracy']:.1%} accurate on held-out "
                f"images, bar {result.classifier['threshold']:.3f}")
    table.note = (f"pixel judge: hole above {result.hole_threshold:.3f} (95th percentile of "
                  f"held-out reconstructions' nearest-real distance); real bar "
                  f"{result.real_threshold:.3f} (no model involved){accuracy}; "
                  f"{result.n_held_out} held-out images; [95 % intervals]. Lower is better "
                  "except smoothness ≈ 1 and probe accuracy (higher).")
    return table


class MetricsModel:
    """The metrics tab of the compare window: starts the pair's metrics job with its
    settings and turns the result into a `MetricsTable`."""

    changed = Signal()

    def __init__(self, settings: MetricSettings | None = None):
        self.settings = settings or MetricSettings()
        self.pair: ComparePair | None = None
        self.table = metrics_table(None)

    def set_pair(self, pair: ComparePair | None) -> None:
        if self.pair is not None:
            self.pair.metrics_changed.disconnect(self._on_metrics)
        self.pair = pair
        if pair is not None:
            pair.metrics_changed.connect(self._on_metrics)
        self._on_metrics()

    def compute(self) -> Job | None:
        """Measure both models in the background (None when nothing was started)."""
        return None if self.pair is None else self.pair.compute_metrics(self.settings)

    def _on_metrics(self) -> None:
        self.table = metrics_table(None if self.pair is None else self.pair.metrics)
        self.changed.emit()
