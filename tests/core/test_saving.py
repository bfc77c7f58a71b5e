import numpy as np

from latent_atlas.explorer.core.io.saving import LABELS_KEY, save_explorable
from latent_atlas.explorer.core.latent.map import load_map, quick_map
from latent_atlas.models.checkpoint import load_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.modelfile import read_model_file
from latent_atlas.models.networks import build_model


def test_model_map_and_labels_in_one_file(tmp_path):
    cfg = ModelConfig(kind="ae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3, hidden=(16,))
    model = build_model(cfg).eval()
    codes = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    labels = np.arange(30) % 3
    path = tmp_path / "m.safetensors"
    save_explorable(path, model, latent_map=quick_map(codes), data_spec="digits",
                    label_names=["a", "b", "c"], labels=labels)
    mf = read_model_file(path)
    assert np.array_equal(mf.arrays[LABELS_KEY], labels)
    assert mf.meta["label_names"] == ["a", "b", "c"]
    m = load_map(mf)
    assert m.method == "pca" and np.allclose(m.codes, codes)
    assert load_model(path).config == cfg
