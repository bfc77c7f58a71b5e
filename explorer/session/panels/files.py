"""What the File menu does to a session, Qt-free: place the user's picture, export its
codes, its map for other viewers and its interpolation strip; and the pictures the strip
views and the compare window show (the selected arrow's rows, prior samples as one
grid). The windows ask for paths and show errors; the work is here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latent_atlas.explorer.core.io.blend import stack_rows, tile_row
from latent_atlas.explorer.core.io.images import IMAGE_SUFFIXES, is_image_path

from ..arrows import PlacedImage
from ..session import Session

__all__ = ["IMAGE_SUFFIXES", "StripRows", "arrow_titles", "default_export_name",
           "export_codes", "export_interop", "export_strip", "has_strip", "is_image_path",
           "pair_strip_frames", "pair_strip_rows", "PARQUET_HINT", "parquet_available", "place_picture",
           "sample_grid", "strip_rows", "tile_grid"]


def default_export_name(session: Session | None, suffix: str) -> str:
    """A file name beside the model for an export, e.g. digits_vae_strip.png."""
    from latent_atlas.explorer.core.io.exports import default_export_name as name

    return name(session.path if session is not None else None, suffix)


def place_picture(session: Session, path: str | Path) -> PlacedImage:
    """Read a picture, convert it for the model (against the data's background) and mark
    it on the map."""
    from latent_atlas.explorer.core.io.images import dataset_background, load_model_input

    bg = dataset_background(session.images) if session.images is not None else 0.0
    chw = load_model_input(path, session.input_shape, background=bg)
    return session.place_image(Path(path).name, chw)


def _mapped(session: Session | None) -> Session:
    if session is None or session.latent_map is None:
        raise ValueError("open or train a model first")
    return session


def export_codes(session: Session | None, fmt: str, path: str | Path) -> int:
    """Write the map's codes, positions and labels as CSV or NPZ; returns how many."""
    from latent_atlas.explorer.core.io.exports import export_codes_csv, export_codes_npz

    s = _mapped(session)
    assert s.latent_map is not None
    writer = export_codes_csv if fmt == "csv" else export_codes_npz
    writer(path, np.asarray(s.latent_map.codes), np.asarray(s.latent_map.positions),
           s.map_labels(), s.label_names)
    return s.n_points


from latent_atlas.explorer.core.io.interop import PARQUET_HINT  # noqa: E402  (how to get pyarrow)


def parquet_available() -> bool:
    from latent_atlas.explorer.core.io.interop import parquet_available as available

    return bool(available())


def export_interop(session: Session | None, fmt: str, path: str | Path) -> int:
    """The map for other viewers: a TensorBoard projector folder ("projector") or a
    Parquet table ("parquet"); returns how many points."""
    from latent_atlas.explorer.core.io.interop import export_parquet, export_projector

    table = _mapped(session).embedding_table()
    (export_parquet if fmt == "parquet" else export_projector)(path, table)
    return len(table)


def export_strip(session: Session | None, fmt: str, path: str | Path) -> None:
    """The selected arrow's decoded steps as an animated GIF, or its rows as one PNG."""
    from latent_atlas.explorer.core.io.exports import export_strip_gif, export_strip_png

    a = None if session is None else session.selected()
    if a is None or a.frames is None:
        raise ValueError("draw an arrow on the map first (Arrow tool or Shift+drag), and wait "
                         "until the model has loaded")
    if fmt == "gif":
        export_strip_gif(path, a.frames)
    else:
        export_strip_png(path, [a.frames, *([] if a.fade is None else [a.fade])])


def has_strip(session: Session | None) -> bool:
    a = None if session is None else session.selected()
    return a is not None and a.frames is not None


@dataclass(frozen=True)
class StripRows:
    """The strip under the map: the decoded steps and the pixel cross-fade as one image
    each (None: nothing), and what to say instead."""

    decoded: np.ndarray | None = None
    fade: np.ndarray | None = None
    note: str = ""


def strip_rows(session: Session | None) -> StripRows:
    a = None if session is None else session.selected()
    if a is None or a.frames is None:
        return StripRows(note="" if a is None else "decoding once the model has loaded…")
    return StripRows(tile_row(a.frames, gap=1),
                     None if a.fade is None else tile_row(a.fade, gap=1))


def pair_strip_frames(sessions: tuple[Session, ...] | list[Session]
                      ) -> list[np.ndarray | None]:
    """The compare window's three rows along the selected arrow, as frames: each model's
    decoded steps, then the pixel cross-fade of the first model's end images."""
    arrows = [s.selected() for s in sessions]
    frames = [None if a is None else a.frames for a in arrows]
    first = arrows[0] if arrows else None
    return [*frames, None if first is None else first.fade]


def pair_strip_rows(sessions: tuple[Session, ...] | list[Session]) -> list[np.ndarray | None]:
    """`pair_strip_frames` tiled into one image per row."""
    return [None if f is None else tile_row(f, gap=1) for f in pair_strip_frames(sessions)]


def arrow_titles(session: Session | None) -> list[str]:
    """One line per arrow for the arrow picker: "1: #12 → point"."""
    out = []
    for i, a in enumerate([] if session is None else session.arrows):
        ends = [f"#{a.index0}" if a.index0 is not None else "point",
                f"#{a.index1}" if a.index1 is not None else "point"]
        out.append(f"{i + 1}: {ends[0]} → {ends[1]}")
    return out


def tile_grid(images: np.ndarray, per_row: int) -> np.ndarray:
    """N display images as a grid of `per_row` columns (the last row padded black)."""
    n = len(images)
    rows = []
    for start in range(0, n, per_row):
        chunk = images[start:start + per_row]
        if len(chunk) < per_row:
            pad = np.zeros((per_row - len(chunk),) + images.shape[1:], images.dtype)
            chunk = np.concatenate([chunk, pad])
        rows.append(tile_row(chunk, gap=1))
    return stack_rows(rows, gap=1)


def sample_grid(images: np.ndarray) -> np.ndarray:
    """Prior samples as a near-square grid."""
    return tile_grid(np.asarray(images), int(np.ceil(np.sqrt(len(images)))))
