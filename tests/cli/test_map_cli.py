"""`latent-atlas project`, `decode` and `interpolate`."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.latent.map import load_map
from latent_atlas.models.checkpoint import save_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.modelfile import read_metadata
from latent_atlas.models.networks import build_model


@pytest.fixture()
def model_file(tmp_path):
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=4, hidden=(8, 16))
    path = tmp_path / "m.safetensors"
    save_model(path, build_model(cfg), data_spec="digits?limit=200")
    return path


def test_project_pca_then_decode_and_interpolate(model_file, tmp_path, capsys):
    assert main(["project", str(model_file), "--method", "pca", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "Stored a pca map of 200 codes" in err
    m = load_map(model_file)
    assert m.method == "pca" and m.n_points == 200 and m.dim == 4
    assert m.params["data_spec"] == "digits?limit=200"
    assert read_metadata(model_file)["map"]["n_points"] == 200

    out = tmp_path / "dec.png"
    xy = m.positions[5]
    assert main(["decode", str(model_file), "--xy", f"{float(xy[0])!r},{float(xy[1])!r}", "--xy", "-1e6,-1e6",
                 "--out", str(out), "--scale", "2"]) == 0
    img = np.asarray(Image.open(out))
    assert img.shape == (16, 2 * 16 + 2 * 2) and img.dtype == np.uint8
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.models.checkpoint import load_model

    dec = Decoder(load_model(model_file).model)
    expected = dec.decode(m.inverse(xy))
    # another process and batch size: uint8 may differ by one step
    np.testing.assert_allclose(img[::2, :16:2].astype(int), expected.astype(int), atol=1)

    strip = tmp_path / "strip.png"
    assert main(["interpolate", str(model_file), "--from", "0", "--to", "7", "--steps", "5",
                 "--mode", "slerp", "--out", str(strip), "--scale", "1"]) == 0
    img = np.asarray(Image.open(strip))
    assert img.shape == (8, 5 * 8 + 4 * 2)
    from latent_atlas.explorer.core.data import load_data

    data = load_data("digits?limit=200")
    ends = dec.decode(dec.encode(data.images[[0, 7]]))
    np.testing.assert_allclose(img[:, :8].astype(int), ends[0].astype(int), atol=1)
    np.testing.assert_allclose(img[:, -8:].astype(int), ends[1].astype(int), atol=1)


@pytest.mark.slow  # a UMAP fit: ~40 s when numba's cache is cold, seconds afterwards
def test_project_auto_fits_umap_and_reproducible_seed(model_file, capsys):
    assert main(["project", str(model_file), "--data", "digits?limit=150", "--seed", "2",
                 "--quiet"]) == 0
    m = load_map(model_file)
    assert m.method == "umap" and m.n_points == 150
    assert m.params["reproducible"] is True and m.params["seed"] == 2
    assert m.params["data_spec"] == "digits?limit=150"


@pytest.mark.parametrize("argv, needle", [
    (["decode", "{model}", "--xy", "0,0", "--out", "{tmp}/a.png"], "has no map yet"),
    (["decode", "{model}", "--xy", "0;0", "--out", "{tmp}/a.png"], "--xy must be two numbers"),
    (["decode", "{model}", "--xy", "nan,0", "--out", "{tmp}/a.png"], "finite"),
    (["decode", "{model}", "--xy", "0,0", "--out", "{tmp}/a.jpg"], "must end in .png"),
    (["interpolate", "{model}", "--from", "0", "--to", "999", "--out", "{tmp}/a.png"],
     "out of range"),
    (["interpolate", "{model}", "--from", "0", "--to", "1", "--steps", "1", "--out",
      "{tmp}/a.png"], "--steps"),
    (["interpolate", "{model}", "--data", "digits?size=16", "--from", "0", "--to", "1", "--out",
      "{tmp}/a.png"], "takes 8×8×1"),
    (["project", "{model}", "--method", "identity", "--quiet"], "2-D latent"),
    (["project", "{tmp}/none.safetensors"], "does not exist"),
    (["project", "{model}", "--data", "nosuch"], "unknown data source"),
])
def test_bad_input_exits_2_with_one_line(model_file, tmp_path, capsys, argv, needle):
    argv = [a.replace("{model}", str(model_file)).replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or err.strip().splitlines()[-1].startswith(
        "latent-atlas: error")


def test_project_stores_the_labels_beside_the_map(tmp_path):
    """The window colours a stored map by label at first paint, before the data loads."""
    from latent_atlas.explorer.cli import main
    from latent_atlas.explorer.core.io.saving import LABELS_KEY
    from latent_atlas.models.modelfile import read_model_file

    out = tmp_path / "m.safetensors"
    assert main(["train", "--data", "digits", "--model", "ae", "--epochs", "1", "--limit", "200",
                 "--latent-dim", "2", "--quiet", "--out", str(out)]) == 0
    assert main(["project", str(out), "--method", "pca", "--quiet"]) == 0
    mf = read_model_file(out)
    from latent_atlas.explorer.core.data import load_data

    assert (mf.arrays[LABELS_KEY] == load_data("digits", limit=200).labels).all()
