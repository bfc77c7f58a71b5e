import threading

import numpy as np
import pytest
import torch

from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from latent_atlas.models.trainer import TrainProgress, run_training, split_indices, train


def _cfg(**kw):
    base = dict(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=4, hidden=(16, 32),
                batch_size=64, epochs=3, lr=2e-3, seed=3)
    base.update(kw)
    return ModelConfig(**base)


def test_loss_goes_down_on_digits(digits):
    model = build_model(_cfg(epochs=4))
    events = []
    result = run_training(model, digits.images, on_progress=events.append)
    assert result.status == "completed"
    assert result.epochs_completed == 4
    hist = result.history
    assert len(hist) == 4
    assert hist[-1]["train"]["total"] < 0.8 * hist[0]["train"]["total"]
    assert hist[-1]["val"]["total"] < hist[0]["val"]["total"]
    # the reported validation loss is the negative ELBO of the held-out images, recomputed
    # here in numpy (a loss scaled by the pixel or batch count would still "go down")
    expected = _negative_elbo(model, digits.images[split_indices(len(digits), 0.1, 3)[1]])
    for key in ("recon", "kl", "total"):
        assert hist[-1]["val"][key] == pytest.approx(expected[key], rel=1e-4), key
    epoch_events = [e for e in events if e.stage == "epoch"]
    assert len(epoch_events) == 4 and epoch_events[-1].val is not None
    batch = [e for e in events if e.stage == "batch"][0]
    assert isinstance(batch, TrainProgress)
    assert set(batch.losses) == {"recon", "kl", "total"}
    assert batch.images_per_s > 0 and batch.eta_s >= 0
    assert 0 < batch.fraction <= 1


def _negative_elbo(model, images_uint8, beta: float = 1.0) -> dict[str, float]:
    """recon (Bernoulli NLL summed over pixels) + beta * KL, each averaged over images,
    at the posterior mean, in float64 numpy."""
    model.eval()
    x = torch.from_numpy(images_uint8).float() / 255.0
    with torch.no_grad():
        mu, logvar = model.encode(x)
        logits = model.decode_logits(mu)
    p = 1.0 / (1.0 + np.exp(-logits.double().numpy()))
    t = x.double().numpy()
    recon = -(t * np.log(p) + (1 - t) * np.log(1 - p)).reshape(len(t), -1).sum(axis=1).mean()
    mu, logvar = mu.double().numpy(), logvar.double().numpy()
    kl = (0.5 * (np.exp(logvar) + mu**2 - 1 - logvar)).sum(axis=1).mean()
    return {"recon": recon, "kl": kl, "total": recon + beta * kl}


def test_beta_weights_the_kl_in_every_reported_total(digits):
    model = build_model(_cfg(kind="beta-vae", beta=4.0, epochs=1))
    events = []
    result = run_training(model, digits.images[:400], on_progress=events.append)
    batches = [e for e in events if e.stage == "batch"]
    assert len(batches) >= 5
    for e in batches:
        assert e.losses["total"] == pytest.approx(e.losses["recon"] + 4.0 * e.losses["kl"], rel=1e-5)
    val = result.history[-1]["val"]
    assert val["total"] == pytest.approx(val["recon"] + 4.0 * val["kl"], rel=1e-5)
    expected = _negative_elbo(model, digits.images[:400][split_indices(400, 0.1, 3)[1]], beta=4.0)
    for key in ("recon", "kl", "total"):
        assert val[key] == pytest.approx(expected[key], rel=1e-4), key


def test_same_seed_gives_bit_identical_weights(digits):
    imgs = digits.images[:400]
    a = run_training(build_model(_cfg(epochs=2)), imgs).model.state_dict()
    b = run_training(build_model(_cfg(epochs=2)), imgs).model.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    c = run_training(build_model(_cfg(epochs=2, seed=4)), imgs).model.state_dict()
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_cancel_within_one_batch_keeps_last_complete_epoch(digits):
    imgs = digits.images[:640]
    ref = run_training(build_model(_cfg(epochs=1)), imgs).model.state_dict()
    cancel = threading.Event()
    model = build_model(_cfg(epochs=5))
    gen = train(model, imgs, cancel=cancel)
    batches_after_cancel = 0
    epochs_seen = 0
    try:
        while True:
            ev = next(gen)
            if cancel.is_set():
                batches_after_cancel += 1
            if ev.stage == "epoch":
                epochs_seen += 1
            if epochs_seen == 1 and ev.stage == "batch" and ev.step == 3:
                cancel.set()
    except StopIteration as stop:
        result = stop.value
    assert result.status == "cancelled"
    assert batches_after_cancel == 0
    assert result.epochs_completed == 1
    assert "epoch 1" in result.message
    for k, v in model.state_dict().items():
        assert torch.equal(v, ref[k]), k


def test_nan_loss_restores_last_good_weights(digits):
    imgs = digits.images[:640]
    model = build_model(_cfg(epochs=3))
    gen = train(model, imgs)
    good = None
    poisoned = False
    try:
        while True:
            ev = next(gen)
            if ev.stage == "epoch" and ev.epoch == 1:
                good = {k: v.clone() for k, v in model.state_dict().items()}
                with torch.no_grad():  # poison a weight so the next loss is NaN
                    model.mu_head.weight.fill_(float("nan"))
                poisoned = True
    except StopIteration as stop:
        result = stop.value
    assert poisoned
    assert result.status == "diverged"
    assert "not a finite number" in result.message and "last good weights" in result.message
    for k, v in model.state_dict().items():
        assert torch.equal(v, good[k]), k
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())


def test_wrong_shape_and_dtype_are_refused():
    model = build_model(_cfg())
    with pytest.raises(ValueError, match="expects"):
        run_training(model, np.zeros((10, 1, 9, 9), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        run_training(model, np.zeros((10, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match="no images"):
        run_training(model, np.zeros((0, 1, 8, 8), np.uint8))


def test_mlp_ae_trains_and_device_is_overridable(digits):
    model = build_model(_cfg(kind="ae", arch="mlp", hidden=(64, 32), epochs=2))
    result = run_training(model, digits.images[:300], device="cpu")
    assert result.status == "completed"
    assert result.history[-1]["train"]["kl"] == 0.0
    with pytest.raises(ValueError, match="device"):
        run_training(model, digits.images[:300], device="tpu")


def test_read_only_arrays_train_without_copy_warnings(digits):
    import warnings

    imgs = np.frombuffer(digits.images[:200].tobytes(), np.uint8).reshape(200, 1, 8, 8)
    labels = np.frombuffer(digits.labels[:200].astype(np.int64).tobytes(), np.int64)
    assert not imgs.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_training(build_model(_cfg(kind="cvae", n_classes=10, epochs=1)), imgs,
                              labels=labels)
    assert result.status == "completed"
