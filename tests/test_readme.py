"""The README's two commands stay true: CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_the_two_commands():
    cmds = _commands()
    assert len(cmds) >= 2
    install, test = cmds[0], cmds[1]
    assert install.rstrip().endswith("latent-atlas")
    assert 'torch==2.13.0' in install and 'torch==2.13.0' in test
    extras = re.search(r'-e "\.\[([^\]]+)\]"', test)
    assert extras and "pytest" in test
    # the test extra, and the extras of the model sources so that their tests run (issue 21)
    assert {"test", "onnx", "diffusers", "pythae"} <= set(extras.group(1).split(","))


def test_ci_runs_the_readme_test_command_verbatim():
    test = _commands()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def test_every_runtime_dependency_is_declared():
    import tomllib

    deps = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    for name in ("torch", "numpy", "PySide6-Essentials", "pyqtgraph", "umap-learn", "scikit-learn",
                 "safetensors", "Pillow", "platformdirs"):
        assert name in deps, name


# --- The README names only flags, defaults and options the app has (issue 26) ----------

_OTHER_PROGRAMS = ("tensorboard", "torchrun", "pip", "python", "ssh", "scp", "sudo", "bash",
                   "sh", "cd", "QT_QPA_PLATFORM")
_FLAG = re.compile(r"--[a-z][a-z0-9-]*")


def _parsers():
    from latent_atlas.explorer.cli import build_parser, command_names

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {name: sub.choices[name] for name in command_names(parser)}


def _options(parser) -> dict:
    return {opt: a for a in parser._actions for opt in a.option_strings}


_GUI_FLAGS = {"--compare", "--screenshot", "--help", "-h", "--version"}


def _uses(text: str, commands: set[str]) -> list[tuple[str | None, str]]:
    """(command or None for the window, the words after it) for every `latent-atlas ...`
    in the README's inline code, table rows and code blocks. Backticked words in a table
    row that starts with a command belong to that command."""
    uses = []
    for line in _logical_lines(text):
        row_command = None
        m = re.match(r"\|\s*`latent-atlas ([a-z-]+)", line)
        if m and m.group(1) in commands:
            row_command = m.group(1)
        spans = re.findall(r"`([^`]+)`", line) if "`" in line else [line]
        for span in spans:
            for part in re.split(r"(?=latent-atlas\b)", span):
                words = part.strip()
                if words.startswith("latent-atlas"):
                    rest = words[len("latent-atlas"):].strip()
                    first = rest.split(" ")[0] if rest else ""
                    if first in commands:
                        uses.append((first, rest[len(first):]))
                    else:
                        uses.append((None, rest))
                elif row_command and words.startswith("--"):
                    uses.append((row_command, words))
    return uses


def _logical_lines(text: str) -> list[str]:
    """Lines, with a code block's backslash continuations joined."""
    return re.sub(r"\\\n\s*", " ", text).splitlines()


def test_every_flag_the_readme_names_is_in_the_commands_help():
    parsers = _parsers()
    text = (ROOT / "README.md").read_text()
    uses = _uses(text, set(parsers))
    assert len(uses) > 60
    wrong = []
    for command, words in uses:
        words = re.split(r"\b(?:" + "|".join(_OTHER_PROGRAMS) + r")\b", words)[0]
        known = _GUI_FLAGS if command is None else set(_options(parsers[command]))
        wrong += [f"{command or '(window)'} {f}" for f in _FLAG.findall(words) if f not in known]
    assert not wrong, f"the README names flags the commands do not have: {sorted(set(wrong))}"


def test_the_choices_and_defaults_the_readme_names_are_the_commands():
    parsers = _parsers()
    text = (ROOT / "README.md").read_text()
    problems = []
    for command, words in _uses(text, set(parsers)):
        if command is None:
            continue
        options = _options(parsers[command])
        words = words.replace("\\|", "|")
        for flag, values in re.findall(r"(--[a-z][a-z0-9-]*) ([a-z0-9][a-z0-9-]*(?:\|[a-z0-9-]+)+)",
                                       words):
            action = options.get(flag)
            if action is not None and action.choices:
                problems += [f"{command} {flag} {v}" for v in values.split("|")
                             if v not in action.choices]
        for flag, value in re.findall(r"\[(--[a-z][a-z0-9-]*) ([^\]\s|A-Z…]+)\]", words):
            action = options.get(flag)
            if action is not None and value != str(action.default) \
                    and value not in (action.help or ""):
                problems.append(f"{command} [{flag} {value}]: default {action.default!r}")
    m = re.search(r"Defaults: `([^`]+)`", text)  # train's defaults, in the command table
    assert m, "the README states train's defaults"
    train = _options(parsers["train"])
    for flag, value in re.findall(r"(--[a-z-]+) (\S+)", m.group(1)):
        action = train[flag]
        if str(action.default) != value and f"default {value}" not in (action.help or ""):
            problems.append(f"train {flag} {value}: default {action.default!r}")
    assert not problems, problems


def test_help_shows_every_default():
    for name, parser in _parsers().items():
        for action in parser._actions:
            if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
                assert "default" in (action.help or ""), f"{name} {action.option_strings[0]}"


def test_the_data_options_the_readme_names_are_the_sources_own():
    from latent_atlas.explorer.core.data import source_names, source_options
    from latent_atlas.explorer.core.data.folder import DEFAULT_SIZE
    from latent_atlas.explorer.core.data.options import ALIASES

    text = (ROOT / "README.md").read_text()
    names = source_names()

    def takes(source: str, option: str) -> bool:
        return ALIASES.get(option, option) in source_options(source)

    # every spec with options written out (`folder:faces?size=64&channels=3`, `?size=64`)
    for source, query in re.findall(r"`([a-z-]+)(?::[^`?\s]*)?\?([^`]+)`", text):
        for key in re.findall(r"([a-z]+)=", query):
            assert takes(source, key), f"{source} does not take {key}"
    # the spec table: a row's `?key=` and the options it lists
    for row in re.findall(r"^\| `([a-z-]+)(?:\[?:[^`]*)?` \|(.*)\|$", text, flags=re.M):
        source, cell = row
        if source not in names:
            continue
        for key in re.findall(r"\?([a-z]+)=", cell):
            assert takes(source, key), f"{source} does not take {key}"
        if "options" in cell:
            listed = re.findall(r"`([a-z]+)`", cell.split("options", 1)[1])
            assert listed and all(takes(source, k) for k in listed), (source, listed)
    folder_row = re.search(r"^\| `folder:DIR` \|(.*)$", text, flags=re.M).group(1)
    assert f"`size` (default {DEFAULT_SIZE})" in folder_row and "alias `max`" in folder_row
    assert ALIASES == {"max": "limit"}
    # "Common options: `limit`, ... (every source), and `split` (...; `a`, `b` ... only)"
    m = re.search(r"Common options: (.*?) \(every source\), and `split` \((.*?) only\)", text,
                  flags=re.S)
    assert m, "the README lists the common options"
    for option in re.findall(r"`([a-z]+)`", m.group(1)):
        assert all(takes(s, option) for s in names), option
    with_split = set(re.findall(r"`([a-z-]+)`", m.group(2)))
    assert with_split == {s for s in names if takes(s, "split")}


def test_the_readme_says_what_the_screenshot_prints():
    text = (ROOT / "README.md").read_text()
    assert "`first_paint_s=… ready_s=… window_paint_s=…`" in text and "`compare_ready_s=…`" in text
    for module in ("explorer/qt/app.py", "explorer/qt/compare/launch.py"):
        source = (ROOT / module).read_text()
        assert ("first_paint_s=" in source and "window_paint_s=" in source) or \
            "compare_ready_s=" in source


def test_the_parquet_hint_is_the_readmes():
    from latent_atlas.explorer.core.io.interop import PARQUET_HINT

    text = (ROOT / "README.md").read_text()
    assert 'pip install -e ".[interop]"' in PARQUET_HINT and 'pip install -e ".[interop]"' in text
