"""The one way in (latent_atlas.explorer.session.opening): every front end opens a model here, so its
checks and messages are tested once, without a display."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.session.opening import (
    OpenError,
    data_spec_for,
    open_data,
    open_model,
    other_data_note,
    read_model,
)

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_AE = ROOT / "resources" / "models" / "digits_ae.safetensors"


def _model_file(path: Path, data_spec: str, kind: str = "ae", **cfg) -> Path:
    """A small untrained model file that names `data_spec` as its training data."""
    from latent_atlas.models.checkpoint import save_model
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    config = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=2,
                         hidden=(8,), **cfg)
    save_model(path, build_model(config), data_spec=data_spec)
    return path


@pytest.fixture
def npz_data(tmp_path):
    """An 8x8 npz data set of 40 images with labels, and its spec."""
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(path, images=rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8),
             labels=np.arange(40) % 4)
    return path


def test_open_model_reads_builds_and_loads_the_data_it_was_trained_on(tmp_path, npz_data):
    path = _model_file(tmp_path / "m.safetensors", f"npz:{npz_data}")
    opened = open_model(path)
    assert opened.name == "m.safetensors"
    assert opened.config.kind == "ae" and opened.config.input_shape == (1, 8, 8)
    assert opened.data is not None and len(opened.data) == 40
    assert opened.notes == []
    assert opened.latent_map is None and opened.labels is None  # unconditional: no labels given
    from latent_atlas.explorer.core.inference import encode

    assert encode(opened.model, opened.data.images[:3]).shape == (3, 2)


def test_a_model_moved_away_from_its_data_says_where_the_path_came_from(tmp_path, npz_data):
    path = _model_file(tmp_path / "m.safetensors", f"npz:{npz_data}")
    moved = npz_data.with_name("elsewhere.npz")
    npz_data.rename(moved)
    with pytest.raises(OpenError) as err:
        open_model(path)
    text = str(err.value)
    assert "m.safetensors was trained on" in text and "not there any more" in text
    assert "give --data SPEC" in text
    # ... and --data points elsewhere, with a note that it is other data than the file names
    opened = open_model(path, data=f"npz:{moved}")
    assert len(opened.require_data()) == 40
    assert opened.notes and "was trained on" in opened.notes[0]


def test_a_missing_path_given_by_the_user_is_not_called_moved(tmp_path):
    path = _model_file(tmp_path / "m.safetensors", "digits")
    with pytest.raises(Exception, match="no such file") as err:
        open_model(path, data=f"npz:{tmp_path / 'absent.npz'}")
    assert "not there any more" not in str(err.value)


def test_a_model_without_a_data_spec_asks_for_one(tmp_path):
    stored = read_model(_model_file(tmp_path / "m.safetensors", ""))
    with pytest.raises(OpenError, match=r"does not say which data it was trained on; give --data"):
        data_spec_for(stored, None)
    assert data_spec_for(stored, "digits") == "digits"
    with pytest.raises(OpenError, match="give --data"):
        open_model(tmp_path / "m.safetensors")
    assert open_model(tmp_path / "m.safetensors", with_data=False).data is None


def test_images_of_another_shape_are_refused_in_one_sentence(tmp_path):
    path = _model_file(tmp_path / "m.safetensors", "digits")
    with pytest.raises(OpenError, match=r"^shapes:20 has 32×32×1 images but m.safetensors "
                                        r"takes 8×8×1; give the data it was trained on with "
                                        r"--data$"):
        open_model(path, data="shapes:20")


def test_labels_are_required_where_asked_and_for_a_conditional_model(tmp_path, npz_data):
    unlabelled = tmp_path / "plain.npz"
    np.savez(unlabelled, images=np.zeros((10, 1, 8, 8), np.uint8))
    with pytest.raises(OpenError, match="has no labels"):
        open_data(f"npz:{unlabelled}", (1, 8, 8), need_labels=True)
    path = _model_file(tmp_path / "c.safetensors", f"npz:{npz_data}", kind="cvae", n_classes=4)
    with pytest.raises(OpenError, match="conditional VAE and needs labelled data"):
        open_model(path, data=f"npz:{unlabelled}")
    opened = open_model(path)
    assert opened.labels is not None and len(opened.labels) == 40


def test_other_data_note_only_when_the_data_differs(tmp_path):
    stored = read_model(_model_file(tmp_path / "m.safetensors", "digits"))
    same = open_data("digits", (1, 8, 8))
    assert other_data_note(stored, same) == ""
    other = open_data("digits?limit=50", (1, 8, 8))
    assert "trained on digits, measured on digits?limit=50" in other_data_note(stored, other)


def test_the_config_is_parsed_once_per_open(tmp_path, monkeypatch):
    from latent_atlas.models.config import ModelConfig

    path = _model_file(tmp_path / "m.safetensors", "digits")
    calls = []
    original = ModelConfig.from_dict.__func__

    def counting(cls, d):
        calls.append(1)
        return original(cls, d)

    monkeypatch.setattr(ModelConfig, "from_dict", classmethod(counting))
    open_model(path, with_data=False)
    assert len(calls) == 1


@pytest.mark.skipif(not BUNDLED_AE.exists(), reason="the bundled digits models are missing")
def test_read_model_stays_numpy_only():
    code = ("import sys; from latent_atlas.explorer.session.opening import read_model; "
            f"s = read_model({str(BUNDLED_AE)!r}); "
            "assert s.latent_map is not None and s.labels is not None; "
            "assert s.config.kind == 'ae'; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_cli_says_where_a_moved_path_came_from(tmp_path, npz_data, capsys):
    from latent_atlas.explorer.cli import main

    path = _model_file(tmp_path / "m.safetensors", f"npz:{npz_data}")
    npz_data.unlink()
    assert main(["anomalies", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not there any more" in err and "--data" in err


def test_dialog_defaults_follow_the_open_model_typed_config(tmp_path):
    from latent_atlas.explorer.session.session import Session
    from latent_atlas.explorer.session.sweep import sweep_defaults
    from latent_atlas.explorer.session.training import PairRequest

    path = _model_file(tmp_path / "m.safetensors", "digits", epochs=3, seed=7)
    s = Session.from_file(path)
    assert s.kind == "ae" and s.input_shape == (1, 8, 8) and s.config.epochs == 3
    pair = PairRequest.like(s.config, s.data_spec)
    assert (pair.data_spec, pair.arch, pair.latent_dim, pair.epochs, pair.seed) == \
        ("digits", "mlp", 2, 3, 7)
    sweep = sweep_defaults(s.config, s.data_spec)
    assert (sweep.arch, sweep.latent_dim, sweep.epochs, sweep.seed) == ("mlp", 2, 3, 7)
    assert PairRequest.like(None) == PairRequest()
    assert sweep_defaults(None).data_spec == "digits"
    bare = Session("bare", {})  # no config at all: kind unknown, a shape that matches no data
    assert bare.config is None and bare.kind == "?" and bare.input_shape == (0, 0, 0)


def test_a_freshly_trained_model_opens_as_an_unsaved_session():
    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.explorer.session.dispatch import ManualDispatcher
    from latent_atlas.explorer.session.training import TrainRequest, train_task

    out = drain(train_task(TrainRequest(data_spec="digits?limit=120", kind="ae", arch="mlp",
                                        latent_dim=3, epochs=1, device="cpu"), None))
    d = ManualDispatcher()
    s = out.session(d)
    assert s is not None and s.dirty and s.kind == "ae" and s.path is None
    assert s.decoder is not None and s.data_matches_map() and len(s.images) == 120
    assert s.name == "digits_ae_new" and s.map_note.startswith("PCA")
    assert s.jobs.running("map")  # UMAP refines in the background
    s.close()
