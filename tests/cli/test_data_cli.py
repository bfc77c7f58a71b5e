"""`latent-atlas data SPEC`, bad input at the command line, and training on each kind of set."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_data_prints_a_summary(capsys):
    code, out, err = run(capsys, "data", "shapes:300", "--size", "64")
    assert code == 0, err
    assert "spec:      shapes:300?size=64" in out
    assert "images:    300 x 1x64x64 (gray), uint8" in out
    assert "labels:    4 classes" in out and "heart" in out
    assert "factors:   shape (0 to 3), scale" in out and "rotation" in out
    assert "memory:    1.2 MB" in out


def test_data_json_and_notes(capsys, tmp_path):
    head = struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">3I", 3, 4, 4)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(head + bytes(48)))
    head = struct.pack(">BBBB", 0, 0, 8, 1) + struct.pack(">I", 3)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(head + bytes([0, 9, 9])))
    code, out, err = run(capsys, "data", f"fashion-mnist:{tmp_path}", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["count"] == 3 and info["shape"] == [1, 4, 4]
    assert info["classes"] == [{"label": 0, "name": "T-shirt/top", "count": 1},
                               {"label": 9, "name": "Ankle boot", "count": 2}]
    assert "only the test split" in info["notes"][0]
    assert info["spec"].endswith("?split=test")


def test_flags_become_part_of_the_spec(capsys):
    code, out, _ = run(capsys, "data", "digits", "--limit", "20", "--seed", "1",
                       "--channels", "3")
    assert code == 0
    assert "spec:      digits?channels=3&limit=20&seed=1" in out


@pytest.fixture
def bad_inputs(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "train-images-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04" + bytes(20))
    np.savez(tmp_path / "nan.npz", x=np.full((2, 4, 4), np.nan))
    return tmp_path


@pytest.mark.parametrize("spec, words", [
    ("folder:{t}/nope", "no such folder"),
    ("folder:{t}/empty", "is empty"),
    ("idx:{t}/idx", "not an IDX file"),
    ("npz:{t}/nan.npz", "NaN"),
    ("mnist:{t}/empty", "no MNIST files"),
    ("shapes?colour=red", "does not take the option"),
    ("pictures:{t}", "unknown data source"),
])
def test_bad_input_exits_2_with_one_line(capsys, bad_inputs, spec, words):
    code, out, err = run(capsys, "data", spec.format(t=bad_inputs))
    assert code == 2
    assert err.startswith("latent-atlas: error: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def _train(capsys, tmp_path, data, *extra):
    out = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "train", "--data", data, "--model", "vae", "--arch", "conv",
                       "--latent-dim", "2", "--epochs", "1", "--batch-size", "16",
                       "--out", str(out), "--quiet", *extra)
    assert code == 0, err
    from latent_atlas.models.modelfile import read_metadata

    return read_metadata(out)


def test_conv_model_trains_on_rgb_npz(capsys, tmp_path):
    x = np.random.default_rng(0).random((40, 16, 16, 3), dtype=np.float32)
    np.savez(tmp_path / "rgb.npz", x=x, y=np.arange(40) % 2)
    meta = _train(capsys, tmp_path, f"npz:{tmp_path / 'rgb.npz'}")
    assert meta["config"]["input_shape"] == [3, 16, 16]
    assert meta["data_spec"] == f"npz:{tmp_path / 'rgb.npz'}"


def test_conv_model_trains_on_rgb_folder(capsys, tmp_path):
    images = tmp_path / "imgs"
    for label in ("red", "green"):
        (images / label).mkdir(parents=True)
        for i in range(12):
            colour = (200, 20 * i, 0) if label == "red" else (0, 200, 20 * i)
            Image.new("RGB", (30, 20), colour).save(images / label / f"{i}.png")
    meta = _train(capsys, tmp_path, f"folder:{images}?size=16")
    assert meta["config"]["input_shape"] == [3, 16, 16]
    assert meta["label_names"] == ["green", "red"]


def test_conv_model_trains_on_real_mnist(capsys, tmp_path, mnist_dir):
    meta = _train(capsys, tmp_path, f"mnist:{mnist_dir}", "--limit", "256")
    assert meta["config"]["input_shape"] == [1, 28, 28]
    assert meta["data_spec"] == f"mnist:{mnist_dir}?limit=256&split=test"
