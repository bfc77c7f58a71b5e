"""`limit` on data whose order groups classes samples across them, seeded and stated (issue 26)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.data import load_data
from latent_atlas.explorer.core.data.options import class_sample, grouped_by_class


@pytest.fixture
def pngs(tmp_path):
    for k, name in enumerate(("circle", "square", "star", "triangle")):
        folder = tmp_path / "pngs" / name
        folder.mkdir(parents=True)
        for i in range(10 + 5 * k):  # 10, 15, 20, 25 images
            Image.fromarray(np.full((8, 8), 10 * i + k, np.uint8)).save(folder / f"{i:03d}.png")
    return tmp_path / "pngs"


def test_a_folder_limit_keeps_every_class_and_says_so(pngs):
    data = load_data(f"folder:{pngs}", limit=20)
    counts = np.bincount(data.labels, minlength=4)
    assert len(data) == 20 and counts.min() >= 1 and counts.sum() == 20
    assert list(counts) == [3, 4, 6, 7]  # in proportion to 10, 15, 20, 25
    assert any("samples across the classes" in n and "kept all 4 classes, 3 to 7 each" in n
               for n in data.notes)
    again = load_data(data.spec)  # the stored spec reproduces exactly this set
    assert np.array_equal(again.images, data.images) and np.array_equal(again.labels, data.labels)


def test_a_seeded_limit_shuffles_and_is_stated(pngs):
    a = load_data(f"folder:{pngs}", limit=12, seed=5)
    assert np.array_equal(a.images, load_data(f"folder:{pngs}", limit=12, seed=5).images)
    assert any("shuffled sample (seed 5)" in n for n in a.notes)


def test_a_sorted_npz_is_sampled_across_classes_and_a_mixed_one_is_cut(tmp_path):
    labels = np.repeat(np.arange(5), 40)
    images = np.arange(200, dtype=np.uint8)[:, None, None].repeat(8, 1).repeat(8, 2)
    np.savez(tmp_path / "sorted.npz", x=images, y=labels)
    data = load_data(f"npz:{tmp_path / 'sorted.npz'}", limit=10)
    assert list(np.bincount(data.labels)) == [2] * 5
    mixed = np.tile(np.arange(5), 40)
    np.savez(tmp_path / "mixed.npz", x=images, y=mixed)
    data = load_data(f"npz:{tmp_path / 'mixed.npz'}", limit=10)  # already mixed: the first 10
    assert np.array_equal(data.images[:, 0, 0, 0], np.arange(10)) and not data.notes


def test_digits_keep_their_first_n_as_before():
    data = load_data("digits", limit=30)
    assert np.array_equal(data.labels, load_data("digits").labels[:30]) and not data.notes


def test_grouping_and_the_proportional_sample():
    assert grouped_by_class(np.repeat([0, 1, 2], 5))
    assert grouped_by_class(np.concatenate([np.repeat([0, 1], 5), np.repeat([0, 1], 3)]))
    assert not grouped_by_class(np.tile([0, 1, 2], 5)) and not grouped_by_class(np.zeros(9))
    labels = np.repeat([0, 1, 2], [90, 9, 1])
    idx = class_sample(labels, 10, seed=0)
    assert list(np.bincount(labels[idx])) == [8, 1, 1]  # every class while the limit allows
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, class_sample(labels, 10, seed=0))


def test_data_and_train_print_what_the_limit_kept(pngs, tmp_path, capsys):
    assert main(["data", f"folder:{pngs}?size=8", "--limit", "8"]) == 0
    out = capsys.readouterr().out
    assert "kept all 4 classes, 1 to 3 each" in out  # in proportion
    assert main(["train", "--data", f"folder:{pngs}?size=8", "--limit", "8", "--arch", "mlp",
                 "--epochs", "1", "--quiet", "--out", str(tmp_path / "m.safetensors")]) == 0
    assert "note: limit 8 of 70 images" in capsys.readouterr().err
