"""First contact (issue 26): the mistakes a new user makes each get one helpful line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from latent_atlas.explorer.cli import build_parser, command_names, main
from latent_atlas.explorer.qt.platform_check import display_problem

BUNDLED = "resources/models/digits_ae.safetensors"


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv, needle", [
    (["trian", "--data", "digits", "--epochs", "1", "--out", "x.safetensors"],
     "unknown command 'trian'; did you mean 'train'?"),
    (["projct", "vae.safetensors"], "unknown command 'projct'; did you mean 'project'?"),
    (["inof", BUNDLED], "did you mean 'info'?"),
    (["nosuch.safetensors"], "no such model file: nosuch.safetensors"),
    (["--compare", BUNDLED, "gone/b.safetensors"], "no such model file: gone/b.safetensors"),
    (["zebra"], "unknown command 'zebra', and no model file of that name; commands: train"),
])
def test_a_mistyped_command_or_missing_file_is_one_line_never_a_window(argv, needle, capsys,
                                                                       monkeypatch):
    import latent_atlas.explorer.qt.app as app

    monkeypatch.setattr(app, "run_app", lambda **kw: pytest.fail("the window must not open"))
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"latent-atlas: error: {needle}"] or needle in err
    assert len(err.strip().splitlines()) == 1


def test_the_command_names_come_from_the_parser():
    names = command_names(build_parser())
    assert {"train", "info", "data", "project", "decode", "compare", "export"} <= set(names)
    import latent_atlas.explorer.cli as cli

    assert not hasattr(cli, "_known_commands")  # no second, hand-written list


def _gui_env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(changes)
    return env


@pytest.mark.parametrize("display, why", [
    (None, "DISPLAY is not set"), ("", "DISPLAY is empty"),
    (":97", "no X server answers at DISPLAY=:97"),
])
def test_no_display_is_one_line_with_what_to_do_before_qt_loads(display, why):
    env = _gui_env() if display is None else _gui_env(DISPLAY=display)
    code = ("import sys; from latent_atlas.explorer.cli import main; rc = main([]); "
            "assert 'PySide6' not in sys.modules, 'Qt was imported'; sys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0]
    for hint in ("ssh -X", "QT_QPA_PLATFORM=offscreen", "--screenshot", "headless commands"):
        assert hint in lines[0]


def test_a_reachable_display_offscreen_or_wayland_is_not_refused(monkeypatch, tmp_path):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert display_problem(offscreen=True) is None  # --screenshot renders offscreen
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert display_problem() is None
    monkeypatch.delenv("WAYLAND_DISPLAY")
    # An X server listening on a socket: the check connects and lets the window start.
    import latent_atlas.explorer.qt.platform_check as pc

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "X42"))
    server.listen(1)
    try:
        monkeypatch.setattr(pc, "X11_SOCKET_DIR", str(tmp_path))
        monkeypatch.setattr(pc._x11_reachable, "__defaults__", (str(tmp_path), 1.0))
        monkeypatch.setenv("DISPLAY", ":42")
        assert display_problem() is None
        monkeypatch.setenv("DISPLAY", ":43")
        assert "no X server answers at DISPLAY=:43" in display_problem()
    finally:
        server.close()


# --- map coordinates ----------------------------------------------------------------------

def test_info_shows_the_map_range_in_text_and_json(capsys):
    import json

    from latent_atlas.explorer.core.latent.map import load_map

    x0, x1, y0, y1 = load_map(BUNDLED).bounds()
    code, out, _ = _run(["info", BUNDLED], capsys)
    assert code == 0 and f"x {x0:.2f}..{x1:.2f}, y {y0:.2f}..{y1:.2f}" in out
    code, out, _ = _run(["info", BUNDLED, "--json"], capsys)
    doc = json.loads(out)
    assert doc["map"]["x_range"] == pytest.approx([x0, x1])
    assert doc["map"]["y_range"] == pytest.approx([y0, y1])


def test_decode_outside_the_data_says_so_and_how_far(tmp_path, capsys):
    """Decided: it still decodes (exit 0) and says, per point, how far outside it lies."""
    from latent_atlas.explorer.core.latent.map import load_map

    x0, x1, y0, y1 = load_map(BUNDLED).bounds()
    out = tmp_path / "d.png"
    inside = load_map(BUNDLED).positions[0]
    code, _, err = _run(["decode", BUNDLED, "--xy", "1000,1000", "--xy",
                         f"{inside[0]},{inside[1]}", "--out", out], capsys)
    assert code == 0 and out.exists()
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "point (1000, 1000) lies outside the data's map" in notes[0]
    assert "map units from its edge" in notes[0] and f"x {x0:.2f}..{x1:.2f}" in notes[0]


def test_hull_distance_is_zero_inside_and_euclidean_outside():
    import numpy as np

    from latent_atlas.explorer.core.latent.hull import hull_distance

    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], float)
    far = hull_distance(square, np.array([[0.5, 0.5], [1, 1], [2, 0.5], [4, 5], [-3, -4]]))
    assert far.distance == pytest.approx([0, 0, 1, 5, 5])
    assert list(far.outside) == [False, False, True, True, True] and far.extent == 1
    line = np.array([[0, 0], [1, 0], [2, 0]], float)  # all on one line: a segment
    assert hull_distance(line, np.array([[1, 2], [3, 0]])).distance == pytest.approx([2, 1])


# --- readable pictures --------------------------------------------------------------------

@pytest.mark.parametrize("argv, images", [
    (["decode", BUNDLED, "--xy", "0,0", "--xy", "1,1"], 2),
    (["interpolate", BUNDLED, "--from", "0", "--to", "5", "--steps", "3"], 3),
    (["retrieve", BUNDLED, "--index", "0", "--k", "2"], 2),
])
def test_small_images_are_enlarged_to_at_least_128_px_by_default(argv, images, tmp_path,
                                                                  capsys):
    from PIL import Image

    out = tmp_path / "o.png"
    code, _, err = _run([*argv, "--out", out], capsys)
    assert code == 0, err
    with Image.open(out) as img:
        assert img.height >= 128 and img.width >= images * 128


def test_denoise_labels_its_rows_and_column(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from latent_atlas.explorer.core.io.exports import labelled_picture

    out = tmp_path / "d.png"
    code, _, err = _run(["denoise", BUNDLED, "--index", "3", "--level", "0.3", "--baselines",
                         "median", "--out", out], capsys)
    assert code == 0, err
    rows = [np.zeros((1, 8, 8), np.uint8)] * 4
    plain = labelled_picture(rows, [""] * 4, None, scale=16)
    with Image.open(out) as img:  # wider and taller than the bare column: labels beside/above
        assert img.height >= 4 * 128 and img.width > plain.shape[1] + 100
        pixels = np.asarray(img.convert("L"))
    assert (pixels[:, :100] < 128).any()  # dark text in the label column (left of images)


def test_compare_of_two_data_sets_fails_on_the_shapes_before_printing_anything(tmp_path,
                                                                              capsys):
    other = tmp_path / "shapes_ae.safetensors"
    assert main(["train", "--data", "shapes:64", "--arch", "mlp", "--model", "ae", "--epochs",
                 "1", "--quiet", "--out", str(other)]) == 0
    capsys.readouterr()
    code, out, err = _run(["compare", BUNDLED, other], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "latent-atlas: error: digits_ae takes 8×8×1 images but shapes_ae takes 32×32×1; "
        "compare two models of the same data"]
