"""`latent-atlas info FILE --data SPEC`: per-latent diagnostics, as text and JSON."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("info")
    out = {}
    for kind in ("vae", "ae"):
        out[kind] = folder / f"{kind}.safetensors"
        assert main(["train", "--data", "shapes:200", "--model", kind, "--arch", "mlp",
                     "--hidden", "32", "--latent-dim", "3", "--epochs", "1", "--quiet",
                     "--device", "cpu", "--out", str(out[kind])]) == 0
    torch.set_num_threads(before)
    return out


def test_info_prints_the_latents_ordered_by_kl(files, capsys):
    capsys.readouterr()
    assert main(["info", str(files["vae"]), "--data", "shapes:200"]) == 0
    out = capsys.readouterr().out
    assert "latents on shapes:200 (ordered by KL)" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("z")]
    assert len(rows) == 3
    kls = [float(r[3]) for r in rows]
    assert kls == sorted(kls, reverse=True)
    assert "active units:" in out and "mutual information" in out


def test_info_json_has_the_latents(files, capsys):
    capsys.readouterr()
    assert main(["info", str(files["vae"]), "--data", "shapes:200", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["latents"]
    assert doc["data"] == "shapes:200" and len(doc["kl"]) == 3 and len(doc["variance"]) == 3
    assert doc["n_active"] == sum(doc["active"])
    assert doc["mutual_information"] <= doc["mutual_information_bound"] + 0.5
    assert doc["kl_total"] == pytest.approx(sum(doc["kl"]))


def test_info_of_an_autoencoder_gives_variance_only(files, capsys):
    capsys.readouterr()
    assert main(["info", str(files["ae"]), "--data", "shapes:200", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["latents"]
    assert doc["kl"] is None and doc["mutual_information"] is None
    assert doc["order"] == sorted(range(3), key=lambda j: -doc["variance"][j])


@pytest.mark.parametrize("args, needle", [
    (["--data", "nosuchdata"], "nosuchdata"),
    (["--data", "shapes:200", "--limit", "1"], "--limit"),
])
def test_info_bad_data_is_one_line_and_exit_2(files, capsys, args, needle):
    capsys.readouterr()
    assert main(["info", str(files["vae"]), *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
