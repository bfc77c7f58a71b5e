"""Compile UMAP's numba kernels once, in the background, before the first map needs them.

The first UMAP fit in a new environment spends most of its time compiling (38 s for
10,000 codes under load, issue 24); numba then caches the kernels on disk (see
`umap_runtime.configure_numba_cache`). `warm_up` fits a tiny UMAP in a child process so
that happens while the user explores; a marker file beside the cache says it is done
for this environment and umap-learn version, so later launches skip it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

WARM_POINTS = 300  # enough for every kernel of the exact-k-NN UMAP path; fits in seconds


def warm_marker() -> Path | None:
    """The file that says this environment's kernels are compiled (None: no cache)."""
    from importlib.metadata import PackageNotFoundError, version

    from latent_atlas.explorer.core.latent.umap_runtime import configure_numba_cache

    folder = configure_numba_cache()
    if folder is None:
        return None
    try:
        umap_version = version("umap-learn")
    except PackageNotFoundError:
        return None
    env = hashlib.sha1(sys.prefix.encode()).hexdigest()[:12]
    return Path(folder) / f"latent-atlas-warm-umap-{umap_version}-{env}"


def is_warm() -> bool:
    """True when no warm-up is needed (done before, or nothing to cache into)."""
    marker = warm_marker()
    return marker is None or marker.exists()


def warm_up(cancel: Any = None):
    """Fit a tiny UMAP in a child process (its kernels land in numba's cache), then mark
    the environment warm. A generator of the fit's progress, as every long job is."""
    from latent_atlas.explorer.core.isolated import fit_map_isolated

    codes = np.random.default_rng(0).normal(size=(WARM_POINTS, 8)).astype(np.float32)
    yield from fit_map_isolated(codes, "umap", cancel=cancel)
    marker = warm_marker()
    if marker is not None:
        marker.write_text("numba kernels of UMAP compiled and cached\n")
    return marker
