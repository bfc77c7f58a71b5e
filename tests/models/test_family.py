"""The autoencoder family: each regulariser against a direct computation, each kind trains."""

import numpy as np
import pytest
import torch

from latent_atlas.models.checkpoint import load_model, save_model
from latent_atlas.models.config import ConfigError, ModelConfig
from latent_atlas.models.losses import contractive_penalty, corrupt, sparsity_penalty
from latent_atlas.models.networks import build_model
from latent_atlas.models.stacked import layer_pairs
from latent_atlas.models.trainer import run_training, train

KINDS = {
    "ae": {}, "vae": {}, "dae": {"noise": "masking", "noise_level": 0.4}, "sae": {},
    "cae": {}, "beta-vae": {"beta": 4.0}, "cvae": {"n_classes": 10}, "aae": {},
    "caae": {"n_classes": 10},
}


def _cfg(kind="ae", **kw):
    base = dict(kind=kind, arch="conv", input_shape=(1, 8, 8), latent_dim=4, hidden=(8, 16),
                epochs=1, batch_size=64, seed=1)
    base.update(KINDS.get(kind, {}))
    base.update(kw)
    return ModelConfig(**base)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_contractive_penalty_matches_brute_force_jacobian(arch):
    cfg = _cfg("cae", arch=arch, hidden=(6, 5) if arch == "mlp" else (4, 6), latent_dim=3)
    model = build_model(cfg).double()
    x = torch.rand(4, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    mu, _ = model.encode(x)
    fast = contractive_penalty(mu, x)
    brute = 0.0
    for b in range(4):
        jac = torch.autograd.functional.jacobian(lambda xi: model.encode(xi[None])[0][0], x[b].detach())
        brute += float(jac.pow(2).sum())
    assert float(fast.detach()) == pytest.approx(brute / 4, rel=1e-9)
    fast.backward()  # the penalty is differentiable (double backward)
    assert model.mu_head.weight.grad is not None


def test_sparsity_penalties_match_direct_formulas():
    z = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.0, -0.5]])
    l1 = sparsity_penalty(z, _cfg("sae", sparsity_weight=0.1))
    assert float(l1) == pytest.approx(0.1 * (1.5 + 2.5) / 2)
    cfg = _cfg("sae", sparsity_weight=2.0, sparsity_target=0.05)
    rho_hat = (1 / (1 + np.exp(-z.numpy()))).mean(axis=0)
    rho = 0.05
    kl = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert float(sparsity_penalty(z, cfg)) == pytest.approx(2.0 * kl, rel=1e-5)


def test_denoising_corruption():
    torch.manual_seed(0)
    x = torch.full((64, 1, 8, 8), 0.5)
    masked = corrupt(x, _cfg("dae", noise="masking", noise_level=0.4))
    assert abs(float((masked == 0).float().mean()) - 0.4) < 0.05
    assert set(masked.unique().tolist()) <= {0.0, 0.5}
    noisy = corrupt(x, _cfg("dae", noise="gaussian", noise_level=0.2))
    assert 0.15 < float((noisy - x).std()) < 0.25
    assert float(noisy.min()) >= 0 and float(noisy.max()) <= 1


def test_aae_discriminator_accuracy_moves(digits):
    model = build_model(_cfg("aae", epochs=6, lr=2e-3))
    accs = [e.losses["disc_acc"] for e in _events(train(model, digits.images)) if e.stage == "batch"]
    early, late = np.mean(accs[:5]), np.mean(accs[-20:])
    assert abs(late - early) > 0.05, (early, late)
    assert all(0 <= a <= 1 for a in accs)


def test_cvae_decodes_different_classes_from_the_same_code(digits):
    model = build_model(_cfg("cvae", epochs=5, lr=3e-3))
    result = run_training(model, digits.images, labels=digits.labels)
    assert result.status == "completed"
    z = torch.zeros(1, 4)
    with torch.inference_mode():
        imgs = [model.decode(z, torch.tensor([c])) for c in range(10)]
    diffs = [float((imgs[0] - imgs[c]).abs().mean()) for c in range(1, 10)]
    assert min(diffs) > 0.01, diffs
    with pytest.raises(ValueError, match="labels must be in"):
        model.decode(z, torch.tensor([10]))
    with pytest.raises(ValueError, match="needs labelled data"):
        run_training(build_model(_cfg("cvae")), digits.images)


def test_caae_codes_ignore_the_label_and_its_decoder_obeys_it(digits):
    # Zhang et al. 2017: the encoder never sees the condition, the decoder does, and the
    # latent discriminator trains against prior samples.
    model = build_model(_cfg("caae", epochs=6, lr=2e-3))
    assert model.discriminator is not None
    assert model.mu_head.in_features == model.encoder.out_features  # no one-hot in the encoder
    cvae = build_model(_cfg("cvae"))
    assert cvae.mu_head.in_features == cvae.encoder.out_features + 10
    events = _events(train(model, digits.images, labels=digits.labels))
    accs = [e.losses["disc_acc"] for e in events if e.stage == "batch"]
    assert {"recon", "disc", "gen"} <= set(next(e for e in events if e.stage == "batch").losses)
    assert abs(np.mean(accs[-20:]) - np.mean(accs[:5])) > 0.05
    x = torch.as_tensor(digits.images[:16]).float() / 255
    with torch.inference_mode():
        z3 = model.encode(x, torch.full((16,), 3))[0]
        z7 = model.encode(x, torch.full((16,), 7))[0]
        assert torch.equal(z3, z7)
        a, b = model.decode(z3, torch.full((16,), 3)), model.decode(z3, torch.full((16,), 7))
    assert float((a - b).abs().mean()) > 0.01
    with pytest.raises(ConfigError, match="at least 2 classes"):
        _cfg("caae", n_classes=0)
    with pytest.raises(ValueError, match="needs labelled data"):
        run_training(build_model(_cfg("caae")), digits.images)


def test_parameter_count_matches_the_caae_network():
    from latent_atlas.models.config import parameter_count

    for arch in ("mlp", "conv"):
        cfg = _cfg("caae", arch=arch)
        assert parameter_count(cfg) == sum(p.numel() for p in build_model(cfg).parameters())


def test_stacked_pretraining_runs_each_layer_then_fine_tunes(digits):
    cfg = _cfg("ae", arch="mlp", hidden=(32, 16), pretrain_epochs=1, epochs=1)
    model = build_model(cfg)
    first_enc = layer_pairs(model)[0][0].weight.detach().clone()
    events = _events(train(model, digits.images))
    stages = {e.losses.popitem()[0] for e in events if e.stage == "pretrain"}
    assert stages == {"layer1", "layer2", "layer3"}
    assert any(e.stage == "epoch" for e in events)
    assert not torch.equal(first_enc, layer_pairs(model)[0][0].weight)
    with pytest.raises(ConfigError, match="arch mlp"):
        _cfg("ae", arch="conv", pretrain_epochs=1)


def test_overcomplete_mlp_ae_trains(digits):
    # 64 pixels, 128-D code: without a regulariser it could learn the identity; the sparse
    # penalty is what keeps the code informative (see README).
    cfg = _cfg("sae", arch="mlp", hidden=(256,), latent_dim=128, epochs=3, sparsity_weight=1e-2)
    result = run_training(build_model(cfg), digits.images)
    assert result.status == "completed"
    assert result.history[-1]["train"]["recon"] < result.history[0]["train"]["recon"]


def test_the_family_tests_cover_every_registered_kind():
    from latent_atlas.models.kinds import KINDS as REGISTRY

    assert set(KINDS) == set(REGISTRY), "give each new kind its config here (KINDS above)"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_trains_saves_and_reloads(kind, digits, tmp_path):
    model = build_model(_cfg(kind))
    result = run_training(model, digits.images[:512], labels=digits.labels[:512])
    assert result.status == "completed", result.message
    path = tmp_path / f"{kind}.safetensors"
    save_model(path, model, data_spec="digits")
    loaded = load_model(path).model
    x = torch.as_tensor(digits.images[:8]).float() / 255
    y = torch.as_tensor(digits.labels[:8]) if kind in ("cvae", "caae") else None
    with torch.inference_mode():
        assert torch.equal(model.encode(x, y)[0], loaded.encode(x, y)[0])
        assert torch.equal(model.decode(model.encode(x, y)[0], y), loaded.decode(loaded.encode(x, y)[0], y))


def _events(gen):
    out = []
    try:
        while True:
            out.append(next(gen))
    except StopIteration:
        return out
