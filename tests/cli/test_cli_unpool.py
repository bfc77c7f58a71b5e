"""`train --upsample/--downsample` on the command line: refused combinations exit 2 with one
line, a max-unpool model trains, maps, decodes a map point with the switches of the nearest
sample and says which, and compares with finite numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latent_atlas.explorer.cli import main


@pytest.mark.parametrize("extra", [
    ["--upsample", "max-unpool"],
    ["--upsample", "max-unpool", "--downsample", "avg"],
    ["--upsample", "max-unpool", "--downsample", "max", "--arch", "mlp"],
])
@pytest.mark.parametrize("command", ["train", "train-pair"])
def test_max_unpool_without_max_pooling_exits_2(tmp_path, capsys, command, extra):
    out = tmp_path / ("m.safetensors" if command == "train" else "p")
    code = main([command, "--data", "digits", "--epochs", "1", "--quiet", "--out", str(out),
                 *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert "--upsample max-unpool" in err and "--downsample max" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # refused before any work


def test_unknown_choices_are_refused_by_argparse(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--downsample", "dilate", "--out", str(tmp_path / "m.safetensors")])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_help_says_a_max_unpool_decoder_cannot_generate(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "bed-of-nails" in text and "--downsample {stride,max,avg}" in text
    assert "cannot generate" in text


@pytest.fixture(scope="module")
def unpool_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("unpool") / "mu.safetensors"
    assert main(["train", "--data", "digits", "--model", "ae", "--latent-dim", "3",
                 "--hidden", "4,6", "--epochs", "1", "--limit", "300", "--upsample",
                 "max-unpool", "--downsample", "max", "--quiet", "--out", str(path)]) == 0
    assert main(["project", str(path), "--method", "pca", "--quiet"]) == 0
    return path


def test_decode_says_whose_switches_decoded_each_point(unpool_file, tmp_path, capsys):
    from latent_atlas.explorer.core.latent.map import load_map
    from latent_atlas.models.checkpoint import load_model
    from latent_atlas.models.modelfile import read_model_file

    loaded = load_model(unpool_file)
    assert loaded.config.upsample == "max-unpool" and loaded.config.downsample == "max"
    latent_map = load_map(read_model_file(unpool_file))
    x0, x1, y0, y1 = latent_map.bounds()
    points = [(x0 + 0.3 * (x1 - x0), y0 + 0.6 * (y1 - y0)), (x1, y1)]
    capsys.readouterr()
    out = tmp_path / "d.png"
    argv = ["decode", str(unpool_file), "--out", str(out)]
    for x, y in points:
        argv += ["--xy", f"{x!r},{y!r}"]
    assert main(argv) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "switches of sample #" in ln]
    assert len(lines) == 2
    codes = np.asarray(latent_map.codes)
    for line, xy in zip(lines, points, strict=True):
        z = latent_map.inverse(np.asarray(xy))
        expected = int(np.argmin(((codes - z) ** 2).sum(axis=1)))
        assert f"sample #{expected} " in line
        assert "cannot decode a code on its own" in line
    assert out.stat().st_size > 0


def test_decode_of_an_ordinary_model_prints_no_switch_line(tmp_path, capsys):
    path = tmp_path / "b.safetensors"
    assert main(["train", "--data", "digits", "--model", "ae", "--latent-dim", "2",
                 "--hidden", "4,6", "--epochs", "1", "--limit", "200", "--upsample",
                 "bed-of-nails", "--downsample", "avg", "--quiet", "--out", str(path)]) == 0
    assert main(["project", str(path), "--method", "identity", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["decode", str(path), "--xy", "0,0", "--out", str(tmp_path / "d.png")]) == 0
    assert "switches" not in capsys.readouterr().out


def test_a_max_unpool_pair_trains_and_compares(tmp_path, capsys):
    prefix = tmp_path / "p"
    assert main(["train-pair", "--data", "digits", "--latent-dim", "3", "--hidden", "4,6",
                 "--epochs", "1", "--limit", "400", "--upsample", "max-unpool",
                 "--downsample", "max", "--quiet", "--out", str(prefix)]) == 0
    capsys.readouterr()
    assert main(["compare", f"{prefix}_ae.safetensors", f"{prefix}_vae.safetensors",
                 "--samples", "200", "--pairs", "10", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for m in doc["models"]:
        assert np.isfinite(m["recon_mse"]) and 0 <= m["hole_fraction"] <= 1
        assert np.isfinite(m["path_length"]) and np.isfinite(m["interp_distance"])
