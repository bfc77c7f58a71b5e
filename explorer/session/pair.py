"""An AE and a VAE side by side (no Qt): two linked sessions on one map frame, plus what
only a comparison has: gap heatmaps, prior samples, decoded grids and the metrics.

The right session's map is its own map aligned onto the left one's frame by Procrustes
over the shared samples, at once. Fitting both UMAP maps again together (`fit_maps_together`,
umap-learn's AlignedUMAP) puts each sample in nearly the same place in both; it is the
user's choice, not a default (issue 24): it costs seconds to minutes of a core that the
metrics want, and it moves both maps under a user who has started exploring. (It replaced
an automatic refit of the right map laid out from the left positions, which lowered the
alignment error by only 0.07 on the bundled pair and 0.01 on a 10,000-point MNIST pair.)
A file without a stored map is mapped by its session as in the main window, and aligned
when its map arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from latent_atlas.explorer.core.inference import one_torch_thread

from .dispatch import Dispatcher
from .jobs import Jobs
from .link import Link
from .session import Session

if TYPE_CHECKING:
    from latent_atlas.explorer.core.latent.map import MapLike

SIDE_TITLES = ("AE", "VAE")


class PairError(ValueError):
    """Two files that cannot be compared; the message says what differs."""


def check_pair(a: Session, b: Session) -> None:
    """Raise PairError unless `a` and `b` are models of the same images and data."""
    if a.input_shape != b.input_shape:
        raise PairError(f"{a.name} takes {_shape(a.input_shape)} images but {b.name} takes "
                        f"{_shape(b.input_shape)}; compare two models of the same data")
    if a.data_spec and b.data_spec and a.data_spec != b.data_spec:
        raise PairError(f"{a.name} was trained on '{a.data_spec}' but {b.name} on "
                        f"'{b.data_spec}'; compare two models of the same data")
    if a.latent_map is not None and b.latent_map is not None and a.n_points != b.n_points:
        raise PairError(f"the maps have {a.n_points} and {b.n_points} samples; compare two "
                        "models of the same data")


def _plain(s: Session) -> bool:
    """A non-variational model (the left side): from the model contract when it is built."""
    if s.model is not None:
        return not s.model.variational
    return s.kind == "ae"


def _shape(shape: tuple[int, int, int]) -> str:
    c, h, w = shape
    return f"{h}×{w}×{c}"


class ComparePair:
    """Two linked sessions, the plain AE on the left (see module docstring)."""

    alignment_changed = Signal()
    samples_changed = Signal()
    gaps_changed = Signal()
    grids_changed = Signal()
    manifold_changed = Signal()
    metrics_changed = Signal()
    message = Signal(str)

    def __init__(self, a: Session, b: Session, dispatcher: Dispatcher):
        check_pair(a, b)
        if _plain(b) and not _plain(a):  # the AE on the left
            a, b = b, a
        self.sessions = (a, b)
        self.jobs = Jobs(dispatcher)
        self.link = Link(a, b)
        self.right_base: Any = b.latent_map  # the right model's own map, before alignment
        self.samples: list[Any] = [None, None]  # PriorSamples per side
        self.gaps: list[Any] = [None, None]  # Heatmap per side
        self.gap_levels: tuple[float, float] | None = None
        self.gap_judge = "pixel"  # the heatmap's judge (latent_atlas.explorer.core.analysis.gaps.heatmap)
        self._judges: dict[str, Any] = {}  # judges built so far, kept until the data changes
        self.manifold: list[Any] = [None, None]  # ManifoldGrid per side (2-D latents)
        self.manifold_rect: tuple[float, float, float, float] | None = None
        self.manifold_n = 20
        self.metrics: Any = None
        self.grid_images: list[np.ndarray | None] = [None, None]
        self.grid_rect: tuple[float, float, float, float] | None = None
        self.grid_n = 10
        self._aligning = False
        a.map_changed.connect(self._on_left_map)
        b.map_changed.connect(self._on_right_map)
        a.data_changed.connect(self._on_data)
        self.align()

    @property
    def left(self) -> Session:
        return self.sessions[0]

    @property
    def right(self) -> Session:
        return self.sessions[1]

    @property
    def data(self) -> Any:
        return self.left.data

    @property
    def labels(self) -> np.ndarray | None:
        return self.left.map_labels()

    def ready(self) -> bool:
        return all(s.decoder is not None and s.latent_map is not None for s in self.sessions)

    def is_ready(self) -> bool:
        """Both models loaded with their images and maps: clicks decode, sample pictures
        show and the metrics can start. A map may still be on its way (`is_aligned`), and
        the reconstructions for the error colouring may still be made (seconds at 10,000
        images), meanwhile."""
        return (self.ready() and self.data is not None
                and all((s.data_matches_map() or not s.jobs.running("runtime"))
                        and not s.jobs.running("map") for s in self.sessions))

    def is_aligned(self) -> bool:
        """Both maps are final and aligned: no map is being fitted (a file without a
        stored map shows PCA first) and no joint fit of both maps is running."""
        return (all(s.latent_map is not None and not s.jobs.running("map")
                    for s in self.sessions) and not self.jobs.running("align"))

    # ---- loading & alignment --------------------------------------------------------------
    def start_loading(self) -> None:
        """Load both models (the maps are aligned already, or when a fitted one arrives)."""
        for s in self.sessions:
            s.start_loading()

    def can_fit_together(self) -> str | None:
        """None when `fit_maps_together` can run now, else why not (for the action's tip)."""
        left = self.left.latent_map
        if left is None or self.right_base is None:
            return "both maps must be there first"
        if left.method != "umap":
            return f"the AE map is a {left.method} map; fitting together is for UMAP maps"
        if left.n_points != self.right_base.n_points:
            return "the maps show different samples"
        if any(s.jobs.running("map") for s in self.sessions):
            return "a map is still being fitted"
        if self.jobs.running("align"):
            return "the maps are being fitted together already"
        return None

    def align(self) -> None:
        """Lay the right map onto the left one's frame (Procrustes over shared samples)."""
        from latent_atlas.explorer.core.analysis.comparison.align import align_maps

        left, base = self.left.latent_map, self.right_base
        if left is None or base is None or self._aligning:
            return
        if left.n_points != base.n_points:
            self.message.emit(f"the maps have {left.n_points} and {base.n_points} samples; "
                              "they are shown unaligned")
            return
        aligned = align_maps(base, left)
        self._set_right(aligned, f"{base.method} map, aligned")
        err = aligned.params.get("alignment_error")
        self.message.emit(f"maps aligned (Procrustes, relative error {err:.2f})")

    def _set_right(self, latent_map: MapLike, note: str) -> None:
        self._aligning = True
        try:
            self.right.set_map(latent_map, note, dirty=False)
        finally:
            self._aligning = False
        self._replace_samples()
        self.alignment_changed.emit()

    def _on_left_map(self) -> None:
        self.align()

    def _on_right_map(self) -> None:
        if self._aligning:
            return
        self.right_base = self.right.latent_map  # the session refined its own map
        self.align()

    def fit_maps_together(self):
        """Fit both UMAP maps again, together (AlignedUMAP, in a child process), so that
        every sample sits in nearly the same place in both; they replace the maps when
        they land (cursor, arrows and selection follow). Returns the job, or None with a
        message saying why it cannot run."""
        from latent_atlas.explorer.core.analysis.comparison.align import alignment_error

        from .compare_tasks import fit_jointly

        why = self.can_fit_together()
        if why is not None:
            self.message.emit(f"cannot fit the maps together: {why}")
            return None
        left_map = self.left.latent_map
        assert left_map is not None  # can_fit_together checked it
        left_codes = np.asarray(left_map.unaligned().codes)
        right_codes = np.asarray(self.right_base.codes)
        before = (self.right.latent_map.params.get("alignment_error")
                  if self.right.latent_map is not None else None)
        job = self.jobs.start("align", lambda cancel: fit_jointly(left_codes, right_codes,
                                                                  cancel))

        def done(maps: Any) -> None:
            left, right = maps
            err = alignment_error(right.positions, left.positions)
            self.right_base = right.base
            self._aligning = True  # the left map's change must not re-align the old right
            try:
                self.left.set_map(left, "umap map, fitted together with the VAE map",
                                  dirty=False)
            finally:
                self._aligning = False
            right.params["alignment_error"] = round(err, 6)
            self._set_right(right, "umap map, fitted together with the AE map")
            was = f" (before: {before:.2f})" if before is not None else ""
            self.message.emit(f"both maps fitted together: relative alignment error "
                              f"{err:.2f}{was}")

        job.succeeded.connect(done)
        job.failed.connect(lambda msg: self.message.emit(f"kept the maps as they were: {msg}"))
        job.start()
        self.message.emit("fitting both maps together (UMAP in the background; the maps "
                          "stay usable and will move when it is done)")
        return job

    def _on_data(self) -> None:
        self._judges = {}

    # ---- prior samples ------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> None:
        """Draw `n` codes from each model's prior, decode them, place them on its map."""
        from latent_atlas.explorer.core.analysis.gaps.generate import sample_prior

        if not self.ready():
            raise ValueError("the models are still loading; try again in a moment")
        with one_torch_thread():
            for i, s in enumerate(self.sessions):
                assert s.latent_map is not None  # self.ready()
                base = s.latent_map.unaligned()
                # An AE's prior is fitted to its own codes of the data (the map's codes).
                self.samples[i] = sample_prior(s.model, int(n), seed=seed, codes=base.codes,
                                               latent_map=s.latent_map, decoder=s.decoder)
        self.samples_changed.emit()

    def _replace_samples(self) -> None:
        if not any(smp is not None for smp in self.samples):
            return
        for s, smp in zip(self.sessions, self.samples, strict=True):
            if smp is not None and len(smp.codes) and s.latent_map is not None:
                smp.positions = s.latent_map.place(smp.codes)
        self.samples_changed.emit()

    # ---- decoded grid ---------------------------------------------------------------------
    def decode_grids(self, rect: tuple[float, float, float, float], n: int) -> None:
        """The classic manifold figure for each model: n x n images decoded over `rect`,
        as one display image with y pointing up (the top row is the top of the view)."""
        from latent_atlas.explorer.core.analysis.gaps.generate import decoded_grid
        from latent_atlas.explorer.core.io.blend import stack_rows, tile_row

        if not self.ready():
            return
        self.grid_rect, self.grid_n = (float(rect[0]), float(rect[1]), float(rect[2]),
                                       float(rect[3])), int(n)
        with one_torch_thread():
            for i, s in enumerate(self.sessions):
                images = decoded_grid(s.decoder, s.latent_map, self.grid_rect, self.grid_n)
                rows = [tile_row(images[iy], gap=1) for iy in range(self.grid_n - 1, -1, -1)]
                self.grid_images[i] = stack_rows(rows, gap=1)
        self.grids_changed.emit()

    # ---- gaps ---------------------------------------------------------------------------
    def set_gap_judge(self, name: str) -> None:
        """Judge the heatmap by `name` ("pixel" or "classifier"); the next `compute_gaps`
        uses it."""
        from latent_atlas.explorer.core.analysis.gaps.heatmap import JUDGES

        if name not in JUDGES:
            raise ValueError(f"unknown judge '{name}'; use {' or '.join(JUDGES)}")
        self.gap_judge = name

    def compute_gaps(self, rect: tuple[float, float, float, float], resolution: int):
        """Score a grid over `rect` for both models in the background under `gap_judge`
        (a newer request supersedes an older one)."""
        from .compare_tasks import gap_task

        if not self.ready() or self.data is None:
            return None  # recomputed once the models and the data have arrived
        decoders = [s.decoder for s in self.sessions]
        maps = [s.latent_map for s in self.sessions]
        name = self.gap_judge
        images, labels, judge = self.data.images, self.data.labels, self._judges.get(name)
        job = self.jobs.start("gaps", lambda cancel: gap_task(
            decoders, maps, name, images, labels, judge, rect, resolution, cancel))
        job.succeeded.connect(lambda out: self._on_gaps(name, out))
        job.failed.connect(lambda msg: self.message.emit(f"gap heatmap failed: {msg}"))
        job.start()
        return job

    def _on_gaps(self, name: str, out: Any) -> None:
        judge, grids = out
        self._judges[name] = judge
        self.set_gaps(grids)

    def set_gaps(self, grids: list[Any] | None) -> None:
        """Show these heatmaps; one colour scale over the cells inside the hulls only."""
        from latent_atlas.explorer.core.analysis.gaps.heatmap import inside_levels

        self.gaps = list(grids) if grids else [None, None]
        shown = [g for g in self.gaps if g is not None]
        self.gap_levels = inside_levels(*shown) if shown else None
        self.gaps_changed.emit()

    # ---- manifold grid (2-D latents) ----------------------------------------------------
    def is_latent_pair(self) -> bool:
        """True when both maps are 2-D latents shown as themselves (the manifold grid)."""
        from latent_atlas.explorer.core.analysis.claims.manifold import is_latent_map

        return all(is_latent_map(s.latent_map) for s in self.sessions)

    def latent_rects(self) -> list[tuple[float, float, float, float]] | None:
        """The rectangle of the shared frame each model's manifold grid covers: its own
        square (+-3 for a VAE, its codes' range for an AE, see
        latent_atlas.explorer.core.analysis.claims.manifold) moved into the frame its map is shown in."""
        from latent_atlas.explorer.core.analysis.claims.manifold import frame_rect, latent_square
        from latent_atlas.explorer.core.analysis.gaps.generate import has_standard_prior

        if not self.is_latent_pair() or any(s.model is None for s in self.sessions):
            return None  # the networks say which prior they have: wait for them
        rects = []
        for s in self.sessions:
            m = s.latent_map
            assert m is not None  # is_latent_pair
            base = m.unaligned()
            rects.append(frame_rect(m, latent_square(has_standard_prior(s.model), base.codes)))
        return rects

    def decode_manifold(self, n: int | None = None) -> None:
        """Decode the n x n manifold grid of each model over its own square (2-D pairs
        only; nothing until both networks have loaded). `manifold_rect` is the box around
        both squares (what the view frames)."""
        from latent_atlas.explorer.core.analysis.claims.manifold import manifold_grid, shared_rect

        if n is not None:
            self.manifold_n = int(n)
        rects = self.latent_rects()
        if rects is None or not self.ready():
            self.manifold, self.manifold_rect = [None, None], None
            self.manifold_changed.emit()
            return
        self.manifold_rect = shared_rect(*rects)
        with one_torch_thread():
            self.manifold = [manifold_grid(s.decoder, s.latent_map, r, self.manifold_n)
                             for s, r in zip(self.sessions, rects, strict=True)]
        self.manifold_changed.emit()

    # ---- metrics ------------------------------------------------------------------------
    def compute_metrics(self, settings: Any):
        """Measure both models (latent_atlas.explorer.core.analysis.comparison.metrics) in the background."""
        from .compare_tasks import metrics_task

        if not self.ready() or self.data is None:
            self.message.emit("the models are still loading; try again in a moment")
            return None
        if self.jobs.running("metrics"):
            return None
        models = {s.name: s.model for s in self.sessions}
        data = self.data
        job = self.jobs.start("metrics", lambda cancel: metrics_task(models, data, settings,
                                                                     cancel))
        job.progress.connect(self._metrics_so_far)
        job.succeeded.connect(self.set_metrics)
        job.failed.connect(lambda msg: self.message.emit(f"metrics failed: {msg}"))
        job.start()
        return job

    def _metrics_so_far(self, event: Any) -> None:
        """A streamed table (`result.complete` False): the rows measured so far."""
        partial = getattr(event, "partial", None)
        if partial is not None:
            self.set_metrics(partial)

    def set_metrics(self, result: Any) -> None:
        self.metrics = result
        self.metrics_changed.emit()

    def close(self) -> None:
        self.link.disconnect()
        self.jobs.shutdown()
        for s in self.sessions:
            s.close()
