"""`latent-atlas compare` on data with factors reports each model's per-latent diagnostics
and disentanglement metrics (JSON "latents"; a block under the text table)."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main


@pytest.fixture(scope="module")
def shapes_pair(tmp_path_factory):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("shapes_pair")
    assert main(["train-pair", "--data", "shapes:300", "--arch", "mlp", "--hidden", "32",
                 "--latent-dim", "3", "--epochs", "1", "--device", "cpu", "--quiet",
                 "--out", str(folder / "s")]) == 0
    yield folder / "s_ae.safetensors", folder / "s_vae.safetensors"
    torch.set_num_threads(before)


def test_compare_json_and_table_have_latents_and_disentanglement(shapes_pair, capsys):
    base = ["compare", *map(str, shapes_pair), "--no-classifier", "--probe-labels", "none",
            "--samples", "100", "--pairs", "5", "--between", "20", "--quiet"]
    capsys.readouterr()
    assert main([*base, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ae, vae = doc["latents"]["AE"], doc["latents"]["VAE"]
    assert ae["latents"]["kl"] is None and len(vae["latents"]["kl"]) == 3
    assert vae["latents"]["mutual_information"] is not None
    for entry in (ae, vae):
        d = entry["disentanglement"]
        assert d["factors"] == ["shape", "scale", "rotation", "x", "y"]
        for key in ("mig", "dci_d", "dci_c", "dci_i", "sap", "factorvae"):
            m = d["metrics"][key]
            assert m["low"] - 1e-9 <= m["value"] <= m["high"] + 1e-9
        assert len(d["importance"]) == 3 and len(d["importance"][0]) == 5
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "per latent and disentanglement" in out and "DCI completeness" in out
