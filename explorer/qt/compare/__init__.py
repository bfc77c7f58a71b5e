"""The AE-against-VAE compare window: two map canvases over a `ComparePair` of linked
sessions, gap heatmaps, prior samples, the decoded grid and the metrics."""

from .window import CompareWindow

__all__ = ["CompareWindow"]
