"""The AE-against-VAE compare view (issue 6): two aligned maps with linked gestures,
gap heatmaps, prior samples and the continuity metrics.

`CompareWindow` is imported lazily: the alignment's child process imports
`explorer.qt.compare.jobs` and must not pay for (or need) PySide6 and pyqtgraph.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CompareWindow"]


def __getattr__(name: str) -> Any:
    if name == "CompareWindow":
        from .window import CompareWindow

        return CompareWindow
    raise AttributeError(name)
