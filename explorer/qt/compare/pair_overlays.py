"""What the compare window draws over both maps: the gap heatmap (scored again for the
visible area when the view settles) with its legend, and the decoded manifold grid of a
2-D pair. The scores and grids come from the `ComparePair`; this binds them to the two
canvases and the tool bar's switches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

if TYPE_CHECKING:
    from latent_atlas.explorer.session.pair import ComparePair

# The compare window (typed loosely: naming its class here would make an import circle).
CompareWindow = Any

GAP_RESOLUTION = 64
GAP_DELAY_MS = 250  # wait for the view to settle before rescoring the visible area


class PairOverlays:
    """The heatmap and manifold grid of the compare window `w` (see module docstring)."""

    def __init__(self, w: CompareWindow) -> None:
        self.w = w
        self.manifold_framed = False
        # The heatmap's legend: which judge, what bright means, what the hatching means
        # (too long for the tool bar, where it would fall into the overflow menu).
        self.heat_note = QLabel("")
        self.heat_note.setWordWrap(True)
        self.heat_note.setStyleSheet("color: gray")
        self.heat_note.setVisible(False)
        self.gap_timer = QTimer(w)
        self.gap_timer.setSingleShot(True)
        self.gap_timer.setInterval(GAP_DELAY_MS)
        self.gap_timer.timeout.connect(self.compute_gaps)

    def bind(self, pair: ComparePair) -> None:
        """Follow a newly opened pair (called once per pair, after the canvases)."""
        self.manifold_framed = False
        for s in pair.sessions:
            s.decoder_changed.connect(self.refresh_manifold)
        pair.gaps_changed.connect(self.update_heat)
        pair.manifold_changed.connect(self.update_manifold)
        pair.alignment_changed.connect(self.refresh_manifold)
        pair.sessions[0].data_changed.connect(self.rescore)
        pair.alignment_changed.connect(self.rescore)
        self.update_heat()
        latent = pair.is_latent_pair()
        check = self.w.manifold_check
        check.setEnabled(latent)
        check.blockSignals(True)
        check.setChecked(latent)  # a 2-D pair opens with its textbook figure
        check.blockSignals(False)
        self.refresh_manifold()

    # ---- gap heatmap ------------------------------------------------------------------
    def set_heatmap(self, on: bool) -> None:
        if self.w.heat_check.isChecked() != on:
            self.w.heat_check.setChecked(on)  # re-enters through toggled
            return
        if on:
            self.compute_gaps()
        self.update_heat()

    def set_heat_judge(self, name: str) -> None:
        """Score the heatmap with another judge ("pixel" or "classifier")."""
        w = self.w
        if w.pair is None:
            return
        w.pair.set_gap_judge(name)
        index = w.judge_combo.findData(name)
        if index != w.judge_combo.currentIndex():
            w.judge_combo.setCurrentIndex(index)
        self.rescore()

    def rescore(self) -> None:
        """Score the visible area again now, if the heatmap is on."""
        if self.w.heat_check.isChecked():
            self.compute_gaps()

    def view_moved(self) -> None:
        """Score the visible area again once the view has settled, if the heatmap is on."""
        if self.w.heat_check.isChecked():
            self.gap_timer.start()

    def compute_gaps(self) -> None:
        """Score a 64 x 64 grid over the visible area for both models, in the background."""
        w = self.w
        if w.pair is None:
            return
        job = w.pair.compute_gaps(w.canvases[0].visible_rect(), GAP_RESOLUTION)
        if job is not None:
            job.progress.connect(w.show_progress)
            job.finished.connect(lambda: w.show_progress(None))

    def update_heat(self) -> None:
        w, pair = self.w, self.w.pair
        levels = None if pair is None else pair.gap_levels
        grids = [None, None] if pair is None else pair.gaps
        for canvas, grid in zip(w.canvases, grids, strict=True):
            canvas.set_heat(grid, levels, w.heat_check.isChecked())
        shown = [g for g in grids if g is not None]
        note = ""
        if levels is not None and shown:
            note = (f"Gap heatmap, {shown[0].judge} judge: dark = plausible … bright = "
                    f"≥ {levels[1]:.2f} {shown[0].unit}")
            if not all(g.all_inside for g in shown):
                note += ("; hatched = outside the data's hull (the map's inverse only "
                         "projects there: not scored, not in the colour scale)")
        self.heat_note.setText(note.strip())
        self.heat_note.setVisible(bool(note) and w.heat_check.isChecked())

    # ---- manifold grid (2-D latents) ----------------------------------------------------
    def set_manifold(self, on: bool) -> None:
        """Show or hide the decoded manifold grid behind the points (2-D pairs)."""
        if self.w.manifold_check.isChecked() != on:
            self.w.manifold_check.setChecked(on)  # re-enters through toggled
            return
        self.refresh_manifold()

    def refresh_manifold(self) -> None:
        pair = self.w.pair
        if pair is None:
            return
        if self.w.manifold_check.isChecked() and pair.is_latent_pair() and pair.ready():
            pair.decode_manifold()  # emits manifold_changed
        else:
            self.update_manifold()

    def update_manifold(self) -> None:
        w, pair = self.w, self.w.pair
        grids = pair.manifold if pair is not None else [None, None]
        on = w.manifold_check.isChecked()
        for canvas, grid in zip(w.canvases, grids, strict=True):
            canvas.set_manifold(grid, on)
        rect = pair.manifold_rect if pair is not None else None
        if on and rect is not None and not self.manifold_framed and grids[0] is not None:
            # Frame the whole figure once per pair (the VAE's square reaches past its codes).
            self.manifold_framed = True
            w.canvases[0].set_frame(rect)
