"""Exports for other embedding viewers: TensorBoard's Embedding Projector and a Parquet
table (Apple's Embedding Atlas, Latent Scope, pandas, DuckDB...).

One `EmbeddingTable` holds what both write: the codes, their 2-D map positions, labels
(with names), each image's reconstruction error and the images themselves.

    export_projector(folder, table)   # tensors.tsv, metadata.tsv, sprite.png,
                                      # projector_config.pbtxt (tensorboard --logdir folder)
    export_parquet(path, table)       # needs pyarrow (PARQUET_HINT)

Every file is written atomically (see latent_atlas.models.modelfile.atomic_write_bytes).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latent_atlas.models.modelfile import atomic_write_bytes

# The projector loads one sprite picture; it refuses anything above 8192 x 8192 pixels.
MAX_SPRITE_SIDE = 8192
PROJECTOR_FILES = ("tensors.tsv", "metadata.tsv", "sprite.png", "projector_config.pbtxt")

# How to get pyarrow, as the README says it (Latent Atlas is installed from its clone).
PARQUET_HINT = 'pip install -e ".[interop]" in the clone of Latent Atlas, or pip install pyarrow'


class InteropError(ValueError):
    """An export that cannot be written as asked; the message says why."""


@dataclass
class EmbeddingTable:
    """N rows: codes N x d, map positions N x 2, and optional per-row columns."""

    codes: np.ndarray
    positions: np.ndarray
    labels: np.ndarray | None = None
    label_names: list[str] | None = None
    errors: np.ndarray | None = None  # reconstruction error per image
    images: np.ndarray | None = None  # uint8 N x C x H x W
    name: str = "latent codes"

    def __post_init__(self) -> None:
        self.codes = np.asarray(self.codes, dtype=np.float32)
        self.positions = np.asarray(self.positions, dtype=np.float32)
        n = len(self.codes)
        if self.codes.ndim != 2 or self.positions.shape != (n, 2):
            raise InteropError(f"need N x d codes and N x 2 positions, not {self.codes.shape} "
                               f"and {self.positions.shape}")
        for what, col in (("labels", self.labels), ("errors", self.errors),
                          ("images", self.images)):
            if col is not None and len(col) != n:
                raise InteropError(f"{n} codes but {len(col)} {what}")
        if self.images is not None and (self.images.dtype != np.uint8 or self.images.ndim != 4):
            raise InteropError("images must be uint8 N x C x H x W")

    def __len__(self) -> int:
        return len(self.codes)

    def label_name(self, i: int) -> str:
        if self.labels is None:
            return ""
        lab = int(self.labels[i])
        names = self.label_names or []
        return names[lab] if 0 <= lab < len(names) else str(lab)


def _tsv_cell(text: str) -> str:
    """Tabs and newlines would split a cell: write them as spaces."""
    return " ".join(str(text).split()) or "-"


def projector_files(table: EmbeddingTable) -> dict[str, bytes]:
    """The four files of an Embedding Projector folder, as bytes (sprite when it fits)."""
    n, d = table.codes.shape
    lines = ["\t".join(f"{v:.7g}" for v in row) for row in table.codes]
    files = {"tensors.tsv": ("\n".join(lines) + "\n").encode()}
    header = ["index", "x", "y"]
    if table.labels is not None:
        header += ["label", "label_name"]
    if table.errors is not None:
        header.append("recon_error")
    rows = ["\t".join(header)]
    for i in range(n):
        row = [str(i), f"{table.positions[i, 0]:.7g}", f"{table.positions[i, 1]:.7g}"]
        if table.labels is not None:
            row += [str(int(table.labels[i])), _tsv_cell(table.label_name(i))]
        if table.errors is not None:
            row.append(f"{float(table.errors[i]):.6g}")
        rows.append("\t".join(row))
    files["metadata.tsv"] = ("\n".join(rows) + "\n").encode("utf-8", "backslashreplace")
    images = table.images
    sprite = sprite_png(images) if images is not None else None
    config = ["embeddings {", f'  tensor_name: "{_tsv_cell(table.name)}"',
              '  tensor_path: "tensors.tsv"', '  metadata_path: "metadata.tsv"']
    if sprite is not None and images is not None:
        files["sprite.png"] = sprite
        h, w = images.shape[2:]
        config += ["  sprite {", '    image_path: "sprite.png"', f"    single_image_dim: {w}",
                   f"    single_image_dim: {h}", "  }"]
    files["projector_config.pbtxt"] = ("\n".join(config + ["}"]) + "\n").encode()
    return files


def sprite_png(images: np.ndarray) -> bytes | None:
    """All images on one square grid, row by row (the projector's sprite), as PNG bytes;
    None when the grid would be larger than the projector accepts."""
    from PIL import Image

    n, c, h, w = images.shape
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    if cols * w > MAX_SPRITE_SIDE or rows * h > MAX_SPRITE_SIDE:
        return None
    grid = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * h:(r + 1) * h, k * w:(k + 1) * w] = images[i].transpose(1, 2, 0)
    buf = io.BytesIO()
    Image.fromarray(grid[..., 0] if c == 1 else grid, "L" if c == 1 else "RGB").save(buf, "PNG")
    return buf.getvalue()


def export_projector(folder: str | os.PathLike, table: EmbeddingTable) -> list[Path]:
    """Write an Embedding Projector folder (created if missing); returns the files written.

    Open it with `tensorboard --logdir FOLDER` (Projector tab), or load tensors.tsv and
    metadata.tsv at projector.tensorflow.org. Without images, or when the sprite would be
    larger than 8192 x 8192 pixels, no sprite is written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InteropError(f"{folder} is a file; the projector export writes a folder")
    files = projector_files(table)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PROJECTOR_FILES:
        if name in files:
            atomic_write_bytes(folder / name, files[name])
            written.append(folder / name)
    return written


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def parquet_bytes(table: EmbeddingTable, with_images: bool = True) -> bytes:
    """The table as Parquet: index, x, y, label, label_name, recon_error, the code as a
    list and as z0..z{d-1} columns, and each image as PNG bytes (`image`)."""
    if not parquet_available():
        raise InteropError(f"Parquet needs pyarrow: {PARQUET_HINT}")
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, d = table.codes.shape
    cols: dict[str, pa.Array] = {
        "index": pa.array(np.arange(n, dtype=np.int64)),
        "x": pa.array(table.positions[:, 0]), "y": pa.array(table.positions[:, 1]),
    }
    if table.labels is not None:
        cols["label"] = pa.array(np.asarray(table.labels, dtype=np.int64))
        cols["label_name"] = pa.array([table.label_name(i).encode("utf-8", "backslashreplace")
                                       .decode("utf-8") for i in range(n)], pa.string())
    if table.errors is not None:
        cols["recon_error"] = pa.array(np.asarray(table.errors, dtype=np.float32))
    cols["code"] = pa.FixedSizeListArray.from_arrays(pa.array(table.codes.reshape(-1)), d)
    for k in range(d):
        cols[f"z{k}"] = pa.array(table.codes[:, k])
    if with_images and table.images is not None:
        cols["image"] = pa.array([_png(im) for im in table.images], pa.binary())
    buf = io.BytesIO()
    pq.write_table(pa.table(cols), buf)
    return buf.getvalue()


def _png(chw: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    img = chw[0] if chw.shape[0] == 1 else chw.transpose(1, 2, 0)
    Image.fromarray(np.ascontiguousarray(img), "L" if chw.shape[0] == 1 else "RGB").save(buf, "PNG")
    return buf.getvalue()


def export_parquet(path: str | os.PathLike, table: EmbeddingTable,
                   with_images: bool = True) -> None:
    """Write the table as one Parquet file (see `parquet_bytes`)."""
    atomic_write_bytes(path, parquet_bytes(table, with_images))
