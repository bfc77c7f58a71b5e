"""Anomaly ranking: per-sample errors, ranking, and out-of-distribution images on top."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from applications_fixtures import digits_split, trained, untrained
from PIL import Image

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    rank_anomalies,
    reconstruction_error_iter,
    reconstruction_errors,
    worst_k,
)
from latent_atlas.explorer.core.data import load_data
from latent_atlas.explorer.core.inference import EncodeProgress
from latent_atlas.explorer.core.progress import Cancelled, drain


def test_errors_match_a_direct_computation_and_do_not_depend_on_batching():
    model = untrained("vae")
    images = np.random.default_rng(0).integers(0, 256, size=(23, 1, 8, 8), dtype=np.uint8)
    events = []
    errors = drain(reconstruction_error_iter(model, images, batch_size=10), events.append)
    assert [e.done for e in events] == [0, 10, 20, 23] and events[0] == EncodeProgress(0, 23)
    with torch.no_grad():
        x = torch.from_numpy(images).float() / 255
        recon = model.decode(model.encode(x)[0])  # the mean code, never a sample
        expected = ((recon - x) ** 2).flatten(1).mean(1).double().numpy()
        bce = torch.nn.functional.binary_cross_entropy(recon, x, reduction="none")
    np.testing.assert_allclose(errors, expected, rtol=1e-5)
    np.testing.assert_allclose(reconstruction_errors(model, images, batch_size=512), errors, rtol=1e-6)
    np.testing.assert_allclose(reconstruction_errors(model, images, metric="bce"),
                               bce.flatten(1).mean(1).double().numpy(), rtol=1e-4)


def test_cancel_stops_between_batches():
    model = untrained("ae")
    images = np.zeros((30, 1, 8, 8), np.uint8)
    stop = threading.Event()
    gen = reconstruction_error_iter(model, images, batch_size=10, cancel=stop)
    next(gen)
    next(gen)
    stop.set()
    with pytest.raises(Cancelled):
        drain(gen)


def test_ranking_order_percentiles_and_ranks():
    errors = np.array([0.1, 0.5, 0.2, 0.5, 0.05])
    r = rank_anomalies(errors, top=3)
    assert r.order.tolist() == [1, 3, 2, 0, 4]  # ties keep data order
    assert r.top.tolist() == [1, 3, 2]
    assert r.rank_of(4) == 5 and r.rank_of(1) == 1
    assert r.percentile[4] == 0 and r.percentile[3] == 100
    np.testing.assert_allclose(r.zscore, (errors - errors.mean()) / errors.std())
    assert rank_anomalies(errors, top=99).top.size == 5
    for bad, words in [(np.array([]), "non-empty"), (np.array([1.0, np.nan]), "NaN"),
                       (np.ones((2, 2)), "non-empty")]:
        with pytest.raises(ApplicationError, match=words):
            rank_anomalies(bad)
    with pytest.raises(ApplicationError, match="top"):
        rank_anomalies(errors, top=0)
    with pytest.raises(ApplicationError, match="out of range"):
        r.rank_of(5)


def _save_pngs(folder, images):
    folder.mkdir(parents=True)
    for i, img in enumerate(images):
        Image.fromarray(img[0]).save(folder / f"{i:03d}.png")


def test_out_of_distribution_files_in_a_folder_rank_on_top(tmp_path):
    model = trained("ae")
    _, test = digits_split()
    rng = np.random.default_rng(1)
    _save_pngs(tmp_path / "digits", test.images[:150])
    _save_pngs(tmp_path / "noise", rng.integers(0, 256, size=(8, 1, 8, 8), dtype=np.uint8))
    _save_pngs(tmp_path / "inverted", 255 - test.images[150:158])
    data = load_data(f"folder:{tmp_path}?size=8&channels=1")
    ood = np.array([data.label_names[y] != "digits" for y in data.labels])
    assert ood.sum() == 16 and len(data) == 166
    ranking = worst_k(model, data.images, k=16, batch_size=64)
    assert ood[ranking.top].mean() >= 0.9  # nearly all of the 16 worst are the intruders
    assert max(ranking.rank_of(i) for i in np.flatnonzero(ood)) <= 25


def test_conditional_model_uses_the_labels():
    model = trained("cvae")
    _, test = digits_split()
    right = reconstruction_errors(model, test.images, labels=test.labels)
    wrong = reconstruction_errors(model, test.images, labels=(test.labels + 5) % 10)
    assert right.mean() < wrong.mean()
    with pytest.raises(ApplicationError, match="one per image"):
        reconstruction_errors(model, test.images, labels=test.labels[:3])


def test_bad_input_is_a_readable_error():
    model = untrained("ae")
    with pytest.raises(ApplicationError, match="metric"):
        reconstruction_errors(model, np.zeros((2, 1, 8, 8), np.uint8), metric="l1")
    with pytest.raises(ApplicationError, match="batch_size"):
        reconstruction_errors(model, np.zeros((2, 1, 8, 8), np.uint8), batch_size=0)
    with pytest.raises(ApplicationError, match="uint8"):
        reconstruction_errors(model, np.zeros((2, 1, 8, 8), np.float64))
