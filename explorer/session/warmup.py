"""Start the background UMAP warm-up (latent_atlas.explorer.core.umap_warm) on a window's jobs,
saying on the status line what is happening."""

from __future__ import annotations

from collections.abc import Callable

from .jobs import Job, Jobs

WARM_JOB = "umap-warm-up"
STARTED = ("Preparing UMAP in the background: the first time in this environment numba "
           "compiles its kernels (about a minute); maps use PCA until then")
DONE = "UMAP is ready: new maps are refined in seconds from now on"


def start_umap_warm_up(jobs: Jobs, say: Callable[[str], None]) -> Job | None:
    """Compile UMAP's kernels in the background unless done before; None when not needed."""
    from latent_atlas.explorer.core.umap_warm import is_warm, warm_up

    if is_warm() or jobs.running(WARM_JOB):
        return None
    job = jobs.start(WARM_JOB, lambda cancel: warm_up(cancel))
    job.succeeded.connect(lambda _marker: say(DONE))
    job.failed.connect(lambda msg: say(f"UMAP could not be prepared in advance ({msg}); "
                                       "the first UMAP map will compile it"))
    job.start()
    say(STARTED)
    return job
