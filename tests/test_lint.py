"""ruff (configured in pyproject.toml) stays clean on the whole tree."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it comes with the test extras)")
    out = subprocess.run([ruff, "check", "explorer", "models", "tests", "benchmarks", "main.py",
                          "latent_atlas/__init__.py", "latent_atlas/__main__.py",
                          "latent_atlas/api.py"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
