"""Sessions from anything that opens: the one place a window, the Python API or a test
turns a model file or a source (a module of one's own, an ONNX pair, a library's model
folder) into a `Session`.

Opening a source is slow (it runs the user's code, loads data, probes the model), so it
comes in two halves: `prepare` (fit for a worker thread) and `session_of` (on the owner
thread). A model file is read with numpy only; its network loads in the session's job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .dispatch import Dispatcher
from .opening import OpenedModel, open_source
from .session import Session
from .user_model import is_source


def prepare(item: Any, *, data: Any = None) -> Any:
    """The slow half of `open_session` for a source: an `OpenedModel` (its code run, its
    data loaded, the model probed); a model file path comes back as it is."""
    if is_source(item):
        return open_source(item, data=data)
    return item


def session_of(prepared: Any, dispatcher: Dispatcher | None = None) -> Session:
    """The session of what `prepare` gave (on the owner thread)."""
    if isinstance(prepared, OpenedModel):
        return session_of_opened(prepared, dispatcher)
    return Session.from_file(Path(prepared), dispatcher)


def session_of_opened(opened: OpenedModel, dispatcher: Dispatcher | None = None) -> Session:
    """A session over a model opened in memory: decoding at once, its data encoded,
    reconstructed and mapped in the background (PCA, then UMAP). The host shows
    `opened.notes` (a slow decoder...) once it listens."""
    from latent_atlas.explorer.core.inference import Decoder

    data = opened.data
    s = Session(opened.name, dict(opened.meta), labels=None if data is None else data.labels,
                label_names=None if data is None else list(data.label_names),
                dispatcher=dispatcher)
    s.set_model(opened.model, Decoder(opened.model))
    if data is not None:
        s.reload_data(data.spec, data)
    return s


def open_session(item: Any, dispatcher: Dispatcher | None = None, *, data: Any = None
                 ) -> Session:
    """A model file (read with numpy only; its network loaded by `start_loading`), or any
    other source (opened, probed and its data loaded now)."""
    return session_of(prepare(item, data=data), dispatcher)
