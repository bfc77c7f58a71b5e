"""`latent-atlas export`: a projector folder and a Parquet table from a model's map."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.cli import main
from tests.fixture_scope import shared


@pytest.fixture(scope=shared)
def model_file(tmp_path_factory):
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    data = load_data("digits?limit=120")
    model = build_model(ModelConfig(kind="ae", arch="mlp", input_shape=data.shape, latent_dim=3,
                                    hidden=(16,)))
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    save_explorable(path, model, latent_map=quick_map(encode(model, data.images)),
                    data_spec=data.spec, label_names=data.label_names, labels=data.labels)
    return path


def test_projector_export_writes_the_four_files(model_file, tmp_path, capsys):
    out = tmp_path / "proj"
    assert main(["export", str(model_file), "--format", "projector", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["metadata.tsv", "projector_config.pbtxt",
                                                      "sprite.png", "tensors.tsv"]
    assert len(np.loadtxt(out / "tensors.tsv", delimiter="\t")) == 120
    header = (out / "metadata.tsv").read_text().splitlines()[0].split("\t")
    assert header == ["index", "x", "y", "label", "label_name", "recon_error"]
    assert "tensorboard --logdir" in capsys.readouterr().err
    # without the data: codes, positions and the stored labels
    bare = tmp_path / "bare"
    assert main(["export", str(model_file), "--format", "projector", "--no-data", "--out",
                 str(bare)]) == 0
    assert not (bare / "sprite.png").exists()
    assert (bare / "metadata.tsv").read_text().splitlines()[0] == "index\tx\ty\tlabel\tlabel_name"


def test_export_refuses_bad_outputs_before_any_work(model_file, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["export", str(model_file), "--format", "projector", "--out",
                 str(tmp_path / "afile")]) == 2
    assert main(["export", str(model_file), "--format", "parquet", "--out",
                 str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("latent-atlas: error:") for e in err)


def test_parquet_export_parses_back(model_file, tmp_path):
    from latent_atlas.explorer.core.io.interop import parquet_available

    if not parquet_available():
        pytest.skip('pyarrow is not installed (pip install -e ".[interop]")')
    import pyarrow.parquet as pq

    out = tmp_path / "t.parquet"
    assert main(["export", str(model_file), "--format", "parquet", "--out", str(out)]) == 0
    t = pq.read_table(out)
    assert t.num_rows == 120
    assert {"index", "x", "y", "label", "label_name", "recon_error", "code", "image"} <= set(
        t.column_names)
