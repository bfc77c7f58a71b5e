"""Keep small linear-algebra calls off the BLAS thread pool.

numpy and scipy hand even tiny LAPACK calls (a 2x2 solve per triangle, an SVD of an
N x 2 array) to a multi-threaded BLAS. When the other core is busy (training, a UMAP fit,
another program) each call waits for a descheduled worker: building the map's
triangulation was measured at 0.04 s with one thread and 7-75 s with two on a loaded
2-core machine. Work made of many small calls runs inside `single_threaded_blas()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS/LAPACK to one thread inside the block (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it, run as configured
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
