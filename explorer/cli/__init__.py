"""The `latent-atlas` command. No subcommand opens the window; subcommands run headless.

Each command group lives in its own module with `register(subparsers)`; a command's
handler takes the parsed args and returns an exit code. Any `UserError` (bad input, bad
file, bad data) becomes one readable line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from .common import EXIT_INTERRUPTED, EXIT_USAGE, UserError, user_errors
from .sources import HELP as SOURCES_HELP

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a closed pipe

# Command modules, in the order their commands appear in --help.
_COMMAND_MODULES = ("train", "data", "map", "traverse", "apps", "denoise", "compare", "codes", "sweep", "export")


_GUI_USAGE = """\
Without a command, opens the window:
  latent-atlas [FILE.safetensors ...] [--compare] [--screenshot OUT.png] [--data SPEC]
    FILE          model files to open (default: the bundled digits AE and VAE), or a
                  view saved with File > Save view... (VIEW.json)
    --compare     open the AE-vs-VAE compare view
    --screenshot  render the window offscreen, save a PNG, print timings, exit
    --data        the data of models opened with --python (or a folder)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with one line, as argparse does, but no usage dump
        self.exit(EXIT_USAGE, f"latent-atlas: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from latent_atlas.explorer import __version__

    parser = _Parser(
        prog="latent-atlas",
        description="Latent Atlas: look inside autoencoders.",
        epilog=_GUI_USAGE + "\n" + SOURCES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"latent-atlas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        mod.register(sub)
    for command in sub.choices.values():
        show_defaults(command)
    return parser


def show_defaults(parser: argparse.ArgumentParser) -> None:
    """Every option's default in --help: appended to its help text unless the text already
    names it (as "(default 7)" or "default: the data the model was trained on")."""
    for action in parser._actions:
        default = action.default
        if (not action.option_strings or action.help == argparse.SUPPRESS
                or default is None or default is False or default == argparse.SUPPRESS
                or "default" in (action.help or "")):
            continue
        shown = str(default).replace("%", "%%")
        action.help = f"{action.help} (default {shown})" if action.help else f"default {shown}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr, never a traceback."""
    _escape_unencodable_output()
    try:
        code = _main(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe must show up here, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader went away (`latent-atlas info F | head -c 10`): stop quietly.
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("latent-atlas: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str]) -> int:
    from .sources import attach, is_marker, take_sources, tell_once

    try:
        argv, found = take_sources(argv)
    except ValueError as exc:
        print(f"latent-atlas: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    tell_once(found)
    if is_marker(_first_positional(argv)):  # `latent-atlas --python my.py:make`: the window
        return _run_gui(argv, None, found)
    first = _first_positional(argv)
    # Opening the window must not pay for building every subcommand parser: no word at
    # all, or an existing file with a suffix (no command has a dot in its name), is the GUI.
    wants_help = any(a in ("-h", "--help", "--version") for a in argv)
    if not wants_help and (first is None or ("." in Path(first).name and Path(first).is_file())):
        return _run_gui(argv, None, found)
    parser = build_parser()
    commands = command_names(parser)
    if first is not None and first not in commands and not wants_help:
        return _run_gui(argv, commands, found)
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_gui(argv, commands, found)
    with user_errors() as status:
        attach(args, found)
        return args.handler(args)
    return status.code


def command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The subcommands a parser knows, in --help order."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def _first_positional(argv: list[str]) -> str | None:
    """The first word that is not an option (nor the value of the window's --screenshot)."""
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--screenshot":
            skip = True
        elif not a.startswith("-") or a == "-":
            return a
    return None


def _escape_unencodable_output() -> None:
    """File and label names may hold bytes that are not UTF-8 (or lone surrogates):
    print them escaped instead of failing under a strict UTF-8 (or ASCII) locale."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _missing_file_message(path: str, first: bool, commands: list[str] | None) -> str:
    """Why `path`, given where a model file or a command goes, opens nothing."""
    import difflib

    looks_like_file = "." in Path(path).name or "/" in path or os.sep in path
    if first and not looks_like_file:
        commands = commands if commands is not None else command_names(build_parser())
        close = difflib.get_close_matches(path.lower(), commands, n=1, cutoff=0.6)
        if close:
            return f"unknown command '{path}'; did you mean '{close[0]}'?"
        return (f"unknown command '{path}', and no model file of that name; commands: "
                f"{', '.join(commands)} (latent-atlas --help)")
    return f"no such model file: {path}"


def _run_gui(argv: list[str], commands: list[str] | None = None, found=None) -> int:
    from .sources import attach, is_marker

    parser = _Parser(prog="latent-atlas")
    parser.add_argument("files", nargs="*")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--screenshot")
    parser.add_argument("--data")
    first = _first_positional(argv)
    if first is not None and not is_marker(first) and not os.path.exists(first):
        print(f"latent-atlas: error: {_missing_file_message(first, True, commands)}",
              file=sys.stderr)  # before parsing: `trian --data x`
        return EXIT_USAGE
    args = parser.parse_args(argv)
    for path in args.files:
        if not is_marker(path) and not os.path.exists(path):
            print(f"latent-atlas: error: {_missing_file_message(path, False, commands)}",
                  file=sys.stderr)
            return EXIT_USAGE
    if args.screenshot:
        from .common import check_output

        with user_errors() as status:
            check_output(args.screenshot, (".png",), flag="--screenshot")
            status.code = 0
        if status.code:
            return status.code
    # Before Qt is imported: without a display Qt aborts the process with a plugin list.
    from latent_atlas.explorer.qt.platform_check import display_problem

    problem = display_problem(offscreen=bool(args.screenshot))
    if problem:
        print(f"latent-atlas: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from latent_atlas.explorer.qt.app import run_app
    except ImportError as exc:
        print(f"latent-atlas: error: the window cannot start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if found:
        attach(args, found)
    if args.data is None:
        return run_app(files=args.files, compare=args.compare, screenshot=args.screenshot)
    return run_app(files=args.files, compare=args.compare, screenshot=args.screenshot,
                   data=args.data)


__all__ = ["main", "build_parser", "UserError"]
