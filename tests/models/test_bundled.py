"""The bundled digits AE and VAE: what the app opens by default."""

from pathlib import Path

import numpy as np
import torch

from latent_atlas.models.checkpoint import load_model

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "resources" / "models"


def test_bundled_pair_has_identical_settings_and_reconstructs_digits(digits):
    ae = load_model(BUNDLED / "digits_ae.safetensors")
    vae = load_model(BUNDLED / "digits_vae.safetensors")
    assert ae.config.kind == "ae" and vae.config.kind == "vae"
    assert ae.config.replace(kind="vae") == vae.config  # identical but for the kind
    assert ae.config.arch == "conv" and ae.config.latent_dim == 8
    assert ae.config.input_shape == (1, 8, 8)
    assert ae.meta["data_spec"] == vae.meta["data_spec"] == "digits"
    assert ae.meta["label_names"] == [str(i) for i in range(10)]
    assert len(ae.meta["history"]) == ae.config.epochs
    x = torch.as_tensor(digits.images).float() / 255
    for loaded, bound in ((ae, 0.02), (vae, 0.04)):
        with torch.inference_mode():
            recon = loaded.model.decode(loaded.model.encode(x)[0])
        mse = float(((recon - x) ** 2).mean())
        assert mse < bound, (loaded.config.kind, mse)
        # Far better than predicting the mean image.
        assert mse < 0.5 * float(((x - x.mean(0)) ** 2).mean())
    for loaded in (ae, vae):
        positions = loaded.file.group("map")["positions"]
        assert positions.shape == (1797, 2) and np.isfinite(positions).all()


def test_bundled_2d_pair_stores_its_latent_as_the_map(digits):
    """The 2-D digits pair (Model ▸ Open the 2-D digits pair): identical settings but for
    the kind, a 2-D latent stored as its own (identity) map with the labels, small files."""
    from latent_atlas.explorer.core.latent.map import LABELS_KEY, load_map

    paths = [BUNDLED / f"digits2d_{k}.safetensors" for k in ("ae", "vae")]
    ae, vae = (load_model(p) for p in paths)
    assert ae.config.kind == "ae" and vae.config.kind == "vae"
    assert ae.config.replace(kind="vae") == vae.config
    assert ae.config.latent_dim == 2 and ae.meta["data_spec"] == "digits"
    assert len(ae.meta["history"]) == ae.config.epochs
    x = torch.as_tensor(digits.images).float() / 255
    for loaded, path in zip((ae, vae), paths, strict=True):
        assert path.stat().st_size < 400_000
        m = load_map(path)
        assert m is not None and m.method == "identity" and m.n_points == 1797
        with torch.inference_mode():
            mu = loaded.model.encode(x)[0].numpy()
            recon = loaded.model.decode(torch.as_tensor(m.codes))
        assert np.allclose(m.codes, mu, atol=1e-4)  # the map is the latent
        assert np.array_equal(loaded.file.arrays[LABELS_KEY], digits.labels)
        # Two numbers per image still beat predicting the mean image.
        mse = float(((recon - x) ** 2).mean())
        assert mse < 0.8 * float(((x - x.mean(0)) ** 2).mean()), (loaded.config.kind, mse)
