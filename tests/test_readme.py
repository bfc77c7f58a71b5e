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
    assert '".[test]"' in test and "pytest" in test


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
