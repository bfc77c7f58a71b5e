"""Shared CLI plumbing: the user-error boundary and small argument helpers."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# one definition for the CLI and the Python API (explorer.session.headless)
from latent_atlas.explorer.session.headless import json_safe  # noqa: F401  (re-exported)
from latent_atlas.explorer.session.headless import table_name as model_name  # noqa: F401

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


class UserError(Exception):
    """Something the user can fix; printed as one line, exit code 2."""


@dataclass
class _Status:
    code: int = EXIT_USAGE


def user_error_types() -> tuple[type[BaseException], ...]:
    """Every exception type whose message is written for the user."""
    from latent_atlas.explorer.session.errors import typed_errors

    return (UserError, *typed_errors(), ValueError, OSError)


@contextlib.contextmanager
def user_errors():
    """Turn user-facing exceptions into `latent-atlas: error: ...` and exit code 2."""
    status = _Status()
    try:
        yield status
    except KeyboardInterrupt:
        print("latent-atlas: interrupted", file=sys.stderr)
        status.code = EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main() exits quietly
    except user_error_types() as exc:
        print(f"latent-atlas: error: {one_line(exc)}", file=sys.stderr)
        status.code = EXIT_USAGE
    except MemoryError:
        print("latent-atlas: error: not enough memory for this; use a smaller data set "
              "(--limit N) or model", file=sys.stderr)
        status.code = EXIT_USAGE


def one_line(exc: BaseException) -> str:
    """The message of an exception on one line (OS errors name their file)."""
    if isinstance(exc, OSError) and not isinstance(exc, UserError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def check_output(path: str | os.PathLike, suffixes: tuple[str, ...], *,
                 inputs: tuple[str | os.PathLike | None, ...] = (),
                 flag: str = "--out") -> Path:
    """An output path, checked before any work starts: its suffix, that its folder takes a
    new file (see latent_atlas.explorer.session.commands.outputs) and that it is none of the
    `inputs`."""
    from latent_atlas.explorer.session.commands.outputs import check_output as checked

    return checked(path, suffixes, inputs=inputs, flag=flag, error=UserError)


def drain_with_progress(gen, quiet: bool):
    """Run a core generator to its result with a progress bar on stderr. The bar appears
    with the first progress event, so input the generator refuses before any work is one
    error line, not a bar and a line."""
    from tqdm import tqdm

    from latent_atlas.explorer.core.progress import drain

    bar = None

    def on_progress(event) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=1.0, disable=quiet, file=sys.stderr, dynamic_ncols=True,
                       bar_format="{percentage:3.0f}%|{bar}| {elapsed} {postfix}")
        bar.n = round(event.fraction or 0.0, 3)
        bar.set_postfix_str(event.message, refresh=False)
        bar.refresh()

    try:
        return drain(gen, on_progress)
    finally:
        if bar is not None:
            bar.close()


def print_result(result, args, table) -> None:
    """A core result on stdout: `result.to_dict()` plus the model file as JSON with
    `--json`, else `table(result, markdown=args.markdown)`."""
    import json

    if args.json:
        doc = result.to_dict()
        doc["file"] = str(args.file)
        print(json.dumps(json_safe(doc), indent=2))
    else:
        print(table(result, markdown=args.markdown))


def at_least(minimum: int):
    """An argparse type: a whole number >= minimum, refused while the arguments are read
    (before any work), with the bound in the message."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    whole_number.__name__ = f"whole number >= {minimum}"
    return whole_number


def fraction_in(low: float, high: float, what: str = "number"):
    """An argparse type: a finite number in [low, high]."""
    import math

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not '{text}'") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a finite {what} from {low:g} to "
                                             f"{high:g}, not {text}")
        return value

    number.__name__ = what
    return number


def add_format_flags(p: argparse.ArgumentParser, json_help: str = "print machine-readable JSON",
                     markdown_help: str = "print the table as markdown") -> None:
    """--json and --markdown: one output format or the other, never both."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help=json_help)
    g.add_argument("--markdown", action="store_true", help=markdown_help)
