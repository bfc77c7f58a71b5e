"""Issue 14, case 10 (and case 1 in the window): `latent-atlas FILE --screenshot` and
`--compare` with files that cannot be shown end at once with exit code 2 and the reason,
never after a 300 s wait and never without saying why."""

from __future__ import annotations

import pytest
from cases import base, fifo
from fuzzkit import make_model_file, run_cli

pytest.importorskip("PySide6")


def _gui(tmp_path, *args):
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return run_cli([*args, "--screenshot", tmp_path / "shot.png"], env=env)


def _errors(run) -> list[str]:
    return [line for line in run.lines if line.startswith("latent-atlas: error:")]


def test_a_fifo_given_to_the_window_exits_2_with_the_reason(tmp_path):
    run = _gui(tmp_path, fifo(tmp_path, "f.safetensors"))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert any("not a regular file" in line for line in _errors(run)), run.stderr
    assert not (tmp_path / "shot.png").exists()


def test_a_model_that_cannot_be_built_exits_2_at_once(tmp_path):
    from latent_atlas.models.modelfile import read_model_file, write_model_file

    mf = read_model_file(base(tmp_path))
    arrays = dict(mf.arrays)
    arrays["model.mu_head.weight"] = arrays["model.mu_head.weight"].T.copy()  # transposed
    write_model_file(tmp_path / "t.safetensors", mf.meta, arrays)
    run = _gui(tmp_path, tmp_path / "t.safetensors")
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    errors = _errors(run)
    assert len(errors) == 1 and "mu_head.weight" in errors[0], run.stderr
    assert not (tmp_path / "shot.png").exists()


def test_compare_of_models_with_other_image_shapes_exits_2_with_the_reason(tmp_path):
    small = base(tmp_path)
    big = make_model_file(tmp_path / "big.safetensors", input_shape=(1, 16, 16), with_map=False,
                          data_spec="shapes:100?size=16")
    run = _gui(tmp_path, "--compare", small, big)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert len(_errors(run)) == 1 and "Cannot compare" in _errors(run)[0], run.stderr
