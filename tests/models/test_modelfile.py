import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from latent_atlas.models.checkpoint import load_model, save_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.modelfile import (
    IncompatibleModelError,
    ModelFileError,
    NotAModelFileError,
    TruncatedFileError,
    UnsupportedVersionError,
    read_metadata,
    read_model_file,
    update_model_file,
    write_model_file,
)
from latent_atlas.models.networks import build_model


@pytest.fixture()
def saved(tmp_path):
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=3, hidden=(8, 16))
    model = build_model(cfg).eval()
    path = tmp_path / "m.safetensors"
    save_model(path, model, data_spec="digits", label_names=list("0123456789"),
               history=[{"epoch": 1, "train": {"total": 1.0}, "val": None}],
               arrays={"map.positions": np.zeros((5, 2), np.float32)}, meta={"map": {"method": "pca"}})
    return path, model


def test_save_load_gives_bit_identical_decodes(saved):
    path, model = saved
    loaded = load_model(path)
    z = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(model.decode(z), loaded.model.decode(z))
        x = torch.rand(4, 1, 8, 8)
        assert torch.equal(model.encode(x)[0], loaded.model.encode(x)[0])
    assert loaded.config == model.config
    assert loaded.meta["data_spec"] == "digits"
    assert loaded.meta["label_names"] == list("0123456789")
    assert loaded.meta["map"] == {"method": "pca"}
    assert loaded.file.group("map")["positions"].shape == (5, 2)
    assert read_metadata(path)["format_version"] == 1


def test_update_keeps_weights_and_replaces_group(saved):
    path, model = saved
    update_model_file(path, {"map": {"method": "umap"}},
                      {"map.codes": np.ones((5, 3), np.float32)}, drop_prefix="map")
    mf = read_model_file(path)
    assert set(mf.group("map")) == {"codes"}
    assert mf.meta["map"]["method"] == "umap"
    z = torch.zeros(1, 3)
    with torch.inference_mode():
        assert torch.equal(load_model(path).model.decode(z), model.decode(z))


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "PWNED"
    for name, writer in [
        ("torch.safetensors", lambda p: torch.save({"x": _Payload(marker)}, p)),
        ("raw.safetensors", lambda p: p.write_bytes(pickle.dumps(_Payload(marker)))),
    ]:
        path = tmp_path / name
        writer(path)
        with pytest.raises(NotAModelFileError, match="not a Latent Atlas model file"):
            load_model(path)
        # The CLI refuses it too, with exit code 2 and no traceback.
        out = subprocess.run([sys.executable, "-m", "latent_atlas.explorer.cli", "info", str(path)],
                             capture_output=True, text=True)
        assert out.returncode == 2 and "Traceback" not in out.stderr
    assert not marker.exists()


def test_truncated_files_give_the_readable_error(saved):
    path, _ = saved
    blob = path.read_bytes()
    bad = path.with_name("cut.safetensors")
    offsets = sorted(set([1, 4, 7, 8, 9, 20, 100] + list(range(0, len(blob), max(1, len(blob) // 60)))
                         + [len(blob) - 1]))
    for off in offsets:
        if off == 0:
            continue
        bad.write_bytes(blob[:off])
        with pytest.raises(ModelFileError) as info:
            load_model(bad)
        msg = str(info.value)
        assert isinstance(info.value, (TruncatedFileError, NotAModelFileError)), (off, msg)
        assert "cut short" in msg or "not a Latent Atlas model file" in msg, (off, msg)
    bad.write_bytes(b"")
    with pytest.raises(NotAModelFileError, match="empty"):
        load_model(bad)


def test_other_safetensors_and_wrong_shapes(tmp_path, saved):
    from safetensors.numpy import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(other))
    with pytest.raises(NotAModelFileError, match="another program"):
        load_model(other)

    path, _ = saved
    mf = read_model_file(path)
    meta = dict(mf.meta)
    meta["config"] = dict(meta["config"], latent_dim=8)
    wrong = tmp_path / "wrong.safetensors"
    write_model_file(wrong, meta, mf.arrays)
    with pytest.raises(IncompatibleModelError, match=r"latent size 8"):
        load_model(wrong)

    meta = dict(mf.meta, format_version=99)
    newer = tmp_path / "newer.safetensors"
    write_model_file(newer, meta, mf.arrays)
    with pytest.raises(UnsupportedVersionError, match="newer Latent Atlas"):
        load_model(newer)

    meta = dict(mf.meta, config={"kind": "ae"})
    broken = tmp_path / "broken.safetensors"
    write_model_file(broken, meta, mf.arrays)
    with pytest.raises(IncompatibleModelError, match="missing config key"):
        load_model(broken)

    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="folder"):
        load_model(tmp_path)


def test_crash_mid_save_leaves_previous_file_intact(saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_model(path, model, data_spec="other")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert json.loads(json.dumps(read_metadata(path)))["data_spec"] == "digits"


def test_saved_files_get_normal_permissions(saved):
    path, _ = saved
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as open() would, not mkstemp's 0600
