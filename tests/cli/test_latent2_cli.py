"""2-D latent pairs on the command line: `train-pair --latent-dim 2` stores identity maps,
`decode --grid N` writes the manifold figure."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.latent.map import LABELS_KEY, load_map
from latent_atlas.models.checkpoint import load_model
from latent_atlas.models.modelfile import read_model_file


@pytest.fixture(scope="module")
def pair2d(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair2d")
    code = main(["train-pair", "--data", "digits?limit=300", "--arch", "mlp", "--latent-dim",
                 "2", "--hidden", "16", "--epochs", "1", "--seed", "4", "--device", "cpu",
                 "--quiet", "--out", str(folder / "d2")])
    assert code == 0
    return folder / "d2_ae.safetensors", folder / "d2_vae.safetensors"


def test_train_pair_latent_2_stores_identity_maps(pair2d, digits):
    from latent_atlas.explorer.core.inference import encode

    for path in pair2d:
        loaded = load_model(path)
        assert loaded.config.latent_dim == 2
        m = load_map(path)
        assert m is not None and m.method == "identity" and m.n_points == 300
        # the map is the latent: positions are the codes, which are the model's mean codes
        assert np.array_equal(m.positions, m.codes)
        assert np.allclose(m.codes, encode(loaded.model, digits.images[:300]), atol=1e-4)
        assert m.params["data_spec"] == "digits?limit=300"
        labels = read_model_file(path).arrays[LABELS_KEY]
        assert np.array_equal(labels, digits.labels[:300])


def test_decode_grid_writes_the_n_by_n_figure(pair2d, tmp_path, capsys):
    ae, vae = pair2d
    out = tmp_path / "vae.png"
    assert main(["decode", str(vae), "--grid", "5", "--out", str(out), "--scale", "2"]) == 0
    assert "-3.00..3.00" in capsys.readouterr().err
    img = np.asarray(Image.open(out))
    assert img.shape == (5 * 8 * 2, 5 * 8 * 2)
    # the AE's square is its codes' range
    m = load_map(ae)
    assert main(["decode", str(ae), "--grid", "3", "--out", str(tmp_path / "ae.png")]) == 0
    x0 = float(m.codes[:, 0].min())
    assert f"x {x0:.2f}.." in capsys.readouterr().err
    # an explicit range: the top-left tile is the decode at the first cell centre
    assert main(["decode", str(vae), "--grid", "2", "--range", "-1,1,-1,1", "--scale", "1",
                 "--out", str(tmp_path / "r.png")]) == 0
    corner = tmp_path / "corner.png"
    assert main(["decode", str(vae), "--xy", "-0.5,0.5", "--out", str(corner), "--scale",
                 "1"]) == 0
    grid_png = np.asarray(Image.open(tmp_path / "r.png"))
    assert np.array_equal(grid_png[:8, :8], np.asarray(Image.open(corner)))


@pytest.mark.parametrize("argv, message", [
    (["--grid", "0"], "--grid must be between"),
    (["--grid", "3", "--range", "1,0,0,1"], "--range must be finite"),
    (["--grid", "3", "--range", "a,b"], "--range must be four numbers"),
    (["--xy", "0,0", "--range", "0,1,0,1"], "--range goes with --grid"),
])
def test_decode_grid_bad_input_is_one_line_and_exit_2(pair2d, tmp_path, capsys, argv, message):
    code = main(["decode", str(pair2d[1]), *argv, "--out", str(tmp_path / "x.png")])
    assert code == 2
    assert message in capsys.readouterr().err


def test_decode_grid_refuses_a_wider_latent(tmp_path, capsys):
    assert main(["train", "--data", "digits?limit=100", "--model", "vae", "--arch", "mlp",
                 "--latent-dim", "3", "--hidden", "8", "--epochs", "1", "--quiet", "--device",
                 "cpu", "--out", str(tmp_path / "m3.safetensors")]) == 0
    code = main(["decode", str(tmp_path / "m3.safetensors"), "--grid", "3",
                 "--out", str(tmp_path / "x.png")])
    assert code == 2 and "2-D latent" in capsys.readouterr().err
