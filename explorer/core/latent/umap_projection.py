"""UMAP projection (umap-learn, imported lazily) on an exact k-NN graph.

UMAP speed, measured on 2 cores for 10,000 16-D codes (see benchmarks/bench_map.py):
naive `fit_transform` in a fresh process takes ~40 s, nearly all of it numba compiling.
We (1) point numba's cache at a user cache folder before umap is imported, so
pynndescent's cached kernels are reused by later processes (`import umap` drops from
~13 s to ~1 s), and switch caching on for umap's own graph and layout kernels, which
umap-learn compiles afresh in every process (`enable_umap_kernel_cache`, ~3-5 s saved);
(2) pass an exact k-NN graph (scikit-learn, ~0.2 s), which skips pynndescent's index
build and its compilation (`low_memory` only affects that index, so it no longer
matters); (3) run 200 layout epochs, what umap-learn itself uses above 10,000 points,
instead of 500 (2.5x less layout time, visually the same map); (4) leave `random_state`
unset so the layout runs on all cores (umap forces one thread when it is set).
`reproducible=True` fixes `random_state`: the same seed gives the same map, but the fit
is single-threaded and ~1.7x slower once warm, and its layout kernel is not cached.
Initialisation is "pca", not umap's default "spectral": on 10,000 MNIST codes both keep
the same share of code-space neighbours, but PCA keeps the layout of the classes better
(correlation of class-centre distances 0.87 vs 0.74) and is faster; and spectral runs one
eigensolver per connected component of the pruned graph, which took minutes on 60,000
codes with a few hundred small components (see Kobak & Linderman 2021, "Initialization is
critical for preserving global data structure in both t-SNE and UMAP").

At scale (issue 12) UMAP is fitted on a seeded subsample (`subsample`, default 50,000
codes) and every other code is placed by the k-NN placement of `placement.py`; the
placement's quality is measured on samples (trustworthiness of placed and of fitted
points, stored in the map's params). When a CUDA build of RAPIDS cuML is importable its
UMAP is used instead of umap-learn (`cuml_umap_class`), detected at run time, never
required.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Generator
from typing import Any

import numpy as np

from latent_atlas.explorer.core.latent.projection import MapProgress, Projection, check_fit_codes
from latent_atlas.explorer.core.latent.umap_runtime import (
    configure_numba_cache,
    cuml_umap_class,
    enable_umap_kernel_cache,
)
from latent_atlas.explorer.core.progress import Cancelled, check_cancel, is_cancelled, relay

UMAP_MIN_POINTS = 10
SUBSAMPLE = 50_000
QUALITY_SAMPLE = 2_000  # points per trustworthiness estimate (pairwise: 2,000^2 distances)
_FIT_LOCK = threading.Lock()


def exact_knn(codes: np.ndarray, k: int, *, cancel: Any = None, block: int = 2048
              ) -> Generator[float, None, tuple[np.ndarray, np.ndarray]]:
    """Exact k nearest neighbours of every code (itself included), yielding the fraction done.

    Returns (indices N x k int64, distances N x k float32), the form umap's
    `precomputed_knn` takes.
    """
    from sklearn.neighbors import NearestNeighbors

    n = len(codes)
    # Measured on MNIST codes: a k-d tree wins up to ~8 dimensions, brute force (BLAS)
    # beyond (sklearn's "auto" keeps the tree up to 15, 5-7x slower at 12-16 dims).
    algorithm = "kd_tree" if codes.shape[1] <= 8 else "brute"
    nn = NearestNeighbors(n_neighbors=k, algorithm=algorithm).fit(codes)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        check_cancel(cancel, "map fitting")
        d, i = nn.kneighbors(codes[start:start + block])
        idx[start:start + len(i)] = i
        dist[start:start + len(i)] = d
        yield min(1.0, (start + block) / n)
    return idx, dist


class _EpochSink:
    """File-like target of umap's tqdm bar: records the epoch, raises to stop the fit.

    umap-learn reports layout epochs only through tqdm; a one-number `bar_format` written
    to this object is the least intrusive way to observe (and interrupt) the epoch loop.
    """

    class Stop(Exception):
        pass

    def __init__(self) -> None:
        self.epoch = 0
        self.total = 0
        self.stop = False
        self._raised = False

    def write(self, text: str) -> None:
        if self.stop:
            if not self._raised:  # once: tqdm writes again while closing
                self._raised = True
                raise self.Stop()
            return
        last = text.strip().rsplit("\r", 1)[-1].strip()
        done, _, total = last.partition("/")
        if done.isdigit() and total.isdigit():
            self.epoch, self.total = int(done), int(total)

    def flush(self) -> None:
        pass


def _release_leaked_tqdm_lock() -> None:
    """Undo the lock tqdm leaks when our sink raises inside `tqdm.refresh`.

    `refresh` acquires tqdm's global write lock and releases it without try/finally, so
    the stop exception leaves it held by this (about to end) thread and every later
    progress bar in the process would wait forever. Once the exception has left tqdm,
    anything this thread still holds is such a leak, so release it here.
    """
    try:
        from tqdm.std import TqdmDefaultWriteLock

        th_lock = TqdmDefaultWriteLock.th_lock
        for _ in range(8):
            if not th_lock._is_owned():
                break
            TqdmDefaultWriteLock().release()  # the thread lock and the process lock
    except Exception:  # another tqdm version: nothing we can safely do
        pass


class UMAPProjection(Projection):
    """UMAP (umap-learn) on an exact k-NN graph; see the module docstring for the speed-ups."""

    method = "umap"

    def __init__(self, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int = 200,
                 seed: int = 0, reproducible: bool = False, init: str | np.ndarray = "pca",
                 subsample: int | None = SUBSAMPLE, gpu: bool | None = None) -> None:
        self.n_neighbors = int(n_neighbors)
        self.min_dist = float(min_dist)
        self.n_epochs = int(n_epochs)
        self.seed = int(seed)
        self.reproducible = bool(reproducible)
        self.init = init
        if subsample is not None and int(subsample) < UMAP_MIN_POINTS:
            raise ValueError(f"subsample must be at least {UMAP_MIN_POINTS} codes, not {subsample}")
        self.subsample = None if subsample is None else int(subsample)
        self.gpu = gpu  # None: cuML when available; False: never; True: required
        self.umap_ = None
        self.backend_ = "umap-learn"
        self.fit_index_: np.ndarray | None = None  # rows fitted by UMAP; None: all of them
        self.quality_: dict[str, float] = {}

    def params(self):
        out = {"n_neighbors": self.n_neighbors, "min_dist": self.min_dist,
               "n_epochs": self.n_epochs, "init": self.init, "seed": self.seed,
               "reproducible": self.reproducible, "backend": self.backend_}
        if self.fit_index_ is not None:
            out["subsample"] = len(self.fit_index_)
            out.update(self.quality_)
        return out

    def fit_iter(self, codes, cancel=None):
        codes = check_fit_codes(codes)
        n = len(codes)
        if n < UMAP_MIN_POINTS:
            raise ValueError(f"UMAP needs at least {UMAP_MIN_POINTS} codes, got {n}; use pca")
        if self.subsample is None or n <= self.subsample:
            emb = yield from self._fit(codes, self.init, cancel, 1.0)
            self.fit_index_ = None
            self.quality_ = {}
            self.codes_ = codes
            self.embedding_ = emb
            return self
        # A seeded subsample, in data order: the same seed fits the same codes.
        rng = np.random.default_rng(self.seed)
        fit_index = np.sort(rng.choice(n, self.subsample, replace=False))
        init = self.init
        if isinstance(init, np.ndarray) and len(init) == n:
            init = init[fit_index]
        fitted = yield from self._fit(codes[fit_index], init, cancel, 0.8)
        rest = np.ones(n, dtype=bool)
        rest[fit_index] = False
        from latent_atlas.explorer.core.latent.placement import place_codes

        yield MapProgress("place", 0.8, f"placing {n - len(fit_index):,} codes by their "
                          f"nearest of {len(fit_index):,} fitted codes")
        placed = yield from relay(
            place_codes(codes[fit_index], fitted, codes[rest], seed=self.seed, cancel=cancel),
            lambda frac: MapProgress("place", 0.8 + 0.15 * frac,
                                     f"placing codes: {frac:.0%}"))
        emb = np.empty((n, 2), dtype=np.float32)
        emb[fit_index] = fitted
        emb[rest] = placed
        self.fit_index_ = fit_index
        self.codes_ = codes
        self.embedding_ = emb
        self.quality_ = placement_quality(codes, emb, fit_index, self.seed)
        return self

    def _fit(self, codes: np.ndarray, init: str | np.ndarray, cancel: Any, share: float
             ) -> Generator[MapProgress, None, np.ndarray]:
        """UMAP of all `codes`, its progress scaled to the first `share` of the bar."""
        emb = yield from relay(self._fit_all(codes, init, cancel),
                               lambda ev: MapProgress(ev.stage, (ev.fraction or 0.0) * share,
                                                      ev.message))
        return emb

    def _fit_all(self, codes: np.ndarray, init: str | np.ndarray, cancel: Any
                 ) -> Generator[MapProgress, None, np.ndarray]:
        n = len(codes)
        k = min(self.n_neighbors, n - 1)
        yield MapProgress("neighbours", 0.0, f"finding the {k} nearest neighbours of {n} codes")
        knn_idx, knn_dist = yield from relay(
            exact_knn(codes, k, cancel=cancel),
            lambda frac: MapProgress("neighbours", 0.1 * frac, "finding nearest neighbours"))

        sink = _EpochSink()
        state: dict[str, Any] = {}
        done = threading.Event()
        kwargs = dict(
            n_neighbors=k, min_dist=self.min_dist, n_epochs=self.n_epochs, init=init,
            precomputed_knn=(knn_idx, knn_dist), verbose=False,
            random_state=self.seed if self.reproducible else None,
            n_jobs=1 if self.reproducible else -1,
            tqdm_kwds={"disable": False, "file": sink, "mininterval": 0, "miniters": 1,
                       "bar_format": "{n}/{total}", "desc": ""},
        )
        # Without a pynndescent index umap warns that transform() is unavailable; we never
        # call it (placement has its own k-NN), so the warning is noise.
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        # umap announces at import that ParametricUMAP (TensorFlow) is unavailable; unused.
        warnings.filterwarnings("ignore", message="Tensorflow not installed",
                                category=ImportWarning)

        def work() -> None:
            try:
                state["stage"] = "queued"
                # One fit at a time (e.g. the AE and VAE maps of the compare view): numba's
                # fallback "workqueue" threading layer aborts the process on concurrent
                # parallel launches, and two fits on two cores gain nothing anyway.
                with _FIT_LOCK:
                    if sink.stop:
                        raise _EpochSink.Stop()
                    state["stage"] = "import"
                    gpu_umap = None if self.gpu is False else cuml_umap_class()
                    if self.gpu and gpu_umap is None:
                        raise ValueError("a GPU UMAP was asked for but RAPIDS cuML is not "
                                         "installed with CUDA; leave gpu unset")
                    if gpu_umap is not None:
                        state["stage"] = "graph"
                        self.backend_ = "cuml"
                        model = gpu_umap(n_neighbors=k, min_dist=self.min_dist,
                                         n_epochs=self.n_epochs,
                                         init="spectral",  # cuML has no "pca" init
                                         random_state=self.seed if self.reproducible else None,
                                         output_type="numpy")
                        state["embedding"] = model.fit_transform(codes)
                        state["model"] = model
                        return
                    cached = configure_numba_cache()
                    import umap

                    if cached:
                        enable_umap_kernel_cache()
                    state["stage"] = "graph"
                    self.backend_ = "umap-learn"
                    model = umap.UMAP(**kwargs)
                    state["embedding"] = model.fit_transform(codes)
                    state["model"] = model
            except _EpochSink.Stop:
                _release_leaked_tqdm_lock()
                state["cancelled"] = True
            except BaseException as exc:  # handed to the generator's thread
                state["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=work, name="umap-fit", daemon=True)
        t0 = time.perf_counter()
        worker.start()
        try:
            while not done.wait(0.1):
                if is_cancelled(cancel):
                    raise Cancelled("map fitting cancelled")
                yield self._progress(state, sink, time.perf_counter() - t0)
        finally:
            if not done.is_set():  # cancelled or closed: the fit stops at its next epoch
                sink.stop = True
        if "error" in state:
            raise state["error"]
        if state.get("cancelled"):
            raise Cancelled("map fitting cancelled")
        emb = np.asarray(state["embedding"], dtype=np.float32)
        self.umap_ = state["model"]
        self.fit_seconds_ = time.perf_counter() - t0
        return _fill_missing(emb, codes)

    @staticmethod
    def _progress(state: dict, sink: _EpochSink, elapsed: float) -> MapProgress:
        stage = state.get("stage", "queued")
        if stage == "queued":
            return MapProgress("queued", 0.1, "waiting for another map fit to finish")
        if sink.total:
            frac = 0.35 + 0.6 * sink.epoch / sink.total
            return MapProgress("layout", frac, f"UMAP layout: epoch {sink.epoch} of {sink.total}")
        if stage == "import":
            return MapProgress("import", 0.1, "loading UMAP")
        # Graph building has no progress of its own (and includes numba compiling on the
        # first fit of each session): creep towards the layout stage so the bar moves.
        frac = 0.1 + 0.25 * (1.0 - np.exp(-elapsed / 4.0))
        return MapProgress("graph", float(frac), "UMAP: building the neighbour graph "
                           "(the first fit compiles code; later fits are faster)")

    def transform(self, codes):
        """Positions of codes not fitted by UMAP: inverse-distance-weighted positions of
        their nearest fitted codes (umap itself is never called: no numba at click time)."""
        return self.placer()(codes)

    def prepare(self) -> None:
        super().prepare()
        self.placer()


def placement_quality(codes: np.ndarray, positions: np.ndarray, fit_index: np.ndarray,
                      seed: int = 0, sample: int = QUALITY_SAMPLE) -> dict[str, float]:
    """Trustworthiness of placed points and of fitted points, each on a seeded sample.

    `trust_placed` close to `trust_fitted` means the placement keeps neighbourhoods about
    as well as UMAP itself; both are on the same map, so the comparison is fair.
    """
    from latent_atlas.explorer.core.latent.placement import trustworthiness_sample

    rng = np.random.default_rng(seed + 1)
    placed = np.setdiff1d(np.arange(len(codes)), fit_index, assume_unique=True)
    out = {}
    for name, pool in (("trust_placed", placed), ("trust_fitted", fit_index)):
        if len(pool) >= 4:
            pick = rng.choice(pool, min(sample, len(pool)), replace=False)
            out[name] = round(trustworthiness_sample(codes, positions, pick), 4)
    return out


def _fill_missing(emb: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """umap sets fully disconnected points to NaN; place them by their code neighbours."""
    bad = ~np.isfinite(emb).all(axis=1)
    if not bad.any():
        return emb
    if bad.all():
        raise ValueError("UMAP could not place any code; try pca")
    from latent_atlas.explorer.core.latent.placement import NeighbourPlacer

    emb = emb.copy()
    emb[bad] = NeighbourPlacer(codes[~bad], emb[~bad])(codes[bad])
    return emb
