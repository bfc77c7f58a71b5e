"""`latent-atlas compress` and `latent-atlas probe` end to end on the bundled digits AE."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_AE = str(ROOT / "resources" / "models" / "digits_ae.safetensors")


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_compress_json_and_png(tmp_path, capsys):
    out = tmp_path / "rd.png"
    code, text, err = _run(["compress", BUNDLED_AE, "--data", "digits", "--bits", "2,4",
                            "--images", "30", "--examples", "2", "--out", str(out), "--json",
                            "--quiet"], capsys)
    assert code == 0, err
    doc = json.loads(text)
    assert doc["data"] == "digits" and doc["n_held_out"] == 30 and doc["latent_dim"] == 8
    assert [r["bits_per_dim"] for r in doc["rows"]] == [2, 4]
    for r in doc["rows"]:
        assert r["ae"]["bits"] == 8 * r["bits_per_dim"]
        assert r["target_bytes"] == r["ae"]["bits"] / 8
        assert set(r["jpeg"]) == {"file", "scan"}
        assert r["jpeg"]["file"]["bytes"] > r["jpeg"]["scan"]["bytes"]
    assert len(doc["examples"]) == 2
    with Image.open(out) as img:
        assert img.mode == "RGB" and img.width >= 600
        pixels = np.asarray(img)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10  # a drawn chart, not a blank


def test_compress_table(capsys):
    code, text, _ = _run(["compress", BUNDLED_AE, "--bits", "8", "--images", "20", "--quiet"],
                         capsys)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["bits/dim", "AE", "bits", "AE"]
    assert lines[1].split()[:2] == ["8", "64"]  # 8 dims x 8 bits


def test_probe_json(capsys):
    code, text, err = _run(["probe", BUNDLED_AE, "--data", "digits", "--labels", "10%,100%",
                            "--json", "--quiet"], capsys)
    assert code == 0, err
    doc = json.loads(text)
    assert [r["fraction"] for r in doc["rows"]] == [0.1, 1.0]
    for r in doc["rows"]:
        for clf in ("logistic", "knn"):
            assert r["codes"][clf] > 2 * doc["chance"]
            assert r["pixels"][clf] > 2 * doc["chance"]
    assert doc["rows"][1]["n_labelled"] == doc["n_train"]


@pytest.fixture(scope="module")
def unlabelled(tmp_path_factory):
    path = tmp_path_factory.mktemp("npz") / "plain.npz"
    rng = np.random.default_rng(0)
    np.savez(path, images=(rng.random((40, 8, 8)) * 255).astype(np.uint8))
    return f"npz:{path}"


@pytest.mark.parametrize("argv,message", [
    (["compress", BUNDLED_AE, "--bits", "0"], "--bits"),
    (["compress", BUNDLED_AE, "--bits", "two"], "--bits"),
    (["compress", BUNDLED_AE, "--bits", "17"], "--bits"),
    (["compress", BUNDLED_AE, "--images", "1"], "--images"),
    (["compress", BUNDLED_AE, "--examples", "99"], "--examples"),
    (["compress", BUNDLED_AE, "--out", "x.jpg"], "--out"),
    (["compress", BUNDLED_AE, "--data", "shapes:50"], "takes 8×8×1"),
    (["compress", "/nonexistent/model.safetensors"], ""),
    (["probe", BUNDLED_AE, "--labels", "0%"], "--labels"),
    (["probe", BUNDLED_AE, "--labels", "lots"], "--labels"),
    (["probe", BUNDLED_AE, "--seed", "-1"], "--seed"),
])
def test_bad_inputs_exit_2_with_one_line(argv, message, capsys):
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.startswith("latent-atlas: error:") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_probe_of_unlabelled_data_exits_2(unlabelled, capsys):
    code, _, err = _run(["probe", BUNDLED_AE, "--data", unlabelled, "--quiet"], capsys)
    assert code == 2 and "no labels" in err and "Traceback" not in err


@pytest.mark.parametrize("options,message", [
    ({"kind": "cvae", "arch": "mlp", "hidden": (8,), "n_classes": 10},
     "a conditional model needs each image's label beside its code; compress a plain "
     "(unconditional) model"),
    ({"kind": "ae", "arch": "conv", "hidden": (4, 8), "upsample": "max-unpool",
      "downsample": "max"},
     "a max-unpooling decoder needs the encoder's switches beside the code, so the code "
     "alone is not a compressed image; compress a model with another upsampling"),
])
def test_a_model_whose_code_is_not_the_image_is_one_line_before_any_progress(
        options, message, tmp_path, capsys):
    from latent_atlas.explorer.session.commands.train import new_model
    from latent_atlas.models.checkpoint import save_model
    from latent_atlas.models.config import ModelConfig

    path = tmp_path / "m.safetensors"
    config = ModelConfig(input_shape=(1, 8, 8), latent_dim=2, **options)
    save_model(path, new_model(config), data_spec="digits?limit=100")
    code, out, err = _run(["compress", str(path)], capsys)  # no --quiet: a bar would show
    assert code == 2 and out == ""
    assert err == f"latent-atlas: error: {message}\n"
