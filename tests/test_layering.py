"""The layering rule of docs/architecture.md, checked on the source and on a live import."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = {"PySide6", "pyqtgraph", "superqt", "qtpy", "PyQt5", "PyQt6", "shiboken6"}


def _imports(path: Path) -> set[str]:
    """Top-level packages imported, with our own named by their second part
    (`latent_atlas.explorer.core.x` -> `explorer`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    full: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            full.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            full.add(node.module)
    return {".".join(m.split(".")[:2]).removeprefix("latent_atlas.") if m.startswith("latent_atlas.")
            else m.split(".")[0] for m in full}


def test_models_import_neither_qt_nor_explorer():
    files = list((ROOT / "models").rglob("*.py"))
    assert files
    for f in files:
        bad = _imports(f) & (QT_MODULES | {"explorer"})
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_core_never_imports_qt():
    files = list((ROOT / "explorer" / "core").rglob("*.py"))
    assert files
    for f in files:
        bad = _imports(f) & QT_MODULES
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_importing_core_loads_no_qt_at_runtime():
    code = (
        "import sys, importlib, pkgutil, latent_atlas.explorer.core, latent_atlas.models\n"
        "for pkg in (latent_atlas.explorer.core, latent_atlas.models):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(QT_MODULES)!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules loaded by core: {out.stdout}"


def test_import_contracts_hold():
    """The contracts in pyproject.toml ([tool.importlinter]): models < explorer.core, no Qt
    in either, no import circles between the modules of either."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        import pytest

        message = "import-linter is not installed (pip install -e '.[test]')"
        if os.environ.get("CI"):  # CI installs the test extra: a missing linter is a fault
            pytest.fail(message)
        pytest.skip(message)
    out = subprocess.run([exe, "--no-cache"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
