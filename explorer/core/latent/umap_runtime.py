"""Where umap-learn runs: numba's kernel cache in a writable folder, and a CUDA cuML UMAP
when one is installed (detected at run time, never required)."""

from __future__ import annotations

import os
import sys
from typing import Any


def cuml_umap_class() -> Any:
    """RAPIDS cuML's GPU UMAP class when a working CUDA build is installed, else None.

    Checked at run time on every fit (cheap after the first import attempt): cuML is
    never a dependency. Any failure to import (no package, no CUDA driver, a CPU-only
    build) means "not available".
    """
    try:
        from cuml.manifold import UMAP
    except ImportError:
        return None
    except Exception:  # noqa: BLE001 - a broken CUDA setup raises all sorts on import
        return None
    return UMAP


def cuml_available() -> bool:
    """True when `cuml_umap_class` finds a usable cuML UMAP."""
    return cuml_umap_class() is not None


def configure_numba_cache() -> str | None:
    """Point numba's on-disk cache at a writable user cache folder (before umap imports).

    Keeps an explicit NUMBA_CACHE_DIR. Returns the folder in use, or None when no
    writable folder could be made (numba then compiles in memory every time).
    """
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        try:
            from platformdirs import user_cache_dir

            folder = os.path.join(user_cache_dir("latent-atlas", appauthor=False), "numba")
            os.makedirs(folder, exist_ok=True)
        except OSError:
            return None
        os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in sys.modules:  # numba read its config already: tell it directly
        try:
            from numba.core import config

            if not config.CACHE_DIR:
                config.CACHE_DIR = folder
        except (ImportError, AttributeError):
            pass
    return folder


def enable_umap_kernel_cache() -> int:
    """Let numba cache umap's own kernels on disk too (umap-learn does not ask for it).

    Saves ~3-5 s of compiling in every fresh process. Numba's cache key ignores compile
    options, so when one Python function is compiled twice (umap's serial and parallel
    layout epoch) only the parallel one is cached; the other keeps compiling in memory.
    Returns how many kernels were switched to caching; 0 if numba's internals differ.
    """
    try:
        import umap.layouts
        import umap.umap_
        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher
    except ImportError:
        return 0
    by_func: dict[Any, list[Any]] = {}
    for mod in (umap.umap_, umap.layouts):
        for obj in vars(mod).values():
            if isinstance(obj, Dispatcher):
                by_func.setdefault(obj.py_func, []).append(obj)
    count = 0
    for dispatchers in by_func.values():
        unique = list({id(d): d for d in dispatchers}.values())
        if len(unique) > 1:
            unique = [d for d in unique if d.targetoptions.get("parallel")][:1]
        for d in unique:
            try:
                if isinstance(d._cache, NullCache):
                    d.enable_caching()
                    count += 1
            except Exception:  # a numba version without these internals: just compile
                pass
    return count
