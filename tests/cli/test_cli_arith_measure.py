"""`latent-atlas traverse FILE --direction A:B --measure` on the bundled digits AE."""

from __future__ import annotations

import json

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.bundled import RESOURCES

AE = RESOURCES / "models" / "digits_ae.safetensors"


@pytest.fixture(autouse=True)
def bundled():
    if not AE.exists():
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_measure_prints_json_that_matches_the_core(capsys):
    from latent_atlas.explorer.core.analysis.applications.transfer import measure_transfer
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.models.checkpoint import load_model

    code, text, _ = _run(["traverse", AE, "--direction", "1:7", "--measure", "--strengths",
                          "0,1", "--limit", "8", "--json"], capsys)
    assert code == 0
    doc = json.loads(text)
    assert doc["a"] == "1" and doc["b"] == "7" and doc["n_sources"] == 8
    assert doc["strengths"] == [0.0, 1.0] and doc["file"] == str(AE)
    core = drain(measure_transfer(load_model(AE).model, load_data("digits"), "1:7",
                                  strengths=[0, 1], limit=8))
    assert len(doc["cells"]) == 4
    for cell in doc["cells"]:
        expected = core.cell(cell["method"], cell["strength"])
        for part in ("to_a", "still_b", "holes"):
            assert cell[part]["fraction"] == pytest.approx(getattr(expected, part)["fraction"],
                                                           abs=1 / 8 + 1e-9)


def test_measure_out_draws_latent_and_pixel_rows(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "edits.png"
    code, text, err = _run(["traverse", AE, "--direction", "1:7", "--measure", "--strengths",
                            "0,1,2", "--limit", "3", "--out", out, "--quiet", "--scale", "4"], capsys)
    assert code == 0 and "→ 1" in text and f"Wrote {out}" in err
    with Image.open(out) as img:  # 3 images x (latent row, pixel row), 3 strengths of 8 px x 4
        assert img.size[1] == 6 * 32 + 5 * 4
        assert 3 * 32 <= img.size[0] <= 3 * 32 + 2 * 8
    code, _, err = _run(["traverse", AE, "--direction", "1:7", "--measure", "--out",
                         tmp_path / "x.jpg", "--quiet"], capsys)
    assert code == 2 and "must end in .png" in err


def test_measure_prints_a_table_and_markdown(capsys):
    code, text, _ = _run(["traverse", AE, "--direction", "0:6", "--measure", "--strengths",
                          "0,1", "--limit", "5", "--quiet"], capsys)
    assert code == 0
    assert text.splitlines()[0].split() == ["method", "strength", "→", "0", "still", "6", "holes"]
    assert "5 held-out images of 6 edited toward 0" in text
    code, text, _ = _run(["traverse", AE, "--direction", "0:6", "--measure", "--strengths",
                          "0,1", "--limit", "5", "--markdown", "--quiet"], capsys)
    assert code == 0 and text.startswith("| method | strength | → 0 | still 6 | holes |")


@pytest.mark.parametrize("extra, message", [
    (["--direction", "1:77", "--measure"], "unknown label '77'"),
    (["--direction", "1:7", "--measure", "--strengths", "0,nan"], "finite"),
    (["--direction", "1:7", "--measure", "--strengths", "0,x"], "--strengths must be numbers"),
    (["--direction", "scale>0.5", "--measure"], "unknown factor"),
    (["--measure"], "--measure needs --direction"),
    (["--direction", "1:7", "--measure", "--index", "3"], "leave out --index"),
    (["--direction", "1:7", "--measure", "--limit", "0"], "--limit must be at least 1"),
    (["--direction", "1:7"], "needs one of --index, --image or --xy"),
    (["--index", "3"], "needs --out PNG"),
])
def test_bad_measure_input_is_one_line_and_exit_2(extra, message, capsys):
    code, text, err = _run(["traverse", AE, *extra, "--quiet"], capsys)
    assert code == 2 and text == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_factor_directions_and_unlabelled_data_are_refused(tmp_path, capsys):
    import numpy as np

    from latent_atlas.explorer.core.data import load_data

    digits = load_data("digits")
    # the digits images with a factor column and no labels, as an npz data set
    npz = tmp_path / "d.npz"
    np.savez(npz, images=digits.images, scale=np.linspace(0, 1, len(digits)))
    code, _, err = _run(["traverse", AE, "--data", f"npz:{npz}", "--direction", "1:7",
                         "--measure", "--quiet"], capsys)
    assert code == 2 and "no labels" in err and len(err.strip().splitlines()) == 1
    labelled = tmp_path / "l.npz"
    np.savez(labelled, images=digits.images, labels=digits.labels,
             scale=np.linspace(0, 1, len(digits)))
    code, _, err = _run(["traverse", AE, "--data", f"npz:{labelled}", "--direction",
                         "scale>0.5", "--measure", "--quiet"], capsys)
    assert code == 2 and "measuring needs two labels" in err
    assert len(err.strip().splitlines()) == 1
