"""What a resumed run needs besides the weights: optimizer state and random generators.

Stored in the model file without pickle. Every tensor of the optimizers' `state_dict()`
(Adam's moments and step counts) and of the generator states becomes a safetensors array
named `train.<path>`; the structure around them (nesting, integer keys, tuples, plain
numbers such as the learning rate) is described by a JSON document, the metadata field
`train_state`:

    {"version": 1, "state": <node>}
    node = {"t": "tensor", "key": "train.optimizers.ae.state.0.exp_avg", "shape": [32, 1, 3, 3]}
         | {"t": "dict", "items": [[key, node], ...]}      (keys: text or whole numbers)
         | {"t": "list" | "tuple", "items": [node, ...]}
         | {"t": "value", "value": null | true | 1 | 0.5 | "text"}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .modelfile import IncompatibleModelError, ModelFile

META_FIELD = "train_state"
PREFIX = "train"
VERSION = 1
_MAX_DEPTH = 16


@dataclass
class TrainState:
    """Optimizer `state_dict()`s by name ("ae" or, for the adversarial AE, "ae", "disc",
    "gen") and random generator states by name ("torch", "shuffle", "cuda")."""

    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    rng: dict[str, torch.Tensor] = field(default_factory=dict)

    def adam_steps(self) -> int:
        """Optimizer steps taken so far (the largest Adam step count stored)."""
        steps = [float(s["step"]) for sd in self.optimizers.values()
                 for s in sd.get("state", {}).values() if isinstance(s, dict) and "step" in s]
        return int(max(steps)) if steps else 0


def flatten(state: TrainState) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(JSON description, arrays) of `state`; raises TypeError for anything not storable."""
    arrays: dict[str, np.ndarray] = {}

    def node(obj: Any, path: list[str]) -> dict[str, Any]:
        if isinstance(obj, torch.Tensor):
            key = ".".join([PREFIX, *path])
            arrays[key] = obj.detach().cpu().contiguous().numpy().copy()
            # The shape too: a 0-d array (Adam's step) is stored with shape (1,).
            return {"t": "tensor", "key": key, "shape": list(obj.shape)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, str | int) or isinstance(k, bool):
                    raise TypeError(f"cannot store a key of type {type(k).__name__}")
                items.append([k, node(v, [*path, str(k)])])
            return {"t": "dict", "items": items}
        if isinstance(obj, list | tuple):
            kind = "tuple" if isinstance(obj, tuple) else "list"
            return {"t": kind, "items": [node(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if obj is None or isinstance(obj, bool | int | str):
            return {"t": "value", "value": obj}
        if isinstance(obj, float) and math.isfinite(obj):
            return {"t": "value", "value": obj}
        raise TypeError(f"cannot store {type(obj).__name__} {obj!r} in a model file")

    doc = {"version": VERSION,
           "state": node({"optimizers": state.optimizers, "rng": state.rng}, [])}
    return doc, arrays


def read_train_state(mf: ModelFile) -> TrainState | None:
    """The stored TrainState of a model file, None when it has none (an older file).
    A damaged description is an IncompatibleModelError with a readable message."""
    doc = mf.meta.get(META_FIELD)
    if doc is None:
        return None
    name = mf.path.name if mf.path else "the file"

    def bad(why: str) -> IncompatibleModelError:
        return IncompatibleModelError(f"{name} has a damaged training state ({why}); "
                                      "train it afresh or resume from another copy")

    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise bad("unknown layout")

    def build(n: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH or not isinstance(n, dict):
            raise bad("malformed structure")
        t = n.get("t")
        if t == "tensor":
            key = n.get("key")
            if not isinstance(key, str) or not key.startswith(PREFIX + ".") or key not in mf.arrays:
                raise bad(f"array {key!r} is missing")
            arr, shape = mf.arrays[key], n.get("shape")
            if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
                    and int(np.prod(shape)) == arr.size):
                raise bad(f"array {key!r} has no fitting shape")
            return torch.from_numpy(np.array(arr).reshape(shape))
        if t == "value":
            v = n.get("value")
            if v is not None and not isinstance(v, bool | int | float | str):
                raise bad("malformed value")
            return v
        items = n.get("items")
        if not isinstance(items, list):
            raise bad("malformed structure")
        if t in ("list", "tuple"):
            seq = [build(v, depth + 1) for v in items]
            return tuple(seq) if t == "tuple" else seq
        if t == "dict":
            out: dict[Any, Any] = {}
            for item in items:
                if not (isinstance(item, list) and len(item) == 2
                        and isinstance(item[0], str | int) and not isinstance(item[0], bool)):
                    raise bad("malformed table")
                out[item[0]] = build(item[1], depth + 1)
            return out
        raise bad(f"unknown node {t!r}")

    root = build(doc.get("state"), 0)
    if not (isinstance(root, dict) and isinstance(root.get("optimizers"), dict)
            and isinstance(root.get("rng"), dict)
            and all(isinstance(v, dict) for v in root["optimizers"].values())
            and all(isinstance(v, torch.Tensor) and v.dtype == torch.uint8
                    for v in root["rng"].values())):
        raise bad("optimizers or generators missing")
    return TrainState(optimizers=root["optimizers"], rng=root["rng"])


def load_optimizers(optimizers: dict[str, torch.optim.Optimizer], state: TrainState,
                    name: str = "the file") -> None:
    """Load stored optimizer states, checked first: same optimizers, same parameter
    groups, every per-parameter tensor shaped like its parameter. Nothing is changed
    when a check fails (IncompatibleModelError)."""
    if set(optimizers) != set(state.optimizers):
        raise IncompatibleModelError(
            f"{name} holds optimizer state for {sorted(state.optimizers)}, this model trains "
            f"{sorted(optimizers)}")
    for key, opt in optimizers.items():
        sd = state.optimizers[key]
        groups, stored = opt.param_groups, sd.get("param_groups")
        if not (isinstance(stored, list) and len(stored) == len(groups)
                and all(isinstance(g, dict) and isinstance(g.get("params"), list)
                        and len(g["params"]) == len(live["params"])
                        for g, live in zip(stored, groups, strict=False))):
            raise IncompatibleModelError(f"{name}: the stored optimizer state does not fit the model")
        params = {i: p for g, live in zip(stored, groups, strict=True)
                  for i, p in zip(g["params"], live["params"], strict=True)}
        per_param = sd.get("state")
        if not isinstance(per_param, dict):
            raise IncompatibleModelError(f"{name}: the stored optimizer state has no moments")
        for i, values in per_param.items():
            if i not in params or not isinstance(values, dict):
                raise IncompatibleModelError(f"{name}: optimizer state for an unknown parameter {i}")
            for k, v in values.items():
                if not isinstance(v, torch.Tensor) or not v.is_floating_point():
                    raise IncompatibleModelError(f"{name}: optimizer state {k} is not a number array")
                if v.dim() and tuple(v.shape) != tuple(params[i].shape):
                    raise IncompatibleModelError(
                        f"{name}: optimizer state {k} has shape {tuple(v.shape)}, "
                        f"the parameter {tuple(params[i].shape)}")
    for key, opt in optimizers.items():
        opt.load_state_dict(state.optimizers[key])
