"""`compress` (the AE as a codec against JPEG) and `probe` (codes as features for a
classifier, against raw pixels) on an opened model
(latent_atlas.explorer.core.analysis.claims.codec and probe)."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from ..opening import OpenedModel


def parse_bits(text: str) -> tuple[int, ...]:
    """`compress`'s bits per latent dimension: "2,4,8" -> (2, 4, 8); ValueError otherwise."""
    from latent_atlas.explorer.core.analysis.claims.codec import parse_bits as parse

    return parse(text)


def parse_fractions(text: str) -> tuple[float, ...]:
    """The probe's labelled shares: "1%,10%,100%" (or "0.01,0.1,1") -> (0.01, 0.1, 1.0);
    ValueError otherwise."""
    from latent_atlas.explorer.core.analysis.claims.probe import parse_fractions as parse

    return parse(text)


def compress(opened: OpenedModel, bits: tuple[int, ...], *, examples: int = 4,
             max_images: int | None = None) -> Generator[Any, None, Any]:
    """The model as a codec against JPEG on its held-out images: a generator of progress
    that returns the CompressResult. A model whose code alone is not the image (a
    conditional model, a max-unpooling decoder) is refused before the first progress."""
    from latent_atlas.explorer.core.analysis.claims.codec import CompressSettings, compress_iter

    data = opened.require_data()
    settings = CompressSettings(bits=bits, examples=examples, max_images=max_images)
    return compress_iter(opened.model, data.images, settings, data_spec=data.spec)


def save_compress_figure(out: str | os.PathLike, result: Any, *, examples: bool) -> None:
    """The rate-distortion curve (with example rows when `examples`) as a PNG."""
    from latent_atlas.explorer.core.analysis.claims.codec_figure import save_compress_png

    save_compress_png(out, result, examples=examples)


def compress_table(result: Any, markdown: bool = False) -> str:
    """The comparison as text (or markdown), one row per number of bits."""
    from latent_atlas.explorer.core.analysis.claims.codec import format_compress_table

    return format_compress_table(result, markdown=markdown)


def probe(opened: OpenedModel, fractions: tuple[float, ...], *, seed: int = 0,
          pixels: bool = True) -> Generator[Any, None, Any]:
    """Classifiers on the codes (and pixels) of labelled shares of the training split,
    scored on the held-out images: a generator of progress that returns the ProbeResult."""
    from latent_atlas.explorer.core.analysis.claims.probe import ProbeSettings, probe_iter

    data = opened.require_data()
    settings = ProbeSettings(fractions=fractions, seed=seed, pixels=pixels)
    return probe_iter(opened.model, data.images, data.labels, settings, data_spec=data.spec)


def probe_table(result: Any, markdown: bool = False) -> str:
    """Accuracy per labelled share, each classifier on the codes and on the pixels."""
    from latent_atlas.explorer.core.analysis.claims.probe import format_probe_table

    return format_probe_table(result, markdown=markdown)
