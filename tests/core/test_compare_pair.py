"""Training a comparison pair as one generator with one progress stream."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from latent_atlas.explorer.core.progress import drain
from latent_atlas.explorer.core.training import pair_configs, train_pair
from latent_atlas.models.config import ModelConfig


def _cfg(**kw):
    base = dict(kind="vae", input_shape=(1, 8, 8), latent_dim=3, hidden=(4, 8), epochs=2,
                batch_size=64, seed=5)
    return ModelConfig(**{**base, **kw})


def _images(n=256):
    return np.random.default_rng(0).integers(0, 256, size=(n, 1, 8, 8), dtype=np.uint8)


def test_pair_configs_differ_only_in_kind():
    a, b = pair_configs(_cfg(), ("ae", "vae"))
    assert (a.kind, b.kind) == ("ae", "vae")
    assert a.replace(kind="vae") == b
    with pytest.raises(ValueError, match="two different kinds"):
        pair_configs(_cfg(), ("vae", "vae"))


def test_pair_trains_both_with_one_progress_stream():
    events = []
    pair = drain(train_pair(_cfg(), _images(), device="cpu"), events.append)
    assert pair.status == "completed" and list(pair.results) == ["ae", "vae"]
    assert pair.model("ae").config.kind == "ae" and pair.model("vae").config.kind == "vae"
    assert pair.model("vae").logvar_head is not None and pair.model("ae").logvar_head is None
    assert all(r.epochs_completed == 2 for r in pair.results.values())
    fr = [e.fraction for e in events]
    assert fr == sorted(fr) and 0 < fr[0] and fr[-1] == pytest.approx(1.0)
    first_vae = next(i for i, e in enumerate(events) if e.kind == "vae")
    assert all(e.kind == "ae" for e in events[:first_vae])
    assert events[first_vae].fraction >= 0.5
    assert "AE (1/2)" in events[0].message and "VAE (2/2)" in events[-1].message
    # same seed, same trunk initialisation: the AE and VAE encoders start identical
    from latent_atlas.models.networks import build_model

    ae0, vae0 = (build_model(c) for c in pair_configs(_cfg()))
    for (k, p), (_, q) in zip(ae0.encoder.state_dict().items(), vae0.encoder.state_dict().items(),
                              strict=True):
        assert np.array_equal(p.numpy(), q.numpy()), k


def test_cancel_during_the_first_model_stops_the_pair():
    cancel = threading.Event()
    gen = train_pair(_cfg(), _images(), device="cpu", cancel=cancel)
    next(gen)
    cancel.set()
    pair = drain(gen)
    assert pair.status == "cancelled" and list(pair.results) == ["ae"]
    assert "AE" in pair.message


def test_cancel_between_models_keeps_the_first():
    cancel = threading.Event()
    gen = train_pair(_cfg(epochs=1), _images(), device="cpu", cancel=cancel)
    while True:
        event = next(gen)
        if event.kind == "ae" and event.event.stage == "epoch":
            cancel.set()
            break
    pair = drain(gen)
    assert pair.status == "cancelled"
    assert pair.results["ae"].status == "completed" and "vae" not in pair.results
