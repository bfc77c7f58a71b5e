"""`--python FILE.py:FACTORY` on the commands, ONNX pairs on the command line, and
`export --format onnx`: models of your own, each bad one one line and exit 2."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from latent_atlas.explorer.cli import main
from tests import user_models as um

USER = um.__file__
VAE = "resources/models/digits_vae.safetensors"


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_decode_and_interpolate_a_factory_model(tmp_path, capsys):
    out = tmp_path / "o.png"
    code, _, err = _run(["decode", "--python", f"{USER}:make_vae", "--xy", "0,0",
                         "--out", str(out)], capsys)
    assert code == 0 and out.is_file()
    assert err.count("runs the Python code you name") == 1  # said once
    code, _, _ = _run(["interpolate", "--python", f"{USER}:make_ae", "--data", "digits",
                       "--from", "0", "--to", "5", "--out", str(tmp_path / "i.png")], capsys)
    assert code == 0


def test_a_module_path_factory_and_an_application(capsys):
    code, out, _ = _run(["anomalies", "--python", "tests.user_models:make_pair", "--data",
                         "digits", "--top", "3"], capsys)
    assert code == 0 and "Worst 3 of 1797 images" in out and "user-ae" in out


def test_compare_two_models_of_your_own(capsys):
    code, out, _ = _run(["compare", "--python", f"{USER}:make_ae", "--python",
                         f"{USER}:make_vae", "--data", "digits?limit=300", "--seeds", "0",
                         "--no-classifier", "--probe-labels", "none", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert [(m["name"], m["kind"]) for m in result["models"]] == [("USER-AE", "user-ae"),
                                                                   ("USER-VAE", "user-vae")]


def test_a_file_model_beside_a_factory_model(capsys):
    code, _, _ = _run(["compare", VAE, "--python", f"{USER}:make_ae", "--data",
                       "digits?limit=300", "--seeds", "0", "--no-classifier",
                       "--probe-labels", "none"], capsys)
    assert code == 0


@pytest.mark.parametrize(("factory", "words"), [
    ("make_raises", "make_raises raised RuntimeError: the checkpoint is missing (line"),
    ("make_wrong_shape", "1 x 8 x 8 images"),
    ("make_misfit", "does not take the encoder's codes"),
    ("make_nan", "NaN or infinite"),
    ("make_logits", "--logits"),
    ("make_nothing", "cannot use a int as an autoencoder"),
    ("not_there", "has no 'not_there'"),
])
def test_bad_factories_are_one_line_and_exit_2(factory, words, tmp_path, capsys):
    code, _, err = _run(["decode", "--python", f"{USER}:{factory}", "--data", "digits",
                         "--xy", "0,0", "--out", str(tmp_path / "o.png")], capsys)
    lines = [line for line in err.splitlines() if "error" in line]
    assert code == 2 and len(lines) == 1 and words in lines[0], err


def test_logits_flag_reads_the_decoder_through_a_sigmoid(tmp_path, capsys):
    code, _, err = _run(["decode", "--python", f"{USER}:make_logits", "--logits", "--data",
                         "digits", "--xy", "0,0", "--out", str(tmp_path / "o.png")], capsys)
    assert code == 0, err


def test_a_source_cannot_be_projected_into_a_file(capsys):
    code, _, err = _run(["project", "--python", f"{USER}:make_vae"], capsys)
    assert code == 2 and "cannot be saved as a Latent Atlas model file" in err


def test_python_needs_a_factory(capsys):
    code, _, err = _run(["decode", "--python"], capsys)
    assert code == 2 and "--python needs FILE.py:FACTORY" in err


def test_export_onnx_round_trip_decodes_the_same_pixels(tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    from latent_atlas.explorer.core.inference import decode_float
    from latent_atlas.explorer.session.opening import open_model

    folder = tmp_path / "pair"
    code, _, err = _run(["export", VAE, "--format", "onnx", "--out", str(folder)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["decoder.onnx", "encoder.onnx",
                                                         "latent-atlas.json"]
    ours, theirs = open_model(VAE), open_model(folder)
    assert theirs.model.kind == "onnx-vae" and theirs.data.spec == ours.data.spec
    z = np.random.default_rng(1).standard_normal((32, ours.model.latent_dim)).astype(np.float32)
    np.testing.assert_allclose(decode_float(theirs.model, z), decode_float(ours.model, z),
                               atol=1e-5)
    code, out, _ = _run(["anomalies", str(folder), "--top", "2"], capsys)
    assert code == 0 and "onnx-vae" in out


def test_an_onnx_file_with_wrong_inputs_is_one_line(tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    import torch

    folder = tmp_path / "bad"
    folder.mkdir()

    class TwoInputs(torch.nn.Module):
        def forward(self, x, t):
            return x.flatten(1)[:, :4] + t

    with warnings.catch_warnings():  # the TorchScript exporter is marked deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(TwoInputs(), (torch.rand(2, 1, 8, 8), torch.rand(2, 4)),
                          str(folder / "encoder.onnx"), dynamo=False)
        torch.onnx.export(torch.nn.Linear(4, 64), (torch.rand(2, 4),),
                          str(folder / "decoder.onnx"), dynamo=False)
    code, _, err = _run(["anomalies", str(folder), "--data", "digits"], capsys)
    assert code == 2 and "encoder.onnx takes 2 input(s)" in err, err


def test_info_describes_a_factory_model_from_the_contract(capsys):
    code, out, err = _run(["info", "--python", f"{USER}:make_vae"], capsys)
    assert code == 0, err
    assert "my-vae (user-vae), from Python" in out and "variational" in out
    assert "data:        digits, 1797 images" in out and "conditional: no" in out
    assert "cannot be saved as a Latent Atlas model file" in out  # what it cannot do
    code, out, _ = _run(["info", "--python", f"{USER}:make_spatial", "--data", "digits",
                         "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["code_shape"] == [2, 4, 4] and info["latent_dim"] == 32
    assert not info["variational"] and info["conditioning"] is None
    assert set(info["cannot"]) == {"log_variance", "prior", "labels", "trainable", "saveable"}


def test_info_of_a_factory_with_data_adds_the_latents(capsys):
    code, out, _ = _run(["info", "--python", f"{USER}:make_vae", "--data", "digits",
                         "--limit", "200", "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["n_images"] == 200
    assert info["latents"]["data"] == "digits" and len(info["latents"]["variance"]) == 4
    code, out, _ = _run(["info", "--python", f"{USER}:make_vae", "--data", "digits",
                         "--limit", "200"], capsys)
    assert code == 0 and "latents on digits (ordered by KL)" in out


def test_info_of_an_onnx_folder(tmp_path, capsys):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    code, _, err = _run(["export", "--python", f"{USER}:make_vae", "--format", "onnx",
                         "--out", str(tmp_path / "pair")], capsys)
    assert code == 0, err
    code, out, _ = _run(["info", str(tmp_path / "pair")], capsys)  # the folder names its data
    assert code == 0 and "(onnx-vae), from an ONNX pair" in out and "folder:" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["info", "--python", f"{USER}:make_ae"], "give the data to map"),
    (["info", "--python", f"{USER}:make_raises"], "raised RuntimeError"),
    (["info", "--python", f"{USER}:make_vae", "--data", "digits", "--limit", "1"],
     "--limit must be at least 2"),
])
def test_info_of_a_bad_source_is_one_line_and_exit_2(argv, words, capsys):
    code, out, err = _run(argv, capsys)
    lines = [line for line in err.splitlines() if "error" in line]
    assert code == 2 and not out and len(lines) == 1 and words in lines[0], err


def test_a_conditional_factory_traverses_under_a_label_and_says_what_it_cannot(tmp_path,
                                                                               capsys):
    from PIL import Image

    pictures = {}
    for label in (3, 8):
        out = tmp_path / f"t{label}.png"
        code, _, err = _run(["traverse", "--python", f"{USER}:make_cvae", "--index", "4",
                             "--label", str(label), "--out", str(out)], capsys)
        assert code == 0, err
        pictures[label] = np.asarray(Image.open(out))
    assert not np.array_equal(pictures[3], pictures[8])
    code, out, _ = _run(["info", "--python", f"{USER}:make_cvae", "--json"], capsys)
    assert code == 0 and json.loads(out)["conditioning"]["classes"] == 10
    code, _, err = _run(["compress", "--python", f"{USER}:make_cvae"], capsys)
    assert code == 2 and "a conditional model needs each image's label beside its code" in err
