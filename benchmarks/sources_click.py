"""Click-to-image p99 of every model source beside the native path, at the same model size.

The same trained network is opened four ways: natively (our `Autoencoder`), as a plain
user `nn.Module` (its layers in a class that subclasses nothing of ours, opened with
`open_source`), as a `--python` factory (the same object returned by a factory) and as an
ONNX pair exported from it (onnxruntime). Each gets the same map (PCA of the native codes,
so the inverse costs the same) and the same random points; the click path is
`LatentMap.inverse` + `Decoder.decode` (uint8 image), as in `Session.request_decode`.
A tiny diffusers `AutoencoderKL` (spatial latents, another size) is reported on its own.

Printed as key=value: `click_p99_ms_<source>=…` and `ratio_<source>=…` (p99 / native p99).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn


class _PlainCopy(nn.Module):
    """The native network's layers behind encode/decode, as a user would write them."""

    def __init__(self, native: Any) -> None:
        super().__init__()
        self.encoder, self.mu_head, self.decoder_net = native.encoder, native.mu_head, native.decoder
        self.logvar_head = native.logvar_head

    def encode(self, x):
        h = self.encoder(x)
        return (self.mu_head(h), self.logvar_head(h)) if self.logvar_head is not None else \
            self.mu_head(h)

    def decode(self, z):
        return torch.sigmoid(self.decoder_net(z))


def _click_times(model: Any, latent_map: Any, points: np.ndarray) -> list[float]:
    from latent_atlas.explorer.core.inference import Decoder

    dec = Decoder(model)
    for p in points[:20]:  # warm-up
        dec.decode(latent_map.inverse(p))
    out = []
    for p in points:
        t = time.perf_counter()
        img = dec.decode(latent_map.inverse(p))
        out.append(time.perf_counter() - t)
    assert img.dtype == np.uint8
    return out


def _p99_ms(times: list[float]) -> float:
    return float(np.percentile(times, 99) * 1e3)


def run(native: Any, images: np.ndarray, spec: str, clicks: int = 1000) -> dict[str, float]:
    """Open each source, time its click path over `clicks` points; print and return p99s."""
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.session.opening import open_source
    from latent_atlas.explorer.session.user_code import PythonFactory

    native = native.eval()
    sample = images[:2000]
    latent_map = quick_map(encode(native, sample)).prepare()
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = latent_map.bounds()
    points = np.c_[rng.uniform(x0, x1, clicks), rng.uniform(y0, y1, clicks)]
    models: dict[str, Any] = {"native": native}
    models["module"] = open_source(_PlainCopy(native), data=sample).model
    with tempfile.TemporaryDirectory() as tmp:
        factory = Path(tmp) / "factory.py"
        factory.write_text("import builtins\ndef make():\n    return builtins._la_bench_model\n")
        import builtins

        builtins._la_bench_model = _PlainCopy(native)  # type: ignore[attr-defined]
        models["python"] = open_source(PythonFactory(f"{factory}:make"), data=sample).model
        try:
            from latent_atlas.explorer.session.user_model import export_onnx

            export_onnx(open_source(native, data=sample), Path(tmp) / "pair")
            models["onnx"] = open_source(str(Path(tmp) / "pair"), data=sample).model
        except Exception as exc:  # the onnx extra is optional
            print(f"# onnx skipped: {exc}")
        results = {name: _p99_ms(_click_times(m, latent_map, points))
                   for name, m in models.items()}
    base = results["native"]
    for name, p99 in results.items():
        print(f"click_p99_ms_{name}={p99:.3f}" + (f" ratio_{name}={p99 / base:.2f}"
                                                   if name != "native" else ""))
    kl = _diffusers_click(clicks)
    if kl is not None:
        results["diffusers"] = kl
        print(f"click_p99_ms_diffusers={kl:.3f} (a tiny AutoencoderKL, 16x16x3, latents "
              "4x4x4; not the native model's size)")
    print(f"# sources measured on {spec}: {len(sample)} codes, {clicks} clicks each")
    return results


def _diffusers_click(clicks: int) -> float | None:
    try:
        from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl
    except ImportError:
        return None
    try:
        kl = tiny_autoencoder_kl()
    except ValueError:  # BadModelError: the extra is not installed
        print("# diffusers not installed: its click path is not measured")
        return None
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.session.opening import open_source

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (300, 3, 16, 16), dtype=np.uint8)
    model = open_source(kl, data=images).model
    latent_map = quick_map(encode(model, images)).prepare()
    x0, x1, y0, y1 = latent_map.bounds()
    points = np.c_[rng.uniform(x0, x1, clicks), rng.uniform(y0, y1, clicks)]
    return _p99_ms(_click_times(model, latent_map, points))
