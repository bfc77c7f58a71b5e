"""`--python FILE.py:FACTORY` (or `package.module:factory`) wherever a command takes a
model file, with `--logits` and `--allow-pickle`.

`latent-atlas decode --python my.py:make --data digits --xy 0,0 --out o.png` runs `make()`
from my.py and opens what it returns as the model. The words are taken out of the
command line before it is parsed: each `--python SPEC` becomes the model argument at the
same place (so `compare --python a.py:ae --python a.py:vae` compares two of them), and after
parsing that argument is a `UserSource` the commands hand to `open_model` like a path.
A path on the command line is never run: only `--python` runs code, said once on stderr.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

HELP = """\
Models of your own, wherever a command takes a model FILE:
  --python FILE.py:FACTORY | package.module:factory
                runs FACTORY() from your code (it runs with your permissions) and opens
                the autoencoder it returns; give --data SPEC unless it returns its data
  FOLDER        an ONNX pair (encoder.onnx + decoder.onnx), a diffusers AutoencoderKL or a
                pythae model folder
  --logits      the decoder gives logits: read its output through a sigmoid
  --allow-pickle  let a pythae folder's pickled model.pt load (it may run code)
"""

_MARK = "\x00source:"  # no path or option can hold NUL


@dataclass
class SourceArgs:
    """The source words taken out of a command line."""

    factories: list[str] = field(default_factory=list)
    logits: bool = False
    allow_pickle: bool = False

    def __bool__(self) -> bool:
        return bool(self.factories or self.logits or self.allow_pickle)


def take_sources(argv: list[str]) -> tuple[list[str], SourceArgs]:
    """`argv` with the source words replaced (see module docstring), and what they were."""
    out: list[str] = []
    found = SourceArgs()
    words = iter(argv)
    for word in words:
        if word == "--":
            out.append(word)
            out.extend(words)
            break
        if word == "--python" or word.startswith("--python="):
            spec = word.partition("=")[2] if "=" in word else next(words, "")
            if not spec or spec.startswith("-"):
                raise _usage("--python needs FILE.py:FACTORY or package.module:factory")
            out.append(f"{_MARK}{len(found.factories)}")
            found.factories.append(spec)
        elif word == "--logits":
            found.logits = True
        elif word == "--allow-pickle":
            found.allow_pickle = True
        else:
            out.append(word)
    return out, found


class _UsageError(ValueError):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def is_marker(word: Any) -> bool:
    return isinstance(word, str) and word.startswith(_MARK)


def resolve(value: Any, found: SourceArgs) -> Any:
    """A parsed argument with its source markers (and model folders, given `--logits` or
    `--allow-pickle`) turned into `UserSource`s; anything else unchanged."""
    from latent_atlas.explorer.session.user_code import PythonFactory, UserSource
    from latent_atlas.explorer.session.user_model import folder_kind

    output = "logits" if found.logits else None
    if isinstance(value, list):
        return [resolve(v, found) for v in value]
    if is_marker(value):
        spec = found.factories[int(value[len(_MARK):])]
        return UserSource(PythonFactory(spec), output=output, allow_pickle=found.allow_pickle)
    if isinstance(value, str) and (output or found.allow_pickle):
        from pathlib import Path

        if folder_kind(Path(value)) is not None:
            return UserSource(value, output=output, allow_pickle=found.allow_pickle)
    return value


def attach(args: argparse.Namespace, found: SourceArgs) -> None:
    """Replace the markers in parsed `args` (every attribute, lists too)."""
    if not found:
        return
    for key, value in vars(args).items():
        setattr(args, key, resolve(value, found))


_told = False


def tell_once(found: SourceArgs) -> None:
    """Say once per process that --python runs the named code."""
    global _told
    if found.factories and not _told:
        from latent_atlas.explorer.session.user_code import RUNS_CODE

        print(f"latent-atlas: {RUNS_CODE.format(spec=', '.join(found.factories))}",
              file=sys.stderr)
        _told = True
