"""`latent-atlas train-pair` and `latent-atlas compare` end to end."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.models.checkpoint import load_model


@pytest.fixture(scope="module")
def pair_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    code = main(["train-pair", "--data", "digits", "--latent-dim", "4", "--hidden", "8,16",
                 "--epochs", "1", "--limit", "400", "--seed", "2", "--device", "cpu", "--quiet",
                 "--out", str(folder / "digits")])
    assert code == 0
    return folder / "digits_ae.safetensors", folder / "digits_vae.safetensors"


def test_train_pair_writes_two_models_identical_but_for_kind(pair_files):
    ae, vae = (load_model(p) for p in pair_files)
    assert ae.config.kind == "ae" and vae.config.kind == "vae"
    assert ae.config.replace(kind="vae") == vae.config
    assert ae.config.seed == 2 and ae.meta["data_spec"] == "digits?limit=400"


def test_compare_json(pair_files, capsys):
    capsys.readouterr()
    argv = ["compare", *map(str, pair_files), "--json", "--seed", "3", "--samples", "300",
            "--pairs", "10", "--quiet"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in doc["models"]] == ["AE", "VAE"]
    assert doc["data"] == "digits?limit=400" and doc["settings"]["seed"] == 3
    assert doc["settings"]["n_prior"] == 300 and doc["n_held_out"] == 40
    for m in doc["models"]:
        assert 0.0 <= m["hole_fraction"] <= 1.0
        assert m["hole_threshold"] == doc["hole_threshold"]
        for key in ("recon_mse", "interp_distance", "interp_smoothness", "path_length"):
            assert isinstance(m[key], float)
    assert doc["files"]["AE"].endswith("digits_ae.safetensors")
    # fixed seeds: the same command prints the same numbers
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == doc


def test_compare_table(pair_files, capsys):
    capsys.readouterr()
    assert main(["compare", *map(str, pair_files), "--samples", "200", "--pairs", "5",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["model", "prior"] and "hole fraction" in lines[0]
    assert lines[2].startswith("AE (ae)") and lines[3].startswith("VAE (vae)")
    assert "hole threshold" in out
    assert main(["compare", *map(str, pair_files), "--samples", "200", "--pairs", "5",
                 "--quiet", "--markdown"]) == 0
    assert capsys.readouterr().out.startswith("| model | prior |")


def test_compare_same_kind_twice_gets_distinct_names(pair_files, capsys):
    capsys.readouterr()
    ae = str(pair_files[0])
    assert main(["compare", ae, ae, "--samples", "100", "--pairs", "5", "--json",
                 "--quiet"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)["models"]]
    assert names[0] == "AE" and names[1].startswith("AE (") and len(set(names)) == 2


@pytest.mark.parametrize("extra, needle", [
    (["--data", "shapes:50"], "shapes:50 has 32×32×1 images but"),
    (["--data", "nosuchsource"], "unknown data source"),
    (["--samples", "0"], "--samples must be at least 1"),
    (["--seed", "-1"], "--seed must be >= 0"),
])
def test_compare_bad_input_is_one_line(pair_files, capsys, extra, needle):
    capsys.readouterr()
    assert main(["compare", *map(str, pair_files), "--quiet", *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_compare_missing_file_and_bad_pair_options(tmp_path, pair_files, capsys):
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "none.safetensors"), str(pair_files[1])]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train-pair", "--kinds", "ae,ae", "--out", str(tmp_path / "x")]) == 2
    assert "two different kinds" in capsys.readouterr().err
    assert main(["train-pair", "--out", str(tmp_path / "missing" / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_compare_json_has_the_probe_and_probe_labels_is_checked(pair_files, capsys):
    capsys.readouterr()
    base = ["compare", *map(str, pair_files), "--json", "--samples", "100", "--pairs", "5",
            "--between", "10", "--no-classifier", "--quiet"]
    assert main(base + ["--probe-labels", "50%"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for m in doc["models"]:
        assert list(m["probe"]) == ["50%"]
        cell = m["probe"]["50%"]["logistic"]
        assert cell["low"] <= cell["accuracy"] <= cell["high"] and cell["n"] == 40
    assert doc["settings"]["probe_labels"] == [0.5]
    assert main(base + ["--probe-labels", "none"]) == 0
    assert all(m["probe"] == {} for m in json.loads(capsys.readouterr().out)["models"])
    assert main(base + ["--probe-labels", "150%"]) == 2
    err = capsys.readouterr().err
    assert "--probe-labels" in err and "Traceback" not in err
