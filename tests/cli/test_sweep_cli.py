"""`latent-atlas sweep` end to end on digits: a PNG, a table, JSON with one entry per β,
the models saved on request, and one readable line with exit code 2 for a bad --beta."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.models.checkpoint import load_model

TINY = ["--data", "digits", "--beta", "0,1", "--epochs", "2", "--latent-dim", "4",
        "--arch", "mlp", "--hidden", "32", "--samples", "200", "--device", "cpu", "--quiet"]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """On a shared, loaded 2-core machine two intra-op threads train 15-60x slower than one
    (measured: 2 epochs of a small MLP on digits 10-37 s against 0.6 s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _png_ok(path) -> None:
    from PIL import Image

    with Image.open(path) as img:
        assert img.format == "PNG" and img.width > 400 and img.height > 200


def test_sweep_json_one_entry_per_beta_png_and_models(tmp_path, capsys):
    png = tmp_path / "sweep.png"
    code = main(["sweep", *TINY, "--out", str(png), "--json",
                 "--save-models", str(tmp_path / "models")])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["betas"] == [0.0, 1.0] and doc["data"] == "digits"
    assert doc["latent_dim"] == 4 and doc["epochs"] == 2 and doc["arch"] == "mlp"
    assert [p["beta"] for p in doc["points"]] == [0.0, 1.0]
    ae, vae = doc["points"]
    assert (ae["kind"], vae["kind"]) == ("ae", "vae")
    assert ae["kl"] is None and vae["kl"] > 0
    for p in doc["points"]:
        assert 0 < p["recon_mse"] < 1
        own = p["gaps"]["holes.own.pixel"]
        assert 0 <= own["low"] <= own["fraction"] <= own["high"] <= 1
        assert p["metrics"]["hole_threshold"] == doc["hole_threshold"]
    _png_ok(png)
    assert doc["plot"] == str(png)
    files = {b: load_model(path) for b, path in doc["files"].items()}
    assert files["0"].config.kind == "ae"
    assert files["1"].config.kind == "vae" and files["1"].config.beta == 1.0
    assert files["0"].meta["data_spec"] == "digits"


def test_sweep_prints_a_table(tmp_path, capsys):
    png = tmp_path / "t.png"
    code = main(["sweep", *TINY, "--limit", "400", "--out", str(png)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["β", "kind", "recon", "MSE"]
    assert "holes, own prior" in lines[0] and "holes, fitted Gaussian" in lines[0]
    assert lines[2].split()[:2] == ["0", "ae"] and lines[3].split()[:2] == ["1", "vae"]
    assert "hole threshold" in out and "digits?limit=400" in out
    _png_ok(png)


@pytest.mark.parametrize("beta", ["-1", "0,-0.5", "abc", "0,x", "", " , ", "0,,1", "1,1", "inf"])
def test_bad_beta_is_one_line_and_exit_2(tmp_path, capsys, beta):
    png = tmp_path / "never.png"
    code = main(["sweep", "--beta=" + beta, "--epochs", "1", "--out", str(png), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("latent-atlas: error:") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""
    assert not png.exists()


@pytest.mark.parametrize("args, needle", [
    (["--epochs", "0"], "--epochs"),
    (["--latent-dim", "0"], "--latent-dim"),
    (["--out", "x.jpg"], ".png"),
    (["--samples", "0"], "--samples"),
])
def test_other_bad_flags_exit_2(tmp_path, capsys, args, needle):
    argv = ["sweep", "--beta", "0,1", "--quiet", "--out", str(tmp_path / "s.png"), *args]
    try:
        code = main(argv)
    except SystemExit as exc:  # --epochs 0 is refused while the arguments are read
        code = exc.code
    assert code == 2
    assert needle in capsys.readouterr().err
