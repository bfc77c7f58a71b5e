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
    return subprocess.run([sys.executable, "-m", "latent_atlas.explorer.cli", *args], capture_output=True,
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


def test_a_pair_fresh_from_train_pair_opens_in_the_compare_view(tmp_path):
    """`train-pair` stores no map; `--compare` maps both files itself, with no dialog."""
    from PIL import Image

    prefix = tmp_path / "p"
    proc = _run(["train-pair", "--data", "digits", "--latent-dim", "3", "--epochs", "1",
                 "--arch", "mlp", "--hidden", "32", "--out", str(prefix), "--quiet"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    files = [f"{prefix}_ae.safetensors", f"{prefix}_vae.safetensors"]
    out = tmp_path / "pair.png"
    proc = _run(["--compare", *files, "--screenshot", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"compare_ready_s=\d+\.\d+", proc.stdout), proc.stdout
    assert "Cannot" not in proc.stderr and "Traceback" not in proc.stderr
    with Image.open(out) as img:
        assert img.width > 800 and len(img.convert("RGB").getcolors(1 << 20) or []) > 50


def test_compare_screenshot_of_an_unusable_pair_exits_2_with_the_reason(tmp_path, model_files):
    out = tmp_path / "one.png"
    proc = _run(["--compare", model_files[0], "--screenshot", str(out)], tmp_path)
    assert proc.returncode == 2
    assert "two model files" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
