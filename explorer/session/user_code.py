"""Running a user's own Python to get a model: `--python FILE.py:FACTORY` or
`--python package.module:factory` on the command line, File ▸ Open Python model… in the
windows, and nothing else.

This executes the code the user named, so it happens only on an explicit request: a
`PythonFactory` is made from what the user typed (never from a model file, a data file
or a recent-files list), and the front end says once that the code will run
(`RUNS_CODE`). The factory is called with no arguments and returns what `open_source`
takes: an `nn.Module` autoencoder, an (encoder, decoder) pair, or a dict with `model`
(or `encoder` and `decoder`) and any of `data`, `name`, `output`, `conditioning`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A model that cannot be opened from where the user said; the message says why."""


RUNS_CODE = ("note: --python runs the Python code you name ({spec}) with your permissions; "
             "open only code you trust")


@dataclass(frozen=True)
class PythonFactory:
    """A factory the user named: `FILE.py:NAME` or `package.module:NAME`."""

    spec: str

    def __post_init__(self) -> None:
        where, _, attr = self.spec.rpartition(":")
        if not where or not attr:
            raise SourceError(f"--python takes FILE.py:FACTORY or package.module:factory, "
                            f"not '{self.spec}'")

    @property
    def where(self) -> str:
        return self.spec.rpartition(":")[0]

    @property
    def attr(self) -> str:
        return self.spec.rpartition(":")[2]

    @property
    def is_file(self) -> bool:
        return self.where.endswith(".py") or "/" in self.where or "\\" in self.where

    @property
    def name(self) -> str:
        """A short name for the window and the CLI: the factory's."""
        return self.attr.split(".")[-1]

    def load(self) -> Any:
        """Import the module (running its code), call the factory, return what it gives."""
        module = self._module()
        target: Any = module
        for part in self.attr.split("."):
            if not hasattr(target, part):
                raise SourceError(f"{self.where} has no '{self.attr}'")
            target = getattr(target, part)
        if not callable(target) or _is_model(target):
            return target  # `my.py:model`: an object made when the module ran
        try:
            return target()
        except Exception as exc:
            raise SourceError(f"{self.spec} raised {type(exc).__name__}: {exc}"
                            f"{_where_in_user_code(exc)}") from None

    def _module(self) -> Any:
        if not self.is_file:
            try:
                return importlib.import_module(self.where)
            except Exception as exc:
                raise SourceError(f"cannot import {self.where}: {type(exc).__name__}: {exc}"
                                f"{_where_in_user_code(exc)}") from None
        path = Path(self.where).expanduser()
        if not path.is_file():
            raise SourceError(f"no such Python file: {self.where}")
        name = f"latent_atlas_user_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise SourceError(f"{self.where} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        folder = str(path.resolve().parent)
        sys.path.insert(0, folder)  # the file may import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise SourceError(f"{self.where} failed when it ran: {type(exc).__name__}: {exc}"
                            f"{_where_in_user_code(exc)}") from None
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
        return module


def _is_model(obj: Any) -> bool:
    """A module instance is callable but is the model itself, not a factory."""
    try:
        from torch import nn
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(obj, nn.Module)


def _where_in_user_code(exc: BaseException) -> str:
    """' (line N of FILE)' for the innermost frame outside Latent Atlas, or ''."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = str(Path(__file__).resolve().parents[1])
    for frame in reversed(frames):
        if not frame.filename.startswith(here) and not frame.filename.startswith("<frozen"):
            return f" (line {frame.lineno} of {Path(frame.filename).name})"
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" (line {exc.lineno} of {Path(exc.filename or '?').name})"
    return ""


@dataclass(frozen=True)
class UserSource:
    """What the user asked to open that is not a Latent Atlas file, with the permissions
    they gave: a `PythonFactory` (`--python`) or a model folder, read as logits
    (`--logits`), and whether a pickle in it may be loaded (`--allow-pickle`). Path-like,
    so the commands name it as they name a file."""

    target: PythonFactory | str
    output: str | None = None
    allow_pickle: bool = False

    @property
    def label(self) -> str:
        return self.target.spec if isinstance(self.target, PythonFactory) else str(self.target)

    def __fspath__(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label
