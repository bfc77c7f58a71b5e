"""Selection as a first-class object: lasso and box, add and remove, readable and settable
from Python, mirrored between linked maps, summarised and exported."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.session.selection import points_in_box, points_in_polygon
from latent_atlas.explorer.session.selection_summary import export_selection, summarize


def test_points_in_polygon_follows_the_even_odd_rule():
    xy = np.array([[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [2.0, 2.0], [-1, 0]])
    l_shape = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]
    assert points_in_polygon(xy, l_shape).tolist() == [True, True, True, False, False]
    assert not points_in_polygon(xy, [(0, 0), (1, 1)]).any()  # not a polygon
    assert points_in_box(xy, (2, 2), (0, 0)).tolist() == [True, True, True, True, False]


def test_lasso_box_shift_adds_alt_removes(desk):
    s = desk.by_kind["ae"]
    pos = s.latent_map.positions
    x0, x1, y0, y1 = s.latent_map.bounds()
    xm = (x0 + x1) / 2
    left = np.flatnonzero(pos[:, 0] <= xm)
    n = s.select_polygon([(x0 - 1, y0 - 1), (xm, y0 - 1), (xm, y1 + 1), (x0 - 1, y1 + 1)])
    assert n == len(left) and np.array_equal(s.selection, left)
    seen = []
    s.selection_set_changed.connect(lambda: seen.append(len(s.selection)))
    s.select_box((xm, y0 - 1), (x1 + 1, y1 + 1), mode="add")
    assert len(s.selection) == s.n_points and seen[-1] == s.n_points
    s.select_box((x0 - 1, y0 - 1), (xm, y1 + 1), mode="remove")
    assert not np.isin(left, s.selection).any()
    assert s.selection_mask().sum() == s.n_points - len(left)
    s.clear_selection()
    assert len(s.selection) == 0


def test_selection_is_settable_from_python_with_readable_errors(desk):
    s = desk.by_kind["vae"]
    s.selection = [5, 3, 3, 9]
    assert s.selection.tolist() == [3, 5, 9]
    s.selection = s.map_labels() == 0  # a mask
    assert len(s.selection) == int((s.map_labels() == 0).sum())
    with pytest.raises(ValueError, match="not on the map"):
        s.set_selection([s.n_points])
    with pytest.raises(ValueError, match="mode"):
        s.set_selection([1], mode="xor")
    with pytest.raises(ValueError, match="one entry per map point"):
        s.selection = np.ones(3, bool)


def test_linked_maps_mirror_the_selection_by_sample_index(desk):
    desk.link()
    ae, vae = desk.by_kind["ae"], desk.by_kind["vae"]
    ae.selection = [1, 2, 3]
    assert vae.selection.tolist() == [1, 2, 3]
    vae.set_selection([4], mode="add")
    assert ae.selection.tolist() == [1, 2, 3, 4]


def test_summary_counts_labels_decodes_the_mean_and_finds_the_medoid(desk):
    s = desk.by_kind["vae"]
    empty = summarize(s)
    assert empty.count == 0 and "lasso" in empty.note
    zeros = np.flatnonzero(s.map_labels() == 0)
    s.selection = np.concatenate([zeros, [int(np.flatnonzero(s.map_labels() == 1)[0])]])
    out = summarize(s)
    assert out.count == len(zeros) + 1
    assert out.histogram[0] == (s.label_names[0], len(zeros)) and out.histogram[1][1] == 1
    assert out.medoid_index in set(zeros.tolist())  # the stray 1 is no medoid
    assert out.medoid_image is not None and out.medoid_image.shape == (8, 8)
    assert out.mean_image is not None and out.mean_image.shape == (8, 8)
    assert out.mean_error == pytest.approx(float(np.mean(s.recon_error[s.selection])))
    assert f"{out.count:,} selected" in out.text()


def test_export_npz_and_pngs_and_a_readable_parquet_answer(desk, tmp_path):
    s = desk.by_kind["ae"]
    with pytest.raises(ValueError, match="nothing is selected"):
        export_selection(s, "npz", tmp_path / "none.npz")
    s.selection = [0, 7, 42]
    assert export_selection(s, "npz", tmp_path / "sel.npz") == 3
    with np.load(tmp_path / "sel.npz") as z:
        assert z["index"].tolist() == [0, 7, 42]
        assert z["images"].shape == (3, 1, 8, 8) and z["code"].shape[0] == 3
        assert z["label"].tolist() == s.map_labels()[[0, 7, 42]].tolist()
    export_selection(s, "png", tmp_path / "pngs")
    names = sorted(p.name for p in (tmp_path / "pngs").iterdir())
    assert len(names) == 3 and names[0].startswith("000000_")
    from latent_atlas.explorer.core.io.interop import parquet_available

    if parquet_available():
        export_selection(s, "parquet", tmp_path / "sel.parquet")
        import pyarrow.parquet as pq

        assert pq.read_table(tmp_path / "sel.parquet")["index"].to_pylist() == [0, 7, 42]
    else:
        with pytest.raises(ValueError, match="pyarrow"):
            export_selection(s, "parquet", tmp_path / "sel.parquet")
