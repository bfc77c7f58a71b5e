"""An ONNX encoder and decoder, run with onnxruntime (the optional extra `onnx`), and the
export of Latent Atlas's own models to such a pair.

A pair is a folder holding `encoder.onnx` (one input: N x C x H x W floats in [0, 1]; one
output, the code, or two, mean and log-variance) and `decoder.onnx` (one input: N x d
codes, or N x C x h x w spatial latents; one output: images in [0, 1], or logits when
`latent-atlas.json` says `"output": "logits"`). `latent-atlas.json` (optional) may also
name the data (`data_spec`) and `label_names`. Opening an ONNX file runs no Python: the
graph is data, executed by onnxruntime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checks import BadModelError

ENCODER, DECODER, DESCRIPTION = "encoder.onnx", "decoder.onnx", "latent-atlas.json"


def _runtime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise BadModelError("ONNX models need onnxruntime: pip install "
                            "'latent-atlas[onnx]' (or pip install onnxruntime)") from None
    return onnxruntime


def _session(path: Path) -> Any:
    ort = _runtime()
    options = ort.SessionOptions()
    # One thread: a click decodes one small image, and a second thread only waits (see
    # latent_atlas.explorer.core.inference.one_torch_thread); big batches are cut by the runner anyway.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise BadModelError(f"{path.name} is not an ONNX model onnxruntime can run: "
                            f"{' '.join(str(exc).split())[:300]}") from None


def _names(args: list[Any]) -> str:
    return ", ".join(f"{a.name} {list(a.shape)}" for a in args)


def _check_io(enc: Any, dec: Any) -> None:
    ins, outs = enc.get_inputs(), enc.get_outputs()
    if len(ins) != 1 or len(ins[0].shape) != 4:
        raise BadModelError(f"{ENCODER} takes {len(ins)} input(s) ({_names(ins)}); an encoder "
                            "takes one N x C x H x W image batch")
    if len(outs) not in (1, 2):
        raise BadModelError(f"{ENCODER} gives {len(outs)} outputs; an encoder gives the code, "
                            "or the mean and the log-variance")
    ins, outs = dec.get_inputs(), dec.get_outputs()
    if len(ins) != 1:
        raise BadModelError(f"{DECODER} takes {len(ins)} inputs ({_names(ins)}); a decoder "
                            "takes one batch of codes")
    if len(outs) < 1:
        raise BadModelError(f"{DECODER} gives no output")


def image_shape_of(enc: Any) -> tuple[int, int, int] | None:
    """The encoder's (C, H, W) when its graph fixes it, else None."""
    dims = enc.get_inputs()[0].shape[1:]
    return tuple(int(d) for d in dims) if all(isinstance(d, int) for d in dims) else None  # type: ignore[return-value]


class OnnxFunctions:
    """The pair as two functions of torch tensors (what `module.from_object` wraps)."""

    def __init__(self, enc: Any, dec: Any) -> None:
        self.enc, self.dec = enc, dec
        self.enc_in = enc.get_inputs()[0].name
        self.dec_in = dec.get_inputs()[0].name
        self.dec_type = np.float32

    def encode(self, x: torch.Tensor) -> Any:
        outs = _run(self.enc, ENCODER, {self.enc_in: np.ascontiguousarray(x.cpu().numpy(),
                                                                          dtype=np.float32)})
        t = [torch.from_numpy(np.asarray(o, dtype=np.float32)) for o in outs]
        return t[0] if len(t) == 1 else (t[0], t[1])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = _run(self.dec, DECODER, {self.dec_in: np.ascontiguousarray(z.cpu().numpy(),
                                                                         dtype=np.float32)})[0]
        return torch.from_numpy(np.asarray(out, dtype=np.float32))


def _run(session: Any, name: str, feed: dict[str, np.ndarray]) -> list[Any]:
    try:
        return list(session.run(None, feed))
    except Exception as exc:  # onnxruntime's own errors: a graph that does not fit the input
        shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in feed.items())
        raise BadModelError(f"{name} cannot run on {shapes}: "
                            f"{' '.join(str(exc).split())[-200:]}") from None


def open_onnx_pair(folder: Path) -> tuple[tuple[Any, Any], dict[str, Any]]:
    """((encode, decode) functions, what the folder says of the model) of an ONNX pair."""
    described: dict[str, Any] = {}
    if (folder / DESCRIPTION).is_file():
        try:
            described = json.loads((folder / DESCRIPTION).read_text())
        except (OSError, ValueError) as exc:
            raise BadModelError(f"{DESCRIPTION} in {folder.name} is not readable JSON: "
                                f"{exc}") from None
        if not isinstance(described, dict):
            raise BadModelError(f"{DESCRIPTION} in {folder.name} must hold a JSON object")
    enc, dec = _session(folder / ENCODER), _session(folder / DECODER)
    _check_io(enc, dec)
    fns = OnnxFunctions(enc, dec)
    meta: dict[str, Any] = {"source": "onnx"}
    for key in ("data_spec", "label_names", "output", "kind"):
        if key in described:
            meta[key] = described[key]
    shape = image_shape_of(enc)
    if shape is not None:
        meta["image_shape"] = list(shape)
    return (fns.encode, fns.decode), meta


# ---- export of our own models ----------------------------------------------------------

class _Encode(torch.nn.Module):
    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> Any:
        mu, logvar = self.model.encode(x)
        return mu if logvar is None else (mu, logvar)


class _Decode(torch.nn.Module):
    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


def export_onnx_pair(model: Any, folder: Path, *, meta: dict[str, Any] | None = None
                     ) -> list[Path]:
    """Write `encoder.onnx`, `decoder.onnx` and `latent-atlas.json` of a contract model
    (one without labels or switches) into `folder`; returns the files written."""
    caps = model.capabilities
    if caps.labels or caps.switches:
        raise BadModelError("a conditional or max-unpooling model needs more than a code "
                            "to decode (labels or switches), so it has no ONNX pair")
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    x = torch.rand(2, *model.image_shape)
    z = torch.randn(2, model.latent_dim)
    enc_names = ["mu", "logvar"] if model.variational else ["code"]
    batch = {0: "batch"}
    _export(_Encode(model), x, folder / ENCODER, ["images"], enc_names,
            {"images": batch, **{n: batch for n in enc_names}})
    _export(_Decode(model), z, folder / DECODER, ["codes"], ["images"],
            {"codes": batch, "images": batch})
    # The exported graphs take and give flat codes (the model restores spatial ones inside).
    described = {"image_shape": list(model.image_shape), "code_shape": [model.latent_dim],
                 "model_code_shape": list(model.code_shape),
                 "variational": bool(model.variational), "output": "probabilities",
                 "kind": str(model.kind), **(meta or {})}
    (folder / DESCRIPTION).write_text(json.dumps(described, indent=2) + "\n")
    return [folder / ENCODER, folder / DECODER, folder / DESCRIPTION]


def _export(module: torch.nn.Module, example: torch.Tensor, path: Path, inputs: list[str],
            outputs: list[str], axes: dict[str, dict[int, str]]) -> None:
    import warnings

    tmp = path.with_name(path.name + ".tmp")
    # The TorchScript exporter (dynamo=False): these graphs are plain, and the torch.export
    # one takes ~12 s per graph here and needs onnxscript. Torch marks it deprecated, and
    # tracing warns about shape checks it freezes; the round trip (export_onnx) checks the
    # result instead.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(tmp), input_names=inputs,
                          output_names=outputs, dynamic_axes=axes, dynamo=False)
    tmp.replace(path)
