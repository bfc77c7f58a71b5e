"""A saved view: the small JSON file File ▸ Save view… writes and File ▸ Open (or
`latent-atlas VIEW.json`) restores: the model files, their data specs, the window
(main or compare), the view range, the colouring, the arrows, the selection and the
interpolation settings. Also the CLI twin of what is on the map (Edit ▸ Copy as
command). No Qt: the windows ask for a `ViewState` and hand one back.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .arrows import ArrowEnds
from .session import Session

VIEW_FORMAT = "latent-atlas-view"
VIEW_VERSION = 1
MAX_VIEW_BYTES = 64 << 20  # a view is small; a huge file is not one


class ViewFileError(ValueError):
    """A view file that cannot be read; the message says why."""


@dataclass
class ViewState:
    """Everything a saved view restores (see module docstring)."""

    models: list[str]
    window: str = "main"  # or "compare"
    data: list[str] = field(default_factory=list)
    view: list[float] | None = None  # x0, x1, y0, y1
    colour: str = "label"
    arrows: list[dict[str, Any]] = field(default_factory=list)
    selection: list[int] = field(default_factory=list)
    steps: int | None = None
    mode: str | None = None
    active: int = 0  # the main window's active model


def is_view_path(path: str | Path) -> bool:
    return str(path).lower().endswith(".json")


def capture(sessions: list[Session], *, window: str = "main",
            view: tuple[float, float, float, float] | None = None,
            active: Session | None = None) -> ViewState:
    """The view of `sessions` (the first, or `active`, gives colouring, arrows and
    selection). Models never saved to a file cannot be named, which is said."""
    unsaved = [s.name for s in sessions if s.path is None]
    if unsaved:
        raise ValueError(f"save the model {unsaved[0]} first (File ▸ Save model as…): a "
                         "view names its model files")
    s = active if active is not None else sessions[0]
    arrows = [{"xy0": [float(v) for v in a.xy0], "xy1": [float(v) for v in a.xy1],
               "index0": a.index0, "index1": a.index1}
              for a in s.arrows if a.xy0 is not None and a.xy1 is not None]
    return ViewState(models=[str(Path(x.path).resolve()) for x in sessions if x.path],
                     window=window, data=[x.data_spec for x in sessions],
                     view=None if view is None else [float(v) for v in view],
                     colour=s.colour_key, arrows=arrows,
                     selection=[int(i) for i in s.selection], steps=s.steps, mode=s.mode,
                     active=sessions.index(s))


def save_view(path: str | Path, state: ViewState) -> None:
    """Write `state` as JSON, atomically."""
    from latent_atlas.models.modelfile import atomic_write_bytes

    doc = {"format": VIEW_FORMAT, "version": VIEW_VERSION, **asdict(state)}
    atomic_write_bytes(path, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


def read_view(path: str | Path) -> ViewState:
    """Read a view file; anything wrong is one readable `ViewFileError`."""
    from latent_atlas.models.files import regular_file

    p = Path(path)
    try:
        regular_file(p)
        if p.stat().st_size > MAX_VIEW_BYTES:
            raise ViewFileError(f"{p.name} is too large to be a saved view")
        doc = json.loads(p.read_text(encoding="utf-8"))
    except ViewFileError:
        raise
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        raise ViewFileError(f"{p.name} is not a readable view file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != VIEW_FORMAT:
        raise ViewFileError(f"{p.name} is not a Latent Atlas view (File ▸ Save view… "
                            "writes them)")
    if doc.get("version") != VIEW_VERSION:
        raise ViewFileError(f"{p.name} is a view of version {doc.get('version')!r}; this "
                            f"Latent Atlas reads version {VIEW_VERSION}")
    try:
        state = ViewState(**{k: v for k, v in doc.items() if k not in ("format", "version")})
        _check(state)
    except (TypeError, ValueError) as exc:
        raise ViewFileError(f"{p.name}: {exc}") from None
    # Model paths relative to the view file are found beside it.
    state.models = [str((p.parent / m).resolve()) if not Path(m).is_absolute() else m
                    for m in state.models]
    return state


def _check(state: ViewState) -> None:
    if not state.models or not all(isinstance(m, str) for m in state.models):
        raise ValueError("it names no model file")
    if state.window not in ("main", "compare"):
        raise ValueError(f"unknown window {state.window!r}")
    if state.window == "compare" and len(state.models) != 2:
        raise ValueError("a compare view names two model files")
    if state.view is not None and (len(state.view) != 4 or not all(
            isinstance(v, int | float) and np.isfinite(v) for v in state.view)):
        raise ValueError("its view range is not four numbers")
    if not all(isinstance(i, int) and i >= 0 for i in state.selection):
        raise ValueError("its selection is not a list of sample numbers")


def restore(session: Session, state: ViewState) -> list[str]:
    """Put the colouring, arrows, selection and path settings of `state` on `session`;
    returns what could not be restored, in words (the view still opens)."""
    problems: list[str] = []
    session.set_colour_key(state.colour)
    if state.steps is not None:
        session.set_steps(int(state.steps))
    if state.mode in ("lerp", "slerp"):
        session.set_mode(state.mode)
    session.clear_arrows()
    for a in state.arrows:
        try:
            session.add_arrow_at(ArrowEnds(tuple(a["xy0"]), tuple(a["xy1"]),
                                           a.get("index0"), a.get("index1")))
        except (KeyError, TypeError, ValueError):
            problems.append("an arrow could not be read")
    try:
        session.set_selection(np.asarray(state.selection, np.int64))
    except ValueError as exc:
        problems.append(f"the selection was not restored: {exc}")
    return problems


def command_for(session: Session) -> str:
    """The CLI twin of what is on `session`'s map: the selected arrow, else the decoded
    point, else the selection (as the Python that sets it)."""
    if session.path is None:
        raise ValueError("save the model first: a command names its model file")
    model = shlex.quote(str(session.path))
    a = session.selected()
    if a is not None and a.index0 is not None and a.index1 is not None:
        return (f"latent-atlas interpolate {model} --from {a.index0} --to {a.index1} "
                f"--steps {session.steps} --mode {session.mode} --out strip.png")
    if session.cursor_xy is not None:
        x, y = (float(v) for v in session.cursor_xy)
        return f"latent-atlas decode {model} --xy {x:.4f},{y:.4f} --out decoded.png"
    if len(session.selection):
        idx = ", ".join(str(int(i)) for i in session.selection)
        code = ("from latent_atlas.explorer.session.session import Session; "
                f"s = Session.from_file({json.dumps(str(session.path))}); s.selection = [{idx}]")
        return f"python -c {shlex.quote(code)}"
    raise ValueError("nothing to copy yet: click the map, draw an arrow between two "
                     "samples or select some")
