"""Run a progress generator in a child process and relay its events.

Why: importing umap / numba and compiling its kernels holds Python's GIL for hundreds of
milliseconds at a time (measured: `import umap` in a thread stalls the GUI thread for
~600 ms). In a child process none of that touches the window's interpreter; the parent
thread just waits on a pipe. Cancelling terminates the child at once.

    latent_map = yield from fit_map_isolated(codes, "umap", cancel=event)
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import traceback
from collections.abc import Generator
from typing import Any

import numpy as np

from latent_atlas.explorer.core.progress import Cancelled, drain, is_cancelled

POLL_S = 0.05
# After its last message the child exits by itself; terminating it then would skip its
# exit handlers, which unlink its semaphores (umap's dependencies make some), and the
# resource tracker would warn "leaked semaphore objects" when the app exits.
CHILD_EXIT_S = 10.0


class IsolatedError(ValueError):
    """The child process failed; the message is the child's own error message."""


def _exit_on_terminate(*_args: Any) -> None:
    raise SystemExit(143)  # a cancel: leave through the exit handlers (they unlink semaphores)


def _child(conn, module: str, func: str, args: tuple, kwargs: dict) -> None:
    import signal

    signal.signal(signal.SIGTERM, _exit_on_terminate)
    try:
        gen = getattr(importlib.import_module(module), func)(*args, **kwargs)
        result = drain(gen, lambda event: conn.send(("progress", event)))
        conn.send(("result", result))
    except Cancelled:
        conn.send(("cancelled", None))
    except SystemExit:
        raise
    except BaseException as exc:  # reported to the parent, which raises it as one line
        conn.send(("error", (type(exc).__name__, str(exc), traceback.format_exc())))
    finally:
        conn.close()


def run_isolated(module: str, func: str, *args: Any, cancel: Any = None,
                 **kwargs: Any) -> Generator[Any, None, Any]:
    """Iterate generator `module.func(*args, **kwargs)` in a fresh process.

    Yields its progress events, returns its return value (which must pickle). Raises
    `Cancelled` when `cancel` is set (the child is terminated) and `IsolatedError` with
    the child's message when it fails.
    """
    ctx = mp.get_context("spawn")  # never fork a process that has Qt and torch threads
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, module, func, args, kwargs), daemon=True,
                       name=f"latent-atlas-{func}")
    proc.start()
    child.close()
    ended = False  # the child sent its last message and is exiting on its own
    try:
        while True:
            if is_cancelled(cancel):
                raise Cancelled(f"{func} cancelled")
            if not parent.poll(POLL_S):
                if not proc.is_alive() and not parent.poll(0):
                    raise IsolatedError(f"the {func} process stopped unexpectedly "
                                        f"(exit code {proc.exitcode})")
                continue
            try:
                kind, payload = parent.recv()
            except EOFError:
                raise IsolatedError(f"the {func} process stopped unexpectedly") from None
            if kind == "progress":
                yield payload
                continue
            ended = True
            if kind == "result":
                return payload
            elif kind == "cancelled":
                raise Cancelled(f"{func} cancelled")
            else:
                name, message, _tb = payload
                raise IsolatedError(message or name)
    finally:
        if ended:
            proc.join(CHILD_EXIT_S)
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        parent.close()


def map_parts(codes: np.ndarray, method: str = "auto", **kwargs: Any):
    """Child side of `fit_map_isolated`: fit, then return the map as plain file parts
    (a LatentMap holds a lock and lazy indexes that must not cross processes)."""
    from latent_atlas.explorer.core.latent.map import build_map

    latent_map = yield from build_map(codes, method, **kwargs)
    return latent_map.to_file_parts()


def fit_map_isolated(codes: np.ndarray, method: str = "auto", *, cancel: Any = None, **kwargs):
    """`build_map` in a child process; returns a prepared LatentMap in this process."""
    from latent_atlas.explorer.core.latent.map import LatentMap

    meta, arrays = yield from run_isolated(__name__, "map_parts", np.asarray(codes, np.float32),
                                           method, cancel=cancel, **kwargs)
    return LatentMap.from_file_parts(meta, arrays).prepare()
