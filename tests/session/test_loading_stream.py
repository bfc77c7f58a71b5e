"""The data job of an opened model streams its encoding (issue 12): progress lines,
cancel between batches, reconstructions filled in place."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from latent_atlas.explorer.core.inference import Decoder
from latent_atlas.explorer.core.progress import Cancelled
from latent_atlas.explorer.session.loading import (
    CodesReady,
    ImagesReady,
    Stage,
    dataset_extras_iter,
)
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from tests.fixture_scope import shared


@pytest.fixture(scope=shared)
def decoder():
    cfg = ModelConfig(kind="vae", arch="mlp", input_shape=(1, 32, 32), latent_dim=3,
                      hidden=(16,))
    return Decoder(build_model(cfg).eval())


def _run(gen):
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value


def test_encoding_on_open_reports_progress_and_returns_codes(decoder):
    events, out = _run(dataset_extras_iter(decoder, "shapes:3000", None))
    # the codes, once, right after the encoding and before any reconstruction (issue 24:
    # the session maps them while the rest loads)
    codes = [i for i, e in enumerate(events) if isinstance(e, CodesReady)]
    assert len(codes) == 1 and events[codes[0]].codes is out.codes
    assert events[codes[0] - 1].message == "encoding 3,000/3,000 images…"
    # then the images, before any reconstruction (sample pictures and the metrics need no
    # more), as a copy that the reconstructions do not reach
    images = events[codes[0] + 1]
    assert isinstance(images, ImagesReady) and images.extras.images is out.images
    assert images.extras.codes is out.codes and images.extras.reconstructions is None
    assert images.extras.labels is out.labels
    assert events[codes[0] + 2].message.startswith("reconstructing")
    events = [e for e in events if not isinstance(e, (CodesReady, ImagesReady))]
    assert all(isinstance(e, Stage) and e.stage == "stage" for e in events)
    encoding = [e.message for e in events if e.message.startswith("encoding")]
    assert encoding and encoding[-1] == "encoding 3,000/3,000 images…"
    assert any(e.message.startswith("reconstructing") for e in events)
    assert out.codes.shape == (3000, 3) and np.isfinite(out.codes).all()
    assert out.reconstructions.shape == (3000, 32, 32)
    assert out.reconstructions.dtype == np.uint8
    assert out.recon_error.shape == (3000,)


def test_encoding_on_open_can_be_cancelled(decoder):
    cancel = threading.Event()
    gen = dataset_extras_iter(decoder, "shapes:6000", None, cancel)
    next(gen)  # the first progress line: encoding has started
    cancel.set()
    with pytest.raises(Cancelled):
        _run(gen)


def test_the_training_warm_up_runs_once_per_process_and_never_twice_at_a_time(monkeypatch):
    """Every loading job ends with the training warm-up; a pair opens two jobs at once.
    Only one runs it (torch's lazy first-step imports must not run in two threads), a call
    while it runs returns at once, and later calls do nothing."""
    from latent_atlas.explorer.session import loading

    started, release, runs = threading.Event(), threading.Event(), []

    def slow_warm_up():
        runs.append(threading.get_ident())
        started.set()
        assert release.wait(30)

    monkeypatch.setattr(loading, "_WARMED", [])
    monkeypatch.setattr(loading, "_warm_up", slow_warm_up)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", loading.warm_up_training()))
    first.start()
    assert started.wait(30)
    assert loading.warm_up_training() is False  # another runs it: at once, not waiting
    release.set()
    first.join(30)
    assert results == {"first": True} and len(runs) == 1
    assert loading.warm_up_training() is False and len(runs) == 1  # done for the process


def test_a_failed_warm_up_is_tried_again(monkeypatch):
    from latent_atlas.explorer.session import loading

    calls = []

    def failing():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("no")

    monkeypatch.setattr(loading, "_WARMED", [])
    monkeypatch.setattr(loading, "_warm_up", failing)
    with pytest.raises(RuntimeError):
        loading.warm_up_training()
    assert loading.warm_up_training() is True and len(calls) == 2
