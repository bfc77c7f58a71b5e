"""`latent-atlas --screenshot`: offscreen render, timings printed, clean exit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "-m", "explorer.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def test_screenshot_saves_the_window_and_prints_timings(tmp_path, model_files):
    from PIL import Image

    out = tmp_path / "shot.png"
    proc = _run(["--screenshot", str(out), *model_files], tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"first_paint_s=(\d+\.\d+) ready_s=(\d+\.\d+)", proc.stdout)
    assert m, proc.stdout
    assert 0 < float(m.group(1)) <= float(m.group(2))
    assert "Fatal Python error" not in proc.stderr and "Traceback" not in proc.stderr
    img = Image.open(out)
    assert img.size[0] >= 800 and img.size[1] >= 600
    # the map is painted: the picture has many colours, not a blank window
    assert len(img.convert("RGB").getcolors(1 << 20) or []) > 50


def test_compare_flag_renders_the_compare_view_and_exits_cleanly(tmp_path, model_files):
    out = tmp_path / "compare.png"
    proc = _run(["--compare", "--screenshot", str(out), *model_files], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Fatal Python error" not in proc.stderr and "Traceback" not in proc.stderr
    from PIL import Image

    with Image.open(out) as img:
        assert img.width > 800 and img.height > 500


def test_bad_file_on_the_command_line_still_exits_cleanly(tmp_path, model_files):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage")
    out = tmp_path / "bad.png"
    proc = _run(["--screenshot", str(out), str(bad), model_files[0]], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Cannot open model: bad.safetensors" in proc.stderr
    assert "Fatal Python error" not in proc.stderr
