"""`latent-atlas traverse | denoise | inpaint | anomalies | retrieve` on models made with
`latent-atlas train`."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import build_parser, main
from latent_atlas.explorer.core.data import load_data

SPEC = "digits?limit=600"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apps")
    paths = {}
    for kind in ("ae", "vae", "cvae", "caae"):
        out = folder / f"{kind}.safetensors"
        code = main(["train", "--data", "digits", "--limit", "600", "--model", kind, "--arch", "mlp",
                     "--latent-dim", "4", "--hidden", "64,32", "--epochs", "6", "--lr", "0.003",
                     "--quiet", "--out", str(out)])
        assert code == 0
        paths[kind] = str(out)
    return paths


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a value while reading the arguments
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_commands_are_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"traverse", "denoise", "inpaint", "anomalies", "retrieve"} <= set(sub.choices)


def test_traverse_writes_a_grid_with_kl_rows_for_a_vae(models, tmp_path, capsys):
    out = tmp_path / "t.png"
    code, text, _ = _run(["traverse", models["vae"], "--index", "3", "--steps", "5", "--scale", "2",
                          "--out", str(out)], capsys)
    assert code == 0
    kls = [float(v) for v in re.findall(r"KL (\d+\.\d+)", text)]
    assert len(kls) == 4 and kls == sorted(kls, reverse=True)  # rows sorted by KL
    assert "prior (1)" in text
    with Image.open(out) as img:  # 4 rows x 5 steps of 16 px, gaps 2 (columns) / 4 (rows)
        assert img.size == (5 * 16 + 4 * 2, 4 * 16 + 3 * 4)


def test_traverse_chosen_dims_of_an_ae_and_a_map_point(models, tmp_path, capsys):
    out = tmp_path / "t.png"
    code, text, _ = _run(["traverse", models["ae"], "--index", "0", "--dims", "2,0",
                          "--out", str(out)], capsys)
    assert code == 0 and "std of the data codes" in text
    assert re.findall(r"row \d: z(\d)", text) == ["2", "0"]
    assert main(["project", models["ae"], "--method", "pca", "--quiet"]) == 0
    code, text, _ = _run(["traverse", models["ae"], "--xy", "0.1,-0.2", "--out", str(out)], capsys)
    assert code == 0 and "map point 0.1,-0.2" in text


def test_traverse_a_cvae_under_a_chosen_label(models, tmp_path, capsys):
    code, text, _ = _run(["traverse", models["cvae"], "--index", "1", "--label", "7",
                          "--out", str(tmp_path / "c.png")], capsys)
    assert code == 0 and "decoded as class 7" in text


def test_traverse_condition_draws_the_progression_strip(models, tmp_path, capsys):
    out = tmp_path / "p.png"
    code, text, _ = _run(["traverse", models["caae"], "--condition", "--index", "1",
                          "--out", str(out)], capsys)
    assert code == 0 and "decoded under each of 10 conditions" in text and "0, 1, 2" in text
    with Image.open(out) as im:
        w, h = im.size
    assert w > 8 * h  # one row of ten images


def test_traverse_condition_measure_reads_the_decodes(models, capsys):
    import json

    code, text, _ = _run(["traverse", models["cvae"], "--condition", "--measure", "--limit",
                          "30", "--json", "--quiet"], capsys)
    assert code == 0
    doc = json.loads(text)
    assert doc["kind"] == "cvae" and doc["n_sources"] == 30
    assert doc["condition"]["n"] == 300 and 0 <= doc["condition"]["hit"]["fraction"] <= 1
    assert doc["condition"]["chance"] == pytest.approx(0.1) and doc["identity"] == []


def _numbers(text, name):
    m = re.search(rf"{name}:\s+MSE (\d+\.\d+)\s+PSNR (-?\d+\.\d+) dB", text)
    assert m, text
    return float(m.group(1)), float(m.group(2))


def test_denoise_prints_the_error_numbers_of_the_core_function(models, tmp_path, capsys):
    from latent_atlas.explorer.core.analysis.applications import denoise
    from latent_atlas.models.checkpoint import load_model

    out = tmp_path / "d.png"
    code, text, _ = _run(["denoise", models["ae"], "--index", "5", "--noise", "masking",
                          "--level", "0.4", "--seed", "3", "--out", str(out)], capsys)
    assert code == 0
    noisy, recon = _numbers(text, "noisy vs clean"), _numbers(text, "reconstruction vs clean")
    expected = denoise(load_model(models["ae"]).model, load_data(SPEC).images[5], "masking", 0.4,
                       seed=3).summary()
    assert noisy == pytest.approx((expected["noisy_mse"], expected["noisy_psnr"]), abs=1e-2)
    assert recon == pytest.approx((expected["recon_mse"], expected["recon_psnr"]), abs=1e-2)
    with Image.open(out) as img:  # clean, noisy, reconstruction rows of 8x8 enlarged to
        # 128 px (the default), each labelled on its left, the sample named above
        assert img.height > 3 * 128 and img.width > 128 + 100


def test_inpaint_with_a_rectangle_and_with_a_mask_picture(models, tmp_path, capsys):
    code, text, _ = _run(["inpaint", models["vae"], "--index", "2", "--rect", "2,2,4,4",
                          "--steps", "4", "--out", str(tmp_path / "i.png")], capsys)
    assert code == 0 and "Inpainting 16 pixel(s)" in text and "4 iteration(s)" in text
    assert len(re.search(r"change per iteration: (.*)", text).group(1).split()) == 4
    assert re.search(r"masked-region MSE: model \d\.\d+, mean fill \d\.\d+", text)
    mask = np.zeros((40, 40), np.uint8)
    mask[:20, :] = 255  # the top half, drawn at a different size than the image
    Image.fromarray(mask).save(tmp_path / "mask.png")
    code, text, _ = _run(["inpaint", models["ae"], "--index", "2", "--mask",
                          str(tmp_path / "mask.png"), "--out", str(tmp_path / "m.png")], capsys)
    assert code == 0 and "Inpainting 32 pixel(s)" in text


def test_anomalies_lists_the_worst_first(models, tmp_path, capsys):
    out = tmp_path / "a.png"
    code, text, _ = _run(["anomalies", models["ae"], "--top", "5", "--out", str(out)], capsys)
    assert code == 0 and "Worst 5 of 600 images" in text
    errors = [float(v) for v in re.findall(r"error (\d+\.\d+)", text)]
    assert len(errors) == 5 and errors == sorted(errors, reverse=True)
    with Image.open(out) as img:  # originals and reconstructions, enlarged to 128 px
        assert img.size == (5 * 128 + 4 * 2, 2 * 128 + 4)
    code, text, _ = _run(["anomalies", models["cvae"], "--limit", "50", "--metric", "bce"], capsys)
    assert code == 0 and "of 50 images" in text


def test_retrieve_by_index_image_and_map_point(models, tmp_path, capsys):
    code, text, _ = _run(["retrieve", models["ae"], "--index", "10", "--k", "4"], capsys)
    hits = [int(v) for v in re.findall(r"sample\s+(\d+)\s+distance", text)]
    assert code == 0 and len(hits) == 4 and 10 not in hits
    picture = tmp_path / "mine.png"
    Image.fromarray(load_data(SPEC).images[42, 0]).save(picture)
    out = tmp_path / "r.png"
    code, text, _ = _run(["retrieve", models["ae"], "--image", str(picture), "--k", "3",
                          "--out", str(out)], capsys)
    assert code == 0
    first = re.search(r"1\. sample\s+(\d+)\s+distance (\d+\.\d+)", text)
    assert int(first.group(1)) == 42 and float(first.group(2)) < 1e-3
    assert out.exists()
    assert main(["project", models["vae"], "--method", "pca", "--quiet"]) == 0
    code, text, _ = _run(["retrieve", models["vae"], "--xy", "0,0", "--k", "2"], capsys)
    assert code == 0 and "map point 0,0" in text
    code, text, _ = _run(["retrieve", models["cvae"], "--index", "3", "--k", "2"], capsys)
    assert code == 0


@pytest.mark.parametrize("argv, needle", [
    (["traverse", "{ae}", "--index", "600", "--out", "{tmp}/x.png"], "out of range"),
    (["traverse", "{ae}", "--index", "0", "--dims", "0,7", "--out", "{tmp}/x.png"], "out of range"),
    (["traverse", "{ae}", "--index", "0", "--sort", "kl", "--out", "{tmp}/x.png"], "needs the KL"),
    (["traverse", "{cvae}", "--xy", "0,0", "--out", "{tmp}/x.png"], "no map yet"),
    (["traverse", "{cvae}", "--index", "0", "--label", "10", "--out", "{tmp}/x.png"], "0..9"),
    (["traverse", "{ae}", "--index", "0", "--out", "{tmp}/x.jpg"], "must end in .png"),
    (["traverse", "{ae}", "--condition", "--index", "0", "--out", "{tmp}/x.png"], "has none"),
    (["traverse", "{caae}", "--condition", "--measure", "--index", "0"], "leave out --index"),
    (["traverse", "{caae}", "--condition", "--index", "0"], "needs --out"),
    (["traverse", "{ae}", "--index", "0", "--out", "{tmp}/no/x.png"], "does not exist"),
    (["denoise", "{ae}", "--index", "0", "--noise", "masking", "--level", "3", "--out", "{tmp}/x.png"],
     "--level: must be a finite noise level from 0 to 1"),
    (["denoise", "{ae}", "--image", "{tmp}/none.png", "--level", "0.1", "--out", "{tmp}/x.png"],
     "does not exist"),
    (["denoise", "{ae}", "--index", "0", "--data", "shapes", "--level", "0.1", "--out", "{tmp}/x.png"],
     "takes 8×8×1"),
    (["inpaint", "{ae}", "--index", "0", "--rect", "9,9,2,2", "--out", "{tmp}/x.png"], "outside"),
    (["inpaint", "{ae}", "--index", "0", "--rect", "1,2,3", "--out", "{tmp}/x.png"], "4 whole"),
    (["inpaint", "{ae}", "--index", "0", "--rect", "0,0,8,8", "--out", "{tmp}/x.png"], "whole image"),
    (["anomalies", "{ae}", "--top", "0"], "--top must be"),
    (["anomalies", "{tmp}/missing.safetensors"], "missing.safetensors"),
    (["retrieve", "{ae}", "--index", "0", "--k", "0"], "k must be"),
    (["retrieve", "{ae}", "--xy", "1;2"], "--xy must be two numbers"),
])
def test_bad_input_is_one_readable_line(models, tmp_path, capsys, argv, needle):
    argv = [a.format(tmp=tmp_path, **models) for a in argv]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.startswith("latent-atlas: error:") and needle in err, err
    assert "Traceback" not in err and err.count("\n") == 1
