"""Models Latent Atlas did not build, behind the model contract (`models/contract.py`).

One adapter per source, each a torch `nn.Module` that speaks the contract:
- `module.py`: a user's plain `nn.Module` autoencoder, or an (encoder, decoder) pair, handed
  over in Python (the `--python` factories return these too);
- `onnx_pair.py`: an ONNX encoder and decoder run with onnxruntime (extra `onnx`);
- `pythae_model.py`: a pythae model folder (extra `pythae`);
- `diffusers_vae.py`: diffusers' `AutoencoderKL`, with spatial latents (extra `diffusers`).
`latent_atlas.explorer.core.model_check` probes every one of them once, through the inference runner,
when it is opened (output shapes, NaN, values outside [0, 1], a slow decoder), so a bad
model is one readable `BadModelError` (`checks.py`).

Nothing here imports user code or unpickles anything: `latent_atlas.explorer.session.user_code` runs a
factory the user named, and only after the user said so.
"""

from .checks import BadModelError
from .module import SourceModel, from_object

__all__ = ["BadModelError", "SourceModel", "from_object"]
