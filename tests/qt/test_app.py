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
    m = re.search(r"first_paint_s=(\d+\.\d+) ready_s=(\d+\.\d+) window_paint_s=(\d+\.\d+)",
                  proc.stdout)
    assert m, proc.stdout
    first, ready, window = (float(g) for g in m.groups())
    assert 0 < first <= ready
    # the stored map is painted as a preview before the main window (pyqtgraph) is built
    assert first < window
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
    # issue 24: when the maps were usable, beside when everything (metrics too) was done
    m = re.search(r"maps_ready_s=(\d+\.\d+) aligned_s=(\d+\.\d+) first_metric_s=(\d+\.\d+)"
                  r" all_metrics_s=(\d+\.\d+) compare_ready_s=(\d+\.\d+)", proc.stdout)
    assert m, proc.stdout
    maps, aligned, first, every, ready = (float(g) for g in m.groups())
    assert 0 < maps <= aligned <= ready and first <= every <= ready
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


def test_without_a_stored_map_the_first_paint_is_the_window(tmp_path):
    """A model file without a map has no preview: both figures are the window's paint."""
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    path = tmp_path / "nomap.safetensors"
    save_explorable(path, build_model(ModelConfig(kind="ae", input_shape=(1, 8, 8),
                                                  latent_dim=2, hidden=(16,))),
                    data_spec="digits")
    proc = _run(["--screenshot", str(tmp_path / "shot.png"), str(path)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"first_paint_s=(\d+\.\d+) ready_s=\S+ window_paint_s=(\d+\.\d+)",
                  proc.stdout)
    assert m, proc.stdout
    assert m.group(1) == m.group(2)
