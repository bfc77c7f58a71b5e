"""Exports for other viewers parse back: the TensorBoard projector folder and Parquet."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.core.io import interop
from latent_atlas.explorer.core.io.interop import (
    EmbeddingTable,
    InteropError,
    export_parquet,
    export_projector,
    parquet_available,
)


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 11
    return EmbeddingTable(codes=rng.normal(size=(n, 3)).astype(np.float32),
                          positions=rng.normal(size=(n, 2)).astype(np.float32),
                          labels=np.arange(n) % 3, label_names=["zero", "one\ttab", "two"],
                          errors=rng.uniform(size=n).astype(np.float32),
                          images=rng.integers(0, 256, size=(n, 1, 5, 4), dtype=np.uint8),
                          name="digits_vae")


def test_projector_folder_parses_back(tmp_path, table):
    files = export_projector(tmp_path / "proj", table)
    assert [p.name for p in files] == ["tensors.tsv", "metadata.tsv", "sprite.png",
                                       "projector_config.pbtxt"]
    folder = tmp_path / "proj"
    codes = np.loadtxt(folder / "tensors.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_allclose(codes, table.codes, rtol=1e-6)
    with open(folder / "metadata.tsv", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows[0] == ["index", "x", "y", "label", "label_name", "recon_error"]
    assert len(rows) == len(table) + 1 and all(len(r) == 6 for r in rows)
    assert rows[2][3:5] == ["1", "one tab"]  # a tab inside a name never splits the cell
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], table.positions[:, 0], rtol=1e-6)
    np.testing.assert_allclose([float(r[5]) for r in rows[1:]], table.errors, rtol=1e-5)
    # the sprite: a 4 x 3 grid of 4-wide, 5-high tiles, row by row
    sprite = np.asarray(Image.open(folder / "sprite.png"))
    assert sprite.shape == (3 * 5, 4 * 4)
    np.testing.assert_array_equal(sprite[5:10, 4:8], table.images[5, 0])  # row 1, column 1
    config = (folder / "projector_config.pbtxt").read_text()
    for needle in ('tensor_path: "tensors.tsv"', 'metadata_path: "metadata.tsv"',
                   'image_path: "sprite.png"', "single_image_dim: 4", "single_image_dim: 5",
                   'tensor_name: "digits_vae"'):
        assert needle in config


def test_projector_without_images_or_with_a_too_large_sprite(tmp_path, table, monkeypatch):
    bare = EmbeddingTable(codes=table.codes, positions=table.positions)
    files = export_projector(tmp_path / "bare", bare)
    assert [p.name for p in files] == ["tensors.tsv", "metadata.tsv", "projector_config.pbtxt"]
    assert (tmp_path / "bare" / "metadata.tsv").read_text().splitlines()[0] == "index\tx\ty"
    monkeypatch.setattr(interop, "MAX_SPRITE_SIDE", 10)  # 4 columns x 4 px > 10
    files = export_projector(tmp_path / "big", table)
    assert "sprite.png" not in [p.name for p in files]
    assert "sprite" not in (tmp_path / "big" / "projector_config.pbtxt").read_text()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InteropError, match="is a file"):
        export_projector(tmp_path / "afile", table)
    with pytest.raises(InteropError, match="labels"):
        EmbeddingTable(codes=table.codes, positions=table.positions, labels=np.zeros(3))


def test_parquet_parses_back(tmp_path, table):
    if not parquet_available():
        pytest.skip('pyarrow is not installed (pip install -e ".[interop]")')
    import io

    import pyarrow.parquet as pq

    export_parquet(tmp_path / "t.parquet", table)
    back = pq.read_table(tmp_path / "t.parquet").to_pydict()
    assert back["index"] == list(range(len(table)))
    np.testing.assert_allclose(back["x"], table.positions[:, 0])
    assert back["label"] == list(table.labels) and back["label_name"][1] == "one\ttab"
    np.testing.assert_allclose(back["recon_error"], table.errors)
    np.testing.assert_allclose(np.array(back["code"]), table.codes)
    np.testing.assert_allclose(back["z2"], table.codes[:, 2])
    first = np.asarray(Image.open(io.BytesIO(back["image"][0])))
    np.testing.assert_array_equal(first, table.images[0, 0])


def test_parquet_without_pyarrow_says_how_to_get_it(tmp_path, table, monkeypatch):
    monkeypatch.setattr(interop, "parquet_available", lambda: False)
    with pytest.raises(InteropError, match="interop"):
        export_parquet(tmp_path / "t.parquet", table)
    assert not (tmp_path / "t.parquet").exists()
