"""Types: mypy ([tool.mypy] in pyproject.toml) is clean on models, latent_atlas.explorer.core and
latent_atlas.explorer.session, and the click path (Session.request_decode -> latent_map.inverse ->
Decoder.decode) is annotated with real types, never Any."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
import typing
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_clean():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the test extras)")
    # The files, options and cache folder (.mypy_cache) come from pyproject.toml.
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


# --- the click path ------------------------------------------------------------------

def _names() -> dict[str, object]:
    """What the annotations name under TYPE_CHECKING (torch is fine to import in a test)."""
    from latent_atlas.explorer.core.analysis.colouring import Colouring
    from latent_atlas.explorer.core.data.base import ImageSet
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.io.interop import EmbeddingTable
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.explorer.session.dispatch import Dispatcher
    from latent_atlas.explorer.session.loading import DataExtras
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.contract import LatentModel
    from latent_atlas.models.modelfile import ModelFile
    from latent_atlas.models.networks import Autoencoder

    return {"Decoder": Decoder, "MapLike": MapLike, "Autoencoder": Autoencoder,
            "LatentModel": LatentModel,
            "ModelFile": ModelFile, "ImageSet": ImageSet, "DataExtras": DataExtras,
            "ModelConfig": ModelConfig, "Dispatcher": Dispatcher, "Colouring": Colouring,
            "EmbeddingTable": EmbeddingTable}


def _members(hint: object) -> tuple[object, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _dtype(hint: object) -> object:
    """The scalar type of `np.ndarray[shape, np.dtype[T]]` (npt.NDArray[T])."""
    assert typing.get_origin(hint) is np.ndarray, f"{hint} is not a typed numpy array"
    dtype = typing.get_args(hint)[1]
    assert typing.get_origin(dtype) is np.dtype, f"{hint} has no dtype"
    return typing.get_args(dtype)[0]


def _hints(fn: types.FunctionType) -> dict[str, object]:
    """A method's resolved annotations: every parameter (but self) and the return have
    one, and none of them is Any (or Any | None)."""
    hints = typing.get_type_hints(fn, localns=_names())
    code = fn.__code__
    params = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]
    missing = [p for p in (*params, "return") if p not in hints]
    assert not missing, f"{fn.__qualname__} has no annotation for {missing}"
    for name, hint in hints.items():
        assert typing.Any not in _members(hint), f"{fn.__qualname__}: {name} is Any"
    return hints


def test_session_holds_a_typed_map_decoder_and_model():
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.explorer.session.session import Session
    from latent_atlas.models.contract import LatentModel

    hints = typing.get_type_hints(Session, localns=_names())
    assert hints["latent_map"] == MapLike | None
    assert hints["decoder"] == Decoder | None
    # the model contract (models/contract.py): ours or any source's model
    assert hints["model"] == LatentModel | None


def test_click_path_signatures_are_typed():
    from latent_atlas.explorer.core.analysis.comparison.align import AlignedMap
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.inverse import TriangulationInverse
    from latent_atlas.explorer.core.latent.map import LatentMap, MapLike
    from latent_atlas.explorer.session.cursor import Cursor
    from latent_atlas.explorer.session.session import Session
    from latent_atlas.models.contract import LatentModel

    _hints(Session.request_decode)
    _hints(Cursor.request_decode)
    _hints(Cursor._decode_pending)
    for inverse in (MapLike.inverse, LatentMap.inverse, AlignedMap.inverse,
                    TriangulationInverse.__call__):
        assert _dtype(_hints(inverse)["return"]) is np.float32, inverse.__qualname__
    assert _hints(Decoder.__init__)["model"] is LatentModel
    assert _dtype(_hints(Decoder.decode_float)["return"]) is np.float32
    assert _dtype(_hints(Decoder.decode)["return"]) is np.uint8
    assert _dtype(_hints(Decoder.decode_at)["return"]) is np.uint8
