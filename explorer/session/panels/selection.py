"""The selection panel's model: what each shown session's selected samples hold (count,
label histogram, decoded mean code, medoid, mean reconstruction error), one column per
shown session (latent_atlas.explorer.session.selection_summary computes it)."""

from __future__ import annotations

from ..selection_summary import SelectionSummary, summarize
from .base import PanelModel


class SelectionModel(PanelModel):
    """One `SelectionSummary` per shown session, kept up to date."""

    FOLLOW = ("selection_set_changed", "data_changed", "decoder_changed", "map_changed")

    def __init__(self, shown, jobs) -> None:
        self.columns: list[SelectionSummary] = []
        super().__init__(shown, jobs)

    def update(self) -> None:
        self.columns = [summarize(s) for s in self.sessions]
        self.changed.emit()
