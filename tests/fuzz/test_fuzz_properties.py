"""Property (issue 14): whatever a model file's header or metadata holds, reading it
loads, or raises our own error type (ModelFileError or ConfigError), never anything else.
The same holds for its stored map, the window's numpy-only read and `info`."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from fuzzkit import make_model_file, read_parts, write_parts  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from latent_atlas.models.config import ConfigError  # noqa: E402
from latent_atlas.models.modelfile import ModelFileError  # noqa: E402

OURS = (ModelFileError, ConfigError)
_DIR = Path(tempfile.mkdtemp(prefix="latent-atlas-props-"))
_GOOD = make_model_file(_DIR / "good.safetensors", kind="vae", latent_dim=3, hidden=(6,))
HEADER, DATA = read_parts(_GOOD)
META = json.loads(HEADER["__metadata__"]["latent_atlas"])
TENSORS = sorted(k for k in HEADER if k != "__metadata__")

leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, 2, -1, 3, 8, 10**9, 2**63, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.sampled_from(["ae", "vae", "cvae", "aae", "mlp", "conv", "F32", "F64", "U8", "I64"]))
values = st.recursive(leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=3)),
    max_leaves=8)
DELETE = object()
value_or_delete = st.one_of(values, st.just(DELETE))


def _set(target, key, value):
    if value is DELETE:
        if isinstance(target, dict):
            target.pop(key, None)
        elif isinstance(target, list) and isinstance(key, int) and key < len(target):
            del target[key]
    elif isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list) and isinstance(key, int) and key < len(target):
        target[key] = value


@st.composite
def mutated_files(draw):
    """(header, metadata document) of the good file with one to three edits."""
    header = json.loads(json.dumps(HEADER))
    meta = json.loads(json.dumps(META))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["config", "meta", "map", "history", "tensor", "header",
                                      "document"]))
        cfg = meta.get("config") if isinstance(meta, dict) else None
        if where == "config" and isinstance(cfg, dict):
            field = draw(st.sampled_from(sorted(META["config"]) + ["extra", "unknown"]))
            _set(cfg, field, draw(value_or_delete))
        elif where == "meta" and isinstance(meta, dict):
            _set(meta, draw(st.sampled_from(sorted(META) + ["other"])), draw(value_or_delete))
        elif where == "map" and isinstance(meta, dict) and isinstance(meta.get("map"), dict):
            key = draw(st.sampled_from(["method", "n_points", "dim", "params", "format"]))
            _set(meta["map"], key, draw(value_or_delete))
        elif where == "history" and isinstance(meta, dict) and meta.get("history"):
            epoch = meta["history"][0]
            if isinstance(epoch, dict):
                _set(epoch, draw(st.sampled_from(["train", "val", "epoch", "seconds"])),
                     draw(value_or_delete))
        elif where == "tensor":
            name = draw(st.sampled_from(TENSORS))
            info = header.get(name)
            part = draw(st.sampled_from(["dtype", "shape", "data_offsets", "entry"]))
            if part == "entry":
                _set(header, name, draw(value_or_delete))
            elif isinstance(info, dict):
                if isinstance(info.get(part), list) and info[part] and draw(st.booleans()):
                    _set(info[part], draw(st.integers(0, len(info[part]) - 1)), draw(values))
                else:
                    _set(info, part, draw(value_or_delete))
        elif where == "header":
            key = draw(st.sampled_from(["__metadata__", "format", "extra.tensor"]))
            if key == "format" and isinstance(header.get("__metadata__"), dict):
                _set(header["__metadata__"], "format", draw(value_or_delete))
            else:
                _set(header, key, draw(value_or_delete))
        else:
            meta = draw(values)
    return header, meta


def _write(header, meta) -> Path:
    if isinstance(header.get("__metadata__"), dict) and "latent_atlas" in header["__metadata__"]:
        header["__metadata__"]["latent_atlas"] = json.dumps(meta)
    return write_parts(_DIR / "mutated.safetensors", header, DATA)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_files())
def test_a_mutated_model_file_loads_or_raises_our_own_error(mutation):
    from latent_atlas.explorer.cli.train import run_info
    from latent_atlas.explorer.core.latent.map import load_map
    from latent_atlas.explorer.session.opening import read_model as session_read
    from latent_atlas.models.checkpoint import load_model
    from latent_atlas.models.modelfile import read_metadata

    path = _write(*mutation)
    for read in (read_metadata, session_read, load_model):
        try:
            result = read(path)
        except OURS:
            continue
        if read is load_model:
            try:
                load_map(result.file)
            except OURS:
                pass
        if read is read_metadata:  # what `info` prints never fails on a file that reads
            with contextlib.redirect_stdout(io.StringIO()):
                assert run_info(argparse.Namespace(file=str(path), json=False, data=None)) == 0
