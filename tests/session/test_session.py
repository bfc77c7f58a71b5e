"""One opened model without Qt: load, map, decode coalescing, arrows, linking."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.link import Link
from latent_atlas.explorer.session.pair import ComparePair, PairError
from latent_atlas.explorer.session.session import Session
from tests.fixture_scope import shared


@pytest.fixture(scope=shared)
def pair_files(tmp_path_factory, digits):
    """A tiny AE and VAE on digits: one with a stored map, one without (as train-pair
    leaves them)."""
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    folder = tmp_path_factory.mktemp("pair")
    paths = {}
    for kind in ("ae", "vae"):
        cfg = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                          hidden=(32,), epochs=2, seed=3)
        model = run_training(build_model(cfg), digits.images, device="cpu").model
        path = folder / f"{kind}.safetensors"
        latent_map = quick_map(encode(model, digits.images)) if kind == "ae" else None
        save_explorable(path, model, latent_map=latent_map, data_spec="digits",
                        label_names=list(digits.label_names), labels=digits.labels)
        paths[kind] = str(path)
    return paths


def _loaded(path: str, d: ManualDispatcher) -> Session:
    s = Session.from_file(path, d)
    s.start_loading()
    assert d.wait_until(lambda: s.decoder is not None and s.latent_map is not None
                        and s.images is not None, 60)
    for job in s.jobs.running("map"):
        job.supersede()  # a UMAP refinement is not needed here
    return s


def test_a_stored_map_is_there_before_the_model_loads(pair_files):
    s = Session.from_file(pair_files["ae"])
    assert s.latent_map is not None and s.decoder is None and s.kind == "ae"
    assert s.colouring().kind == "categorical"
    s.request_decode(s.latent_map.positions[0])
    s.dispatcher.process()
    assert s.cursor_xy is not None and s.cursor_image is None  # no decoder yet


def test_a_file_without_a_map_is_mapped_after_loading(pair_files):
    d = ManualDispatcher()
    s = Session.from_file(pair_files["vae"], d)
    assert s.latent_map is None
    events: list[str] = []
    s.map_changed.connect(lambda: events.append("map"))
    s.start_loading()
    assert d.wait_until(lambda: s.latent_map is not None, 60)
    assert s.latent_map.method == "pca" and s.n_points == 1797 and events
    assert s.jobs.running("map")  # UMAP refines in the background
    s.close()


def _hold_reconstructions(monkeypatch):
    """Make every reconstruction wait (up to a minute) until the returned event is set."""
    import threading

    from latent_atlas.explorer.core.inference import Decoder

    release = threading.Event()
    reconstruct = Decoder.reconstruct

    def held(self, images):
        release.wait(60)
        return reconstruct(self, images)

    monkeypatch.setattr(Decoder, "reconstruct", held)
    return release


def test_a_file_without_a_map_is_mapped_before_its_reconstructions(pair_files, monkeypatch):
    """Issue 24: the PCA map comes from the codes at once; reconstructing every image (the
    longer half of loading 10,000 images) follows with the map already drawn."""
    release = _hold_reconstructions(monkeypatch)
    d = ManualDispatcher()
    s = Session.from_file(pair_files["vae"], d)
    s.start_loading()
    try:
        assert d.wait_until(lambda: s.latent_map is not None, 60)
        assert s.latent_map.method == "pca" and s.n_points == 1797
        # the images come before the reconstructions, which are still being made
        assert d.wait_until(lambda: s.images is not None, 60)
        assert s.reconstructions is None and s.recon_error is None
        assert s.data_matches_map() and s.jobs.running("runtime")
    finally:
        release.set()
    assert d.wait_until(lambda: s.reconstructions is not None, 60)
    assert s.latent_map.n_points == 1797 and s.recon_error.shape == (1797,)
    s.close()


def test_decode_requests_are_coalesced_to_the_newest(pair_files):
    d = ManualDispatcher()
    s = _loaded(pair_files["ae"], d)
    before = s.decode_count
    for xy in s.latent_map.positions[:30]:
        s.request_decode(xy)
    d.process()
    assert s.decode_count - before == 1
    assert np.allclose(s.cursor_xy, s.latent_map.positions[29])
    assert s.cursor_image.shape == (8, 8)
    s.close()


def test_strip_runs_from_start_to_end_and_slerp_differs(pair_files):
    d = ManualDispatcher()
    s = _loaded(pair_files["ae"], d)
    m = s.latent_map
    a = s.add_arrow(m.positions[0], m.positions[500], tolerance=1e-6)
    assert (a.index0, a.index1) == (0, 500)
    first, last = s.decoder.decode(m.codes[0]), s.decoder.decode(m.codes[500])
    # the strip decodes all frames in one batch: uint8 may differ by one step from one decode
    np.testing.assert_allclose(a.frames[0].astype(int), first.astype(int), atol=1)
    np.testing.assert_allclose(a.frames[-1].astype(int), last.astype(int), atol=1)
    lerp_frames = a.frames.copy()
    s.set_mode("slerp")
    assert not np.array_equal(a.frames[1:-1], lerp_frames[1:-1])
    s.set_steps(1000)
    assert len(a.frames) == 64  # clamped
    s.close()


def test_a_link_mirrors_gestures_without_echo(pair_files):
    d = ManualDispatcher()
    a, b = _loaded(pair_files["ae"], d), _loaded(pair_files["ae"], d)
    link = Link(a, b)
    a.request_decode(a.latent_map.positions[7])
    d.process()
    assert a.decode_count == 1 and b.decode_count == 1
    b.set_hover(11)
    b.select(12)
    assert (a.hover_index, a.selected_index) == (11, 12)
    a.add_arrow(a.latent_map.positions[1], a.latent_map.positions[2], tolerance=1e-6)
    assert len(b.arrows) == 1 and (b.arrows[0].index0, b.arrows[0].index1) == (1, 2)
    b.set_mode("slerp")
    assert a.mode == "slerp"
    b.delete_selected_arrow()
    assert a.arrows == []
    link.disconnect()
    a.set_hover(3)
    assert b.hover_index == 11
    a.close()
    b.close()


def test_a_pair_aligns_the_right_map_once_it_exists(pair_files):
    from latent_atlas.explorer.core.analysis.comparison.align import AlignedMap

    d = ManualDispatcher()
    # VAE first: the pair still puts the plain AE on the left.
    pair = ComparePair(Session.from_file(pair_files["vae"], d),
                       Session.from_file(pair_files["ae"], d), d)
    assert (pair.left.kind, pair.right.kind) == ("ae", "vae")
    assert pair.right.latent_map is None
    pair.start_loading()
    assert d.wait_until(lambda: pair.ready() and pair.data is not None, 60)
    assert isinstance(pair.right.latent_map, AlignedMap)
    assert pair.right.n_points == pair.left.n_points
    pair.close()


def test_a_pair_of_different_images_is_refused_with_what_differs(pair_files, tmp_path):
    from latent_atlas.models.checkpoint import save_model
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    other = tmp_path / "other.safetensors"
    save_model(other, build_model(ModelConfig(kind="vae", arch="mlp", input_shape=(1, 16, 16),
                                              latent_dim=3, hidden=(8,))))
    with pytest.raises(PairError, match="16×16"):
        ComparePair(Session.from_file(pair_files["ae"]), Session.from_file(other),
                    ManualDispatcher())


def test_no_progress_line_outlives_the_loading(pair_files):
    """Issue 26: "reconstructing 1,797/1,797 images…" must not stay in the status line."""
    d = ManualDispatcher()
    s = Session.from_file(pair_files["ae"], d)
    messages: list[str] = []
    s.message.connect(messages.append)
    s.start_loading()
    assert d.wait_until(lambda: s.images is not None and not s.jobs.running("runtime"), 60)
    d.process()
    assert any("reconstructing" in m for m in messages)  # it did report progress
    assert "…" not in messages[-1] and "ready" in messages[-1]
    assert "1,797 images loaded" in messages[-1]
    s.close()


def test_a_pair_is_usable_while_its_alignment_is_still_refined(pair_files, tmp_path):
    """Issue 24: the maps are drawn and clickable while a refined alignment runs in the
    background; `is_aligned` says when it has landed."""
    import shutil
    import threading

    d = ManualDispatcher()
    vae_with_map = tmp_path / "ae_copy.safetensors"
    shutil.copy(pair_files["ae"], vae_with_map)
    pair = ComparePair(Session.from_file(pair_files["ae"], d),
                       Session.from_file(str(vae_with_map), d), d)
    pair.start_loading()
    assert d.wait_until(pair.is_ready, 60)
    release = threading.Event()

    def slow_refinement(cancel):
        while not release.wait(0.01):
            if cancel.is_set():
                return None
        yield from ()
        return None

    pair.jobs.start("align", slow_refinement).start()
    d.process()
    assert pair.is_ready() and not pair.is_aligned()
    release.set()
    assert d.wait_until(pair.is_aligned, 30)
    pair.close()


def test_a_pair_is_ready_for_clicks_and_metrics_before_the_reconstructions(pair_files,
                                                                           tmp_path,
                                                                           monkeypatch):
    """Issue 24: a pair is ready (clicks decode, sample pictures show, the metrics may
    start) once both models have their images and maps; the sessions' reconstructions of
    every image, seconds at 10,000 images, land later."""
    import shutil

    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings

    release = _hold_reconstructions(monkeypatch)
    d = ManualDispatcher()
    copy = tmp_path / "ae_copy.safetensors"
    shutil.copy(pair_files["ae"], copy)
    pair = ComparePair(Session.from_file(pair_files["ae"], d), Session.from_file(str(copy), d), d)
    try:
        assert not pair.is_ready()
        pair.start_loading()
        assert d.wait_until(pair.is_ready, 60)
        assert all(s.reconstructions is None and s.jobs.running("runtime")
                   for s in pair.sessions)
        assert pair.left.data_status() == ""  # sample pictures show
        settings = MetricSettings(n_prior=20, n_pairs=2, steps=3, n_path=5, n_between=4,
                                  classifier=False, probe_labels=())
        assert pair.compute_metrics(settings) is not None
    finally:
        release.set()
    assert d.wait_until(lambda: pair.metrics is not None and pair.metrics.complete, 120)
    assert d.wait_until(lambda: all(s.reconstructions is not None for s in pair.sessions), 60)
    pair.close()


def test_a_pair_opens_aligned_and_fits_its_maps_together_only_on_request(pair_files, tmp_path,
                                                                         monkeypatch):
    """Issue 24: Procrustes is the alignment; no UMAP refit competes with the loading and
    the metrics unless the user asks for one (`fit_maps_together`), which needs UMAP maps and
    replaces both maps when it lands, the right one aligned onto the new left one."""
    import dataclasses
    import shutil

    from latent_atlas.explorer.core.analysis.comparison.align import align_maps
    from latent_atlas.explorer.session import compare_tasks

    d = ManualDispatcher()
    other = tmp_path / "ae_copy.safetensors"
    shutil.copy(pair_files["ae"], other)
    pair = ComparePair(Session.from_file(pair_files["ae"], d), Session.from_file(str(other), d), d)
    messages: list[str] = []
    pair.message.connect(messages.append)
    assert pair.is_aligned()  # two stored maps: aligned at once, before anything loads
    pair.start_loading()
    assert not pair.jobs.running("align")
    assert d.wait_until(pair.is_ready, 60)
    assert pair.is_aligned() and not pair.jobs.running("align")

    assert "UMAP" in pair.can_fit_together()  # the left map is a PCA map
    assert pair.fit_maps_together() is None and "cannot fit" in messages[-1]

    left = pair.left.latent_map
    pair.left.set_map(dataclasses.replace(left, method="umap"), "stand-in umap map")
    assert pair.can_fit_together() is None
    calls: list[tuple[int, int]] = []

    def fake_fit(left_codes, right_codes, cancel):  # the joint fit itself: tests/core
        calls.append((len(left_codes), len(right_codes)))
        yield from ()
        new_left = dataclasses.replace(pair.left.latent_map, positions=left.positions * 2.0)
        new_right = dataclasses.replace(pair.right_base, positions=left.positions * 3.0 + 1.0)
        return new_left.prepare(), align_maps(new_right, new_left).prepare()

    monkeypatch.setattr(compare_tasks, "fit_jointly", fake_fit)
    job = pair.fit_maps_together()
    assert job is not None and not pair.is_aligned()
    assert "already" in pair.can_fit_together()
    assert d.wait_until(pair.is_aligned, 30)
    d.process()
    assert calls == [(left.n_points, left.n_points)]
    assert pair.left.map_note == "umap map, fitted together with the VAE map"
    assert pair.right.map_note == "umap map, fitted together with the AE map"
    assert "relative alignment error 0.00" in messages[-1]
    np.testing.assert_allclose(pair.left.latent_map.positions, left.positions * 2.0, atol=1e-5)
    # the right map, aligned onto the new left one (not onto the map it replaced)
    np.testing.assert_allclose(pair.right.latent_map.positions, left.positions * 2.0,
                               atol=1e-3)
    np.testing.assert_allclose(pair.right_base.positions, left.positions * 3.0 + 1.0,
                               atol=1e-5)
    pair.close()
