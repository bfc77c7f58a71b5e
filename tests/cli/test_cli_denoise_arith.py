"""`latent-atlas denoise --baselines / --sweep` and `latent-atlas traverse --direction` on the
bundled digits models."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.bundled import RESOURCES

AE = RESOURCES / "models" / "digits_ae.safetensors"
VAE = RESOURCES / "models" / "digits_vae.safetensors"


@pytest.fixture(autouse=True)
def bundled():
    if not (AE.exists() and VAE.exists()):
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_denoise_with_baselines_prints_psnr_and_ssim_for_each(tmp_path, capsys):
    from latent_atlas.explorer.core.analysis.applications import denoise
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.checkpoint import load_model

    out = tmp_path / "d.png"
    code, text, _ = _run(["denoise", AE, "--index", 4, "--level", 0.3, "--seed", 2,
                          "--baselines", "median,nl-means", "--out", out], capsys)
    assert code == 0
    loaded = load_model(AE)
    s = denoise(loaded.model, load_data(loaded.meta["data_spec"]).images[4], "gaussian", 0.3,
                seed=2, baselines=["median", "nl-means"]).summary()
    for title, key in [("noisy", "noisy"), ("reconstruction", "recon"), ("median", "median"),
                       ("nl-means", "nl-means")]:
        m = re.search(rf"{title} vs clean:\s+MSE (\S+)\s+PSNR (\S+) dB\s+SSIM (\S+)", text)
        assert m, text
        assert float(m.group(2)) == pytest.approx(s[f"{key}_psnr"], abs=0.01)
        assert float(m.group(3)) == pytest.approx(s[f"{key}_ssim"], abs=0.001)
    with Image.open(out) as img:  # clean, noisy, model, median, NL-means rows of 8 px
        # enlarged to 128 px (the default), each labelled on its left
        assert img.height > 5 * 128 and img.width > 128 + 100
    code, text, _ = _run(["denoise", AE, "--index", 4, "--level", 0.3, "--seed", 2,
                          "--baselines", "median", "--json"], capsys)
    doc = json.loads(text)
    assert code == 0 and doc["median_psnr"] == pytest.approx(s["median_psnr"], abs=1e-6)
    assert "nl-means_psnr" not in doc


def test_sweep_prints_a_table_and_writes_the_psnr_chart(tmp_path, capsys):
    out = tmp_path / "sweep.png"
    code, text, err = _run(["denoise", AE, "--sweep", "--compare-with", VAE, "--levels",
                            "0.1,0.3,0.5", "--limit", 40, "--out", out], capsys)
    assert code == 0, err
    assert "40 held-out images of digits" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("level"))
    assert header.split()[1:] == ["noisy", "AE", "VAE", "median", "nl-means"]
    rows = [line.split() for line in text.splitlines() if re.match(r"\s+0\.\d0\s", line)]
    assert [r[0] for r in rows] == ["0.10", "0.30", "0.50"]
    noisy_psnr = [float(r[1]) for r in rows]
    assert noisy_psnr == sorted(noisy_psnr, reverse=True)
    assert "best PSNR:" in text
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (760, 500)
        arr = np.asarray(img.convert("RGB"))
    assert (arr != 255).any(axis=2).mean() > 0.02  # something was drawn

    code, text, _ = _run(["denoise", AE, "--sweep", "--levels", "0.2,0.4", "--limit", 20,
                          "--baselines", "median", "--json"], capsys)
    doc = json.loads(text)
    assert code == 0 and doc["methods"] == ["noisy", "AE", "median"]
    assert doc["levels"] == [0.2, 0.4] and doc["n_images"] == 20 and len(doc["psnr"]["AE"]) == 2


def test_traverse_direction_adds_the_label_difference(tmp_path, capsys):
    from latent_atlas.explorer.core.analysis.applications import (
        add_direction,
        attribute_direction,
        parse_direction,
    )
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.models.checkpoint import load_model

    out = tmp_path / "dir.png"
    code, text, _ = _run(["traverse", AE, "--index", 3, "--direction", "1:3", "--strengths",
                          "-1,0,1.5", "--scale", 2, "--out", out], capsys)
    assert code == 0
    assert "direction '1 − 3' = mean code of 1" in text and "strengths: -1 0 1.5" in text
    loaded = load_model(AE)
    data = load_data(loaded.meta["data_spec"])
    v = attribute_direction(encode(loaded.model, data.images),
                            *parse_direction("1:3", data.labels, data.label_names))
    assert f"length {v.norm:.3f}" in text
    row = add_direction(loaded.model, encode(loaded.model, data.images[3:4])[0], v, [-1, 0, 1.5])
    with Image.open(out) as img:  # one row of three 8 px images at scale 2, gaps of 2
        assert img.size == (3 * 16 + 2 * 2, 16)
        pic = np.asarray(img.convert("L"))
    np.testing.assert_array_equal(pic[:, 18:34], np.kron(row.images[1], np.ones((2, 2))))


@pytest.mark.parametrize("argv, needle", [
    (["traverse", AE, "--index", 0, "--direction", "1:eleven", "--out", "{tmp}/x.png"], "unknown label 'eleven'"),
    (["traverse", AE, "--index", 0, "--direction", "12:3", "--out", "{tmp}/x.png"], "unknown label '12'"),
    (["traverse", AE, "--index", 0, "--direction", "3", "--out", "{tmp}/x.png"], "LABEL_A:LABEL_B"),
    (["traverse", AE, "--index", 0, "--direction", "3:3", "--out", "{tmp}/x.png"], "two different groups"),
    (["traverse", AE, "--index", 0, "--direction", "scale>0.5", "--out", "{tmp}/x.png"], "unknown factor 'scale'"),
    (["traverse", AE, "--index", 0, "--direction", "1:3", "--strengths", "a", "--out", "{tmp}/x.png"], "--strengths"),
    (["denoise", AE, "--index", 0, "--level", 0.2, "--baselines", "wiener"], "unknown denoiser"),
    (["denoise", AE, "--index", 0], "--level"),
    (["denoise", AE, "--level", 0.2], "--index I or --image"),
    (["denoise", AE, "--sweep", "--index", 0], "leave out --index"),
    (["denoise", AE, "--sweep", "--levels", "0.1,x"], "--levels"),
    (["denoise", AE, "--sweep", "--levels", "0.1,7"], "sigma"),
    (["denoise", AE, "--sweep", "--compare-with", "{tmp}/none.safetensors"], "none.safetensors"),
])
def test_bad_direction_and_sweep_input_is_one_readable_line(tmp_path, capsys, argv, needle):
    argv = [str(a).format(tmp=tmp_path) for a in argv]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.startswith("latent-atlas: error:") and needle in err, err
    assert "Traceback" not in err and err.count("\n") == 1
