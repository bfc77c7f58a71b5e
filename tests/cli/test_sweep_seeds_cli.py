"""`latent-atlas sweep --seeds`: every β with every seed, the disentanglement metrics and
per-latent diagnostics as mean ± sd, models reused from --models, bad input exit 2."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main

TINY = ["--data", "shapes:300", "--beta", "0,1", "--seeds", "0,1", "--epochs", "1",
        "--latent-dim", "3", "--arch", "mlp", "--hidden", "32", "--device", "cpu", "--quiet"]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_seed_sweep_json_reuses_saved_models(tmp_path, capsys):
    models = tmp_path / "models"
    argv = ["sweep", *TINY, "--models", str(models), "--out", str(tmp_path / "s.png"), "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["betas"] == [0.0, 1.0] and first["seeds"] == [0, 1]
    assert [(p["beta"], p["seed"]) for p in first["points"]] == [(0.0, 0), (1.0, 0), (0.0, 1),
                                                                 (1.0, 1)]
    assert not any(p["reused"] for p in first["points"])
    for p in first["points"]:
        for key in ("mig", "dci_d", "dci_c", "dci_i", "sap", "factorvae", "recon_mse"):
            assert 0 <= p["values"][key] <= 1, key
        assert ("kl" in p["values"]) == (p["beta"] > 0)
        assert len(p["importance"]) == 3 and p["factors"][0] == "shape"
    s = first["summary"]["1"]["mig"]
    assert s["n"] == 2 and s["min"] <= s["mean"] <= s["max"]
    assert set(first["verdicts"]) == {"mig", "dci_d", "dci_c", "dci_i", "sap", "factorvae"}
    assert (models / "seed_1" / "beta_1_vae.safetensors").exists()
    assert (tmp_path / "s.png").stat().st_size > 10_000

    assert main(argv) == 0  # the second run trains nothing and measures the same models
    again = json.loads(capsys.readouterr().out)
    assert all(p["reused"] for p in again["points"])
    for a, b in zip(first["points"], again["points"], strict=True):
        assert a["values"]["recon_mse"] == pytest.approx(b["values"]["recon_mse"], abs=1e-6)
        assert a["values"]["mig"] == pytest.approx(b["values"]["mig"], abs=1e-9)

    changed = [a if a != "3" else "4" for a in argv]  # --latent-dim 4: not what was saved
    assert main(changed) == 2
    err = capsys.readouterr().err
    assert "latent_dim" in err and len(err.strip().splitlines()) == 1


def test_seed_sweep_prints_a_mean_sd_table(tmp_path, capsys):
    assert main(["sweep", *TINY, "--out", str(tmp_path / "t.png"), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| β | kind | seeds | recon MSE")
    assert "| 0 | ae | 2 |" in out and "±" in out and "MIG:" in out


@pytest.mark.parametrize("args, needle", [
    (["--seeds", "a,b"], "whole numbers"),
    (["--seeds", "0,0"], "each seed once"),
    (["--seeds", "-1"], ">= 0"),
    (["--seeds", "0", "--data", "digits"], "no factor columns"),
    (["--seeds", "0", "--save-models", "x"], "--models"),
    (["--models", "x"], "goes with --seeds"),
])
def test_bad_seed_sweep_input_is_one_line_and_exit_2(tmp_path, capsys, args, needle):
    argv = ["sweep", "--data", "shapes:300", "--beta", "0,1", "--epochs", "1", "--quiet",
            "--out", str(tmp_path / "never.png"), *args]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "never.png").exists()
