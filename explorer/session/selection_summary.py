"""What a selection of samples holds, and the selection written out.

`summarize(session)`: how many, the label histogram, the decoded mean code, the medoid
(the selected sample whose code is closest in total to the others') and the mean
reconstruction error. `export_selection(session, fmt, path)`: the selected rows as an npz
file, a folder of PNGs or a Parquet table (pyarrow is optional: without it the error
says how to get it). Every file is written atomically.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .session import Session

MEDOID_SAMPLE = 2000  # the medoid of a larger selection is searched among this many
EXPORT_FORMATS = (("npz", "NumPy archive (.npz)"), ("png", "Folder of PNG images"),
                  ("parquet", "Parquet table (.parquet)"))


@dataclass
class SelectionSummary:
    """What a selection holds (see module docstring); `note` says what is missing."""

    count: int = 0
    histogram: list[tuple[str, int]] = field(default_factory=list)
    mean_image: np.ndarray | None = None  # the decoded mean code (display image)
    medoid_index: int | None = None
    medoid_image: np.ndarray | None = None
    mean_error: float | None = None
    note: str = ""

    def text(self) -> str:
        """The summary in a few lines (the panel's caption, the status line)."""
        if not self.count:
            return self.note or "nothing selected"
        lines = [f"{self.count:,} selected"]
        if self.histogram:
            lines.append(", ".join(f"{name}: {n:,}" for name, n in self.histogram))
        if self.mean_error is not None:
            lines.append(f"mean reconstruction error {self.mean_error:.4f}")
        if self.medoid_index is not None:
            lines.append(f"medoid: sample #{self.medoid_index}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def label_histogram(session: Session, indices: np.ndarray) -> list[tuple[str, int]]:
    """(label name, count) of the selected samples, most frequent first."""
    labels = session.map_labels()
    if labels is None or not len(indices):
        return []
    values, counts = np.unique(np.asarray(labels)[indices], return_counts=True)
    names = session.label_names
    out = []
    for v, c in zip(values.tolist(), counts.tolist(), strict=True):
        name = names[v] if isinstance(v, int) and 0 <= v < len(names) else str(v)
        out.append((str(name), int(c)))
    return sorted(out, key=lambda t: -t[1])


def medoid(codes: np.ndarray, seed: int = 0) -> int:
    """Row of `codes` with the least total distance to the others (among a random
    `MEDOID_SAMPLE` rows when there are more)."""
    n = len(codes)
    rows = np.arange(n)
    if n > MEDOID_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(n, MEDOID_SAMPLE, replace=False))
    c = np.asarray(codes, np.float64)[rows]
    sq = np.sum(c * c, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * c @ c.T, 0.0)
    return int(rows[int(np.argmin(np.sqrt(d2).sum(axis=1)))])


def summarize(session: Session) -> SelectionSummary:
    """The summary of `session`'s selection (see module docstring)."""
    idx = session.selection
    m = session.latent_map
    if m is None or not len(idx):
        return SelectionSummary(note="Select samples with the lasso (L) or the box (B); "
                                     "Shift adds, Alt removes.")
    codes = np.asarray(m.codes)[idx]
    out = SelectionSummary(count=len(idx), histogram=label_histogram(session, idx))
    k = medoid(codes)
    out.medoid_index = int(idx[k])
    notes = []
    if session.data_matches_map() and session.images is not None:
        from latent_atlas.explorer.core.io.images import sample_display

        out.medoid_image = sample_display(session.images, [out.medoid_index])[0]
    else:
        notes.append(session.data_status() or "no images for this map")
    if session.recon_error is not None and len(session.recon_error) == session.n_points:
        out.mean_error = float(np.mean(session.recon_error[idx]))
    if session.decoder is not None and session.decoder.decodes_codes:
        mean = np.asarray(np.mean(codes, axis=0, dtype=np.float64), np.float32).reshape(1, -1)
        out.mean_image = np.asarray(session.decoder.decode(mean))[0]
    elif session.decoder is None:
        notes.append("the model is loading: no decoded mean yet")
    out.note = "; ".join(notes)
    return out


# ---- export ------------------------------------------------------------------------------
def _rows(session: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = session.selection
    m = session.latent_map
    if m is None:
        raise ValueError("this model has no map yet; wait until it is mapped")
    if not len(idx):
        raise ValueError("nothing is selected: draw a lasso (L) or a box (B) on the map first")
    return idx, np.asarray(m.codes)[idx], np.asarray(m.positions)[idx]


def selection_npz_bytes(session: Session) -> bytes:
    """The selection as an npz archive: index, code, xy, and label, label_names,
    recon_error and images when the session has them."""
    idx, codes, xy = _rows(session)
    arrays: dict[str, np.ndarray] = {"index": idx, "code": codes.astype(np.float32),
                                     "xy": xy.astype(np.float32)}
    labels = session.map_labels()
    if labels is not None:
        arrays["label"] = np.asarray(labels)[idx]
        arrays["label_names"] = np.asarray(session.label_names, dtype=str)
    if session.recon_error is not None and len(session.recon_error) == session.n_points:
        arrays["recon_error"] = np.asarray(session.recon_error)[idx]
    if session.data_matches_map() and session.images is not None:
        arrays["images"] = np.asarray(session.images)[idx]
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def export_selection(session: Session, fmt: str, path: str | Path) -> int:
    """Write the selection as "npz" (one file), "png" (a folder, one PNG per sample,
    named by index and label) or "parquet"; returns how many rows were written."""
    from latent_atlas.models.modelfile import atomic_write_bytes

    idx, codes, xy = _rows(session)
    path = Path(path)
    if fmt == "npz":
        atomic_write_bytes(path, selection_npz_bytes(session))
    elif fmt == "png":
        _export_pngs(session, idx, path)
    elif fmt == "parquet":
        from latent_atlas.explorer.core.io.interop import EmbeddingTable, export_parquet

        aligned = session.data_matches_map()
        err = session.recon_error
        labels = session.map_labels()
        table = EmbeddingTable(
            codes=codes, positions=xy, labels=None if labels is None else labels[idx],
            label_names=session.label_names,
            errors=err[idx] if err is not None and len(err) == session.n_points else None,
            images=session.images[idx] if aligned and session.images is not None else None,
            name=session.name, index=idx)
        export_parquet(path, table)
    else:
        raise ValueError(f"export format must be npz, png or parquet, not {fmt!r}")
    return len(idx)


def _export_pngs(session: Session, idx: np.ndarray, folder: Path) -> None:
    from latent_atlas.explorer.core.io.interop import png_bytes
    from latent_atlas.models.modelfile import atomic_write_bytes

    if not (session.data_matches_map() and session.images is not None):
        raise ValueError("no images to write: "
                         f"{session.data_status() or 'the data of this map is not loaded'}")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; choose a folder for the PNG images")
    folder.mkdir(parents=True, exist_ok=True)
    labels = session.map_labels()
    names = session.label_names
    for i in idx.tolist():
        tag = ""
        if labels is not None:
            v = int(labels[i])
            tag = "_" + "".join(ch if ch.isalnum() else "-" for ch in
                                (names[v] if 0 <= v < len(names) else str(v)))
        atomic_write_bytes(folder / f"{i:06d}{tag}.png", png_bytes(session.images[i]))
