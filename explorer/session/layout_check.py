"""The layout-faithfulness part of a session: "neighbourhood kept" per point and the map's
trustworthiness (latent_atlas.explorer.core.analysis.faithfulness), measured in a background job
whenever the map changes, offered as a colouring once known and said in the status line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from latent_atlas.explorer.core.analysis.faithfulness import Faithfulness

    from .jobs import Job


AUTO_MAX_POINTS = 300_000  # larger maps are measured only when asked (minutes of k-NN)


class LayoutCheck:
    """Measures the session's map (see module docstring)."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.result: Faithfulness | None = None

    def start(self, *, force: bool = False) -> Job | None:
        s = self.host
        m = s.latent_map
        if m is None or s.n_points < 12 or (s.n_points > AUTO_MAX_POINTS and not force):
            return None
        from latent_atlas.explorer.core.analysis.faithfulness import faithfulness_iter

        self.result = None
        codes, positions = np.asarray(m.codes), np.asarray(m.positions)
        job = s.jobs.start("faithfulness", lambda _cancel: faithfulness_iter(codes, positions))
        job.succeeded.connect(self._on_done)
        job.start()
        return job

    def kept_for(self, n: int) -> np.ndarray | None:
        r = self.result
        return r.kept if r is not None and len(r.kept) == n else None

    def _on_done(self, result: Faithfulness) -> None:
        s = self.host
        if len(result.kept) != s.n_points:
            return
        self.result = result
        s.colours.invalidate()
        s.colours_changed.emit()
        s.data_changed.emit()  # the colour menu offers "Neighbourhood kept" now
        s.message.emit(f"{s.name}: {result.sentence()}")
