"""Click-to-image p99 of every model source beside the native path, at the same model size.

The same trained network is opened five ways: natively (our `Autoencoder`), as a plain
user `nn.Module` (its layers in a class that subclasses nothing of ours, opened with
`open_source`), as a `--python` factory (the same object returned by a factory), as an
ONNX pair exported from it (onnxruntime) and as a pythae VAE whose encoder and decoder are
its layers (pythae's `BaseEncoder`/`BaseDecoder` and `ModelOutput`, through the pythae
adapter). Each gets the same map (PCA of the native codes, so the inverse costs the same)
and the same random points; the click path is `LatentMap.inverse` + `Decoder.decode`
(uint8 image), as in `Session.request_decode`.

diffusers' `AutoencoderKL` has its own architecture, so it is measured on its own images
(16 x 16 x 3, latents 4 x 4 x 4) beside a native conv VAE of the same image and code
shape whose decoder has the same number of parameters (`native_kl_size`), and beside the
same AutoencoderKL called directly (`kl.decode(z).sample`, no adapter: `diffusers_direct`).

Printed as key=value: `click_p99_ms_<source>=…`, `ratio_<source>=…` (p99 / native p99;
for diffusers against `native_kl_size`, and `ratio_diffusers_adapter` against the direct
call) and `click_p50_ms_<source>=…` (the median: under load the p99 is mostly the
scheduler's). Skipped sources (an extra not installed) say so on a `#` line.
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


def _p50_ms(times: list[float]) -> float:
    return float(np.percentile(times, 50) * 1e3)


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
        pythae = _pythae_copy(native)
        if pythae is not None:
            models["pythae"] = open_source(pythae, data=sample).model
        times = {name: _click_times(m, latent_map, points) for name, m in models.items()}
    results = {name: _p99_ms(t) for name, t in times.items()}
    base = results["native"]
    for name, p99 in results.items():
        print(f"click_p99_ms_{name}={p99:.3f}" + (f" ratio_{name}={p99 / base:.2f}"
                                                   if name != "native" else "")
              + f" click_p50_ms_{name}={_p50_ms(times[name]):.3f}")
    print(f"# sources measured on {spec}: {len(sample)} codes, {clicks} clicks each")
    results.update(_diffusers_click(clicks))
    return results


def _pythae_copy(native: Any) -> Any:
    """A pythae VAE (or AE) whose encoder and decoder are the native network's layers."""
    try:
        from pythae.models import AE, VAE, AEConfig, VAEConfig
        from pythae.models.base.base_utils import ModelOutput
        from pythae.models.nn import BaseDecoder, BaseEncoder
    except ImportError:
        print("# pythae not installed: its click path is not measured")
        return None
    plain = _PlainCopy(native)

    class Encoder(BaseEncoder):
        def __init__(self) -> None:
            super().__init__()
            self.plain = plain

        def forward(self, x):
            out = self.plain.encode(x)
            if isinstance(out, tuple):
                return ModelOutput(embedding=out[0], log_covariance=out[1])
            return ModelOutput(embedding=out)

    class Decoder(BaseDecoder):
        def __init__(self) -> None:
            super().__init__()
            self.plain = plain

        def forward(self, z):
            return ModelOutput(reconstruction=self.plain.decode(z))

    variational = native.logvar_head is not None
    cfg = (VAEConfig if variational else AEConfig)(input_dim=tuple(native.image_shape),
                                                   latent_dim=int(native.latent_dim))
    return (VAE if variational else AE)(cfg, encoder=Encoder(), decoder=Decoder()).eval()


def _diffusers_click(clicks: int) -> dict[str, float]:
    """A tiny AutoencoderKL through the adapter, called directly, and a native conv VAE of
    its image and code shape with a decoder of the same size: p99s, printed."""
    try:
        from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl

        kl = tiny_autoencoder_kl()
    except ValueError:  # BadModelError: the extra is not installed
        print("# diffusers not installed: its click path is not measured")
        return {}
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.session.opening import open_source
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2000, 3, 16, 16), dtype=np.uint8)
    model = open_source(kl, data=images).model
    # hidden (12, 24): a decoder of 29,199 parameters against the AutoencoderKL's 29,215
    native = build_model(ModelConfig(kind="vae", arch="conv", input_shape=(3, 16, 16),
                                     latent_dim=model.latent_dim, hidden=(12, 24))).eval()

    def n_params(m: Any) -> int:
        return sum(p.numel() for p in m.parameters())

    out = {}
    for name, m in (("native_kl_size", native), ("diffusers", model)):
        latent_map = quick_map(encode(m, images)).prepare()
        x0, x1, y0, y1 = latent_map.bounds()
        points = np.c_[rng.uniform(x0, x1, clicks), rng.uniform(y0, y1, clicks)]
        times = {name: _click_times(m, latent_map, points)}
        if name == "diffusers":
            times["diffusers_direct"] = _direct_kl_times(kl, latent_map, points)
        for key, t in times.items():
            out[key], out[f"p50_{key}"] = _p99_ms(t), _p50_ms(t)
    dec_native = n_params(native.decoder)
    print(f"click_p99_ms_native_kl_size={out['native_kl_size']:.3f} "
          f"click_p50_ms_native_kl_size={out['p50_native_kl_size']:.3f} (conv VAE, decoder "
          f"{dec_native} parameters)")
    print(f"click_p99_ms_diffusers={out['diffusers']:.3f} "
          f"ratio_diffusers={out['diffusers'] / out['native_kl_size']:.2f} "
          f"click_p50_ms_diffusers={out['p50_diffusers']:.3f} (AutoencoderKL, decoder "
          f"{n_params(kl.decoder) + n_params(kl.post_quant_conv)} parameters)")
    print(f"click_p99_ms_diffusers_direct={out['diffusers_direct']:.3f} "
          f"ratio_diffusers_adapter={out['diffusers'] / out['diffusers_direct']:.2f} "
          f"click_p50_ms_diffusers_direct={out['p50_diffusers_direct']:.3f}")
    print(f"# diffusers measured on 16x16x3 random images: {len(images)} codes of "
          f"{model.latent_dim} values (4x4x4), {clicks} clicks each")
    return out


def _direct_kl_times(kl: Any, latent_map: Any, points: np.ndarray) -> list[float]:
    """The AutoencoderKL called as diffusers is, on the same map: the adapter's baseline."""
    from latent_atlas.explorer.core.inference import one_torch_thread, to_display

    def click(p: np.ndarray) -> np.ndarray:
        z = torch.from_numpy(np.asarray(latent_map.inverse(p), np.float32)).reshape(1, 4, 4, 4)
        with one_torch_thread(True), torch.inference_mode():
            img = ((kl.decode(z).sample + 1.0) / 2.0).clamp(0.0, 1.0).numpy()
        return to_display(img)[0]

    for p in points[:20]:
        click(p)
    out = []
    for p in points:
        t = time.perf_counter()
        click(p)
        out.append(time.perf_counter() - t)
    return out
