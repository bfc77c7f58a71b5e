import numpy as np

from latent_atlas.explorer.core.analysis.colouring import (
    CONTINUOUS_BINS,
    colour_choices,
    colouring_for,
    latent_norm,
    reconstruction_error,
)


def test_label_colouring_uses_real_names():
    labels = np.array([2, 0, 2, 1])
    c = colouring_for("label", labels=labels, label_names=["cat", "dog", "cow"])
    assert c.kind == "categorical" and c.names == ["cat", "dog", "cow"]
    assert list(c.index) == [2, 0, 2, 1]


def test_continuous_bins_and_missing_data_fallback():
    codes = np.arange(200, dtype=np.float32).reshape(100, 2)
    c = colouring_for("latent_norm", codes=codes)
    assert c.kind == "continuous" and c.n_colours == CONTINUOUS_BINS
    assert c.index.min() == 0 and c.index.max() == CONTINUOUS_BINS - 1
    assert np.all(np.diff(c.index) >= 0)  # norms increase along the rows
    fallback = colouring_for("recon_error", codes=codes)  # no errors yet
    assert fallback.key == "none" and len(fallback.index) == 100


def test_factor_columns_and_choices():
    factors = {"shape": np.array([0, 1, 1]), "scale": np.array([0.1, 0.5, 0.9])}
    assert colouring_for("factor:shape", factors=factors, n=3).kind == "categorical"
    assert colouring_for("factor:scale", factors=factors, n=3).kind == "continuous"
    keys = [k for k, _ in colour_choices(has_labels=True, factor_names=["scale"],
                                          has_recon_error=True)]
    assert keys == ["label", "factor:scale", "recon_error", "latent_norm", "none"]


def test_constant_and_nan_values_do_not_break():
    c = colouring_for("recon_error", recon_error=np.array([1.0, 1.0, np.nan]), n=3)
    assert len(c.index) == 3 and np.isfinite(c.vmin)


def test_norm_and_error():
    assert np.allclose(latent_norm(np.array([[3, 4], [0, 0]])), [5, 0])
    orig = np.zeros((2, 1, 2, 2), np.uint8)
    rec = np.array([np.zeros((2, 2)), np.full((2, 2), 255)], np.uint8)
    assert np.allclose(reconstruction_error(orig, rec), [0.0, 1.0])
