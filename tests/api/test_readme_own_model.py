"""The README's "Your own model" example runs as written: a plain PyTorch VAE, trained for
a few steps, opened by `latent_atlas.open`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Your own model", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section holds one example"
    return blocks[0]


def test_the_example_is_short_and_defines_its_own_model():
    code = _example()
    assert 15 <= len(code.strip().splitlines()) <= 35
    assert "class VAE(nn.Module)" in code and "la.open(vae" in code


def test_the_readme_example_runs_as_written(tmp_path):
    out = subprocess.run([sys.executable, "-c", _example()], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["user-vae", "(1797,", "4)", "(1,", "1,", "8,", "8)"], out.stdout
