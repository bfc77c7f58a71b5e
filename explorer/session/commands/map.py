"""`project`, `decode` and `interpolate`: what the map commands need beyond the runner and
the map (`explorer.core.inference`, `explorer.core.latent`): the manifold grid of a 2-D
latent (latent_atlas.explorer.core.analysis.claims.manifold)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opening import OpenedModel


def largest_grid() -> int:
    """The most images per side of a manifold grid."""
    from latent_atlas.explorer.core.analysis.claims.manifold import MAX_GRID

    return MAX_GRID


def own_square(opened: OpenedModel) -> tuple[float, float, float, float] | None:
    """A 2-D model's own latent square: +-3 with the prior N(0, I), else the range of the
    codes of its stored map; None when it has neither (give the square then)."""
    from latent_atlas.explorer.core.analysis.claims.manifold import latent_square
    from latent_atlas.explorer.core.analysis.gaps.generate import has_standard_prior

    latent_map = opened.latent_map
    codes = None
    if latent_map is not None and latent_map.dim == 2:
        codes = latent_map.codes
    prior = has_standard_prior(opened.model)
    if codes is None and not prior:
        return None
    return latent_square(prior, codes)


def manifold_mosaic(opened: OpenedModel, square: tuple[float, float, float, float],
                    n: int) -> Any:
    """The n x n decodes over `square` of a 2-D latent as one picture (1 x H x W, as
    `outputs.write_png` takes it)."""
    from latent_atlas.explorer.core.analysis.claims.manifold import manifold_grid
    from latent_atlas.explorer.core.inference import Decoder

    grid = manifold_grid(Decoder(opened.model), None, square, n)
    return np.asarray(grid.mosaic())[None]
