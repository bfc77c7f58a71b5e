"""What a panel works on: the code around which it traverses or searches (the clicked
point, the hovered sample or your image), the picked image of the denoising and
inpainting panels, and the small facts about a session every panel shows (its title, a
sample's label, "select this sample on the map")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..session import Session

SOURCES = (("clicked", "the clicked point"), ("hovered", "the hovered sample"),
           ("own", "your image"))
PICK_MODES = (("clicked", "sample at the clicked point"), ("number", "sample number"),
              ("own", "your image"))
OPEN_IMAGE = "Open your own picture with File ▸ Open image… (or drop it on the map)."


def session_title(session: Session) -> str:
    """What a per-session result is titled with: "VAE — digits_vae"."""
    return f"{session.kind.upper()} — {session.name}"


def label_text(session: Session, index: int) -> str | None:
    """The name of sample `index`'s label, if the session knows it."""
    if session.labels is None or not 0 <= index < len(session.labels):
        return None
    k = int(session.labels[index])
    return session.label_names[k] if 0 <= k < len(session.label_names) else str(k)


def sample_captions(session: Session, indices: Sequence[int], lines: list[str]) -> list[str]:
    """Thumbnail captions: the sample number and label ("#12 · 7") over one line each."""
    out = []
    for i, line in zip(indices, lines, strict=True):
        lab = label_text(session, int(i))
        out.append(f"#{i}{'' if lab is None else ' · ' + lab}\n{line}")
    return out


def thumbnails(images: np.ndarray | None, indices: Sequence[int]) -> np.ndarray | None:
    """Display images of the samples `indices` of uint8 data (None without data)."""
    from latent_atlas.explorer.core.io.images import sample_display

    if images is None or not len(indices):
        return None
    return sample_display(images, np.asarray(indices, dtype=np.int64))


def model_ready(session: Session | None) -> bool:
    """The session has a network to run and a map to search."""
    return session is not None and session.model is not None and session.latent_map is not None


def select_sample(sessions: Sequence[Session], index: int) -> None:
    """Select dataset sample `index` on the maps of `sessions`: the cursor jumps to it
    (its image is decoded, the map's inverse is exact at data points) and it is ringed.

    The first session selects; a session linked to it (the compare view) follows the
    first one's map point, as it does for a click, and decodes now; one that is not
    linked selects the sample itself.
    """
    if not sessions:
        return
    first, rest = sessions[0], list(sessions[1:])
    asked: list[Session] = []
    probes = [(s, lambda _xy, s=s: asked.append(s)) for s in rest]
    for s, probe in probes:
        s.cursor_requested.connect(probe)
    try:
        first.select_sample(int(index))
    finally:
        for s, probe in probes:
            s.cursor_requested.disconnect(probe)
    for s in rest:
        if any(a is s for a in asked):
            s.flush_decode()
        else:
            s.select_sample(int(index))


@dataclass(frozen=True)
class Query:
    """The code a panel works around in one session: the code (None: nothing yet), the
    label of its sample (if any) and what it is, or why there is nothing."""

    code: np.ndarray | None
    label: int | None
    what: str


def query_code(s: Session, source: str, hover_index: int | None, *,
               click_hint: str = "Click on the map to choose the point.") -> Query:
    """The code of `source` ("clicked", "hovered" or "own") in session `s`."""
    if source == "own":
        if s.placed is None:
            return Query(None, None, OPEN_IMAGE)
        return Query(np.asarray(s.placed.z), None, f"your image {s.placed.name}")
    if source == "hovered":
        i = hover_index
        if i is None or not 0 <= i < s.n_points or s.latent_map is None:
            return Query(None, None, "Hover over a sample on the map.")
        label = int(s.labels[i]) if s.labels is not None and i < len(s.labels) else None
        return Query(np.asarray(s.latent_map.codes[i]), label, f"sample #{i}")
    if s.cursor_z is None or s.cursor_xy is None:
        return Query(None, None, click_hint)
    x, y = (float(v) for v in s.cursor_xy)
    return Query(np.asarray(s.cursor_z), None, f"the point ({x:.2f}, {y:.2f})")


def label_array(label: int | None) -> np.ndarray | None:
    """One image's label as the application functions take it (None: no label)."""
    return None if label is None else np.asarray(label, np.int64)


@dataclass
class PickedImage:
    """The image a panel works on: uint8 C x H x W, its label (conditional models) and a
    short description for captions; `index` is the dataset sample, None for your image."""

    image: np.ndarray
    label: int | None
    title: str
    index: int | None = None


class SamplePick:
    """Which image the denoising and inpainting panels work on: the sample nearest the
    clicked map point (follows clicks and gallery selections), a sample by number, or the
    user's own picture. It reads the first shown session: the sessions of a compare pair
    share their data, so one picked image serves both."""

    # what a panel built on a picked image follows (its PanelModel.FOLLOW)
    FOLLOW = ("decoder_changed", "cursor_changed", "placed_changed", "data_changed",
              "map_changed")

    def __init__(self) -> None:
        self.mode = "clicked"
        self.number = 0

    def set_mode(self, mode: str) -> None:
        if mode not in {k for k, _ in PICK_MODES}:
            raise ValueError(f"unknown image choice {mode!r}")
        self.mode = mode

    def set_number(self, number: int) -> None:
        """Typing a number means "this sample", not "follow the clicks" any more."""
        self.number = max(0, int(number))
        if self.mode == "clicked":
            self.mode = "number"

    @staticmethod
    def largest(s: Session | None) -> int:
        return max(0, (s.n_points if s is not None else 0) - 1)

    def pick(self, s: Session | None) -> tuple[PickedImage | None, str]:
        """The chosen image, or None and a sentence saying what is missing."""
        if s is None:
            return None, "Open a model first."
        if self.mode == "own":
            if s.placed is None:
                return None, OPEN_IMAGE
            return PickedImage(s.placed.original, None, s.placed.name), ""
        if not s.data_matches_map() or s.images is None or s.latent_map is None:
            return None, "Waiting for the model's data to load…"
        if self.mode == "clicked":
            if s.cursor_xy is None:
                return None, "Click on the map (or pick a sample number) to choose an image."
            self.number = int(s.latent_map.nearest_sample(s.cursor_xy)[0])
        i = min(int(self.number), self.largest(s))
        label = int(s.labels[i]) if s.labels is not None and i < len(s.labels) else None
        name = f"sample #{i}"
        if label is not None:
            name += f" ({label_text(s, i)})"
        return PickedImage(s.images[i], label, name, i), ""
