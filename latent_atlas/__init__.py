"""Latent Atlas: look inside autoencoders.

Installed, everything lives in this one package, so a folder of your own called `models/`
or `explorer/` cannot shadow ours:

- `latent_atlas.explorer`: the application (its core, the session floor, the windows, the CLI);
- `latent_atlas.models`: the networks, their training and their files;
- `latent_atlas.resources`: the bundled models.

In a source checkout these are links to the top-level folders of the same names.

The public Python API (`latent_atlas.open`, `show`, `compare`, `run`) is documented in
docs/api.md; it is imported on first use, so `import latent_atlas` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["open", "show", "compare", "run", "AtlasSession", "Viewer", "bundled_models"]

if TYPE_CHECKING:  # pragma: no cover
    from latent_atlas.api import (  # noqa: F401
        AtlasSession,
        Viewer,
        bundled_models,
        compare,
        open,
        run,
        show,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("latent_atlas.api"), name)
    raise AttributeError(f"module 'latent_atlas' has no attribute {name!r}")
