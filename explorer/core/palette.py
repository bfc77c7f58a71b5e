"""The map's categorical palette, chosen to stay distinct for colour-blind readers.

Okabe and Ito's colour-universal palette (seven colours, black left out for the dark
map) extended greedily to twelve: each added colour is the one farthest (CIELAB ΔE,
CIE76) from those before it under normal vision, simulated deuteranopia and simulated
protanopia (Machado, Oliveira and Fernandes 2009, severity 1). More categories than
colours are never coloured by repeating the palette: the largest keep their colours and
the rest share `OTHER_COLOUR`, named as such in the legend
(latent_atlas.explorer.core.analysis.colouring).
"""

from __future__ import annotations

import numpy as np

CATEGORY_COLOURS = (
    "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
    "#7744ff", "#bbffaa", "#eeffff", "#dd0044", "#6688ff",
)
OTHER_COLOUR = "#5f6368"  # every category past the palette's size, said in the legend
UNSELECTED_COLOUR = "#3c3f44"  # points outside a selection: greyed, not hidden

# Machado et al. 2009, severity 1.0, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])


def hex_rgb(colours: tuple[str, ...] | list[str]) -> np.ndarray:
    """"#rrggbb" strings as an N x 3 float array of 0..255."""
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], float)


def _linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _encode(lin: np.ndarray) -> np.ndarray:
    c = np.clip(lin, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055) * 255.0


def simulate(rgb: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """sRGB colours (N x 3, 0..255) as a reader with the given deficiency sees them."""
    return _encode(_linear(rgb) @ matrix.T)


def lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (N x 3, 0..255) to CIELAB (D65)."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = _linear(rgb) @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], -1)


def min_distance(rgb: np.ndarray, matrix: np.ndarray | None = None) -> float:
    """The smallest ΔE between two of the colours (as seen through `matrix`, if given)."""
    seen = rgb if matrix is None else simulate(rgb, matrix)
    points = lab(seen)
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    d[np.eye(len(points), dtype=bool)] = np.inf
    return float(d.min())
