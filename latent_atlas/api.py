"""The public Python API (docs/api.md): open a model headless, or show it in the windows.

    import latent_atlas as la
    s = la.open("digits_vae.safetensors", data="digits")   # no display needed
    s.codes, s.map_table(), s.decode([[0.5, 1.0]]), s.interpolate(0, 7)
    s.compare(la.open("digits_ae.safetensors", data="digits"))
    v = la.show(s)              # the main window on the same model
    la.run()                    # in a script: until the window is closed

In IPython or Jupyter, run `%gui qt` first: `show` and `compare` then return at once and
the kernel stays usable while the window is open.

The functions here only choose; the work is the session floor's (`latent_atlas.explorer.session`), the
same code the windows and the CLI run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from latent_atlas.explorer.core.bundled import default_model_paths
from latent_atlas.explorer.session.headless import HeadlessSession as AtlasSession
from latent_atlas.explorer.session.headless import open_headless

__all__ = ["open", "show", "compare", "run", "AtlasSession", "Viewer", "bundled_models"]

if TYPE_CHECKING:  # the windows are imported on first use only
    from latent_atlas.explorer.qt.viewer import Viewer

PathLike = str | Path


def bundled_models() -> list[str]:
    """The bundled digits AE and VAE (their paths inside the installed package)."""
    return default_model_paths()


def open(model: PathLike | AtlasSession, data: Any = None, **options: Any) -> AtlasSession:  # noqa: A001
    """Open a model file with its data, headless.

    `data` is a data spec ("digits", "mnist:/path", "folder:/path", "npz:/file.npz"), an
    image array (N x H x W, N x C x H x W or N x H x W x C; uint8 or floats in [0, 1]) or an
    (images, labels) pair; None takes the data the file says it was trained on.
    """
    if isinstance(model, AtlasSession):
        return model
    return open_headless(model, data, **options)


def _paths(targets: tuple[Any, ...]) -> list[str]:
    """Files to open (sessions opened from a model object have none: see _in_memory)."""
    return [str(t.path) if isinstance(t, AtlasSession) else str(t) for t in targets
            if not (isinstance(t, AtlasSession) and t.path is None)]


def _in_memory(targets: tuple[Any, ...]) -> list[Any]:
    return [t.opened for t in targets if isinstance(t, AtlasSession) and t.path is None]


def _data_of(targets: tuple[Any, ...], data: str | None) -> str | None:
    if data is not None:
        return data
    specs = {t.data.spec for t in targets if isinstance(t, AtlasSession)}
    spec = specs.pop() if len(specs) == 1 else None
    return None if spec is None or spec.startswith("array:") else spec


def show(*models: PathLike | AtlasSession, data: str | None = None, block: bool = False) -> Viewer:
    """Open the main window on model files or opened sessions (none: the bundled pair).

    Returns a `Viewer` at once; `block=True` (or `run()`) waits until it is closed.
    A model of your own opened with `open` shows with its data; a model file opened with
    arrays shows the data its file names (the arrays stay headless).
    """
    from latent_atlas.explorer.qt.viewer import open_window

    paths, opened = _paths(models), _in_memory(models)
    viewer = open_window(paths or ([] if opened else bundled_models()),
                         data=_data_of(models, data), opened=opened)
    if block:
        run()
    return viewer


def compare(first: PathLike | AtlasSession | None = None,
            second: PathLike | AtlasSession | None = None, *, block: bool = False) -> Viewer:
    """Open the compare window on two models (none: the bundled digits AE and VAE); a model
    of your own opened with `open` comes with its data."""
    from latent_atlas.explorer.qt.viewer import open_window

    given = tuple(m for m in (first, second) if m is not None)
    if len(given) == 1:
        raise ValueError("compare takes two models (or none, for the bundled pair)")
    if _in_memory(given):  # a model of your own opened with `open`: the pair as it is
        viewer = open_window([], compare=True, opened=[
            t.opened if isinstance(t, AtlasSession) and t.path is None else
            str(t.path) if isinstance(t, AtlasSession) else str(t) for t in given])
    else:
        viewer = open_window(_paths(given) or bundled_models(), compare=True)
    if block:
        run()
    return viewer


def run() -> int:
    """Run the windows until they are closed (returns at once under `%gui qt`)."""
    from latent_atlas.explorer.qt.viewer import run as run_qt

    return run_qt()


def __getattr__(name: str) -> Any:
    if name == "Viewer":
        from latent_atlas.explorer.qt.viewer import Viewer

        return Viewer
    raise AttributeError(f"module 'latent_atlas.api' has no attribute {name!r}")

