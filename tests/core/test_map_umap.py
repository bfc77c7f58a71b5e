"""UMAP maps: a few small fits (progress, exactness, reproducibility, cancel)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.map import build_map
from latent_atlas.explorer.core.latent.umap_projection import UMAPProjection, exact_knn
from latent_atlas.explorer.core.progress import Cancelled, drain

# The first UMAP fit with a cold numba cache compiles for ~40 s; later runs take seconds.
slow = pytest.mark.slow


def _codes(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, d)) * 6
    return (centres[rng.integers(0, 3, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.fixture(scope="module")
def fitted():
    events = []
    m = drain(build_map(_codes(), "auto"), events.append)
    return m, events


@slow
def test_umap_fit_reports_progress_and_gives_an_exact_inverse(fitted):
    m, events = fitted
    assert m.method == "umap"
    assert m.params["n_epochs"] == 200 and m.params["reproducible"] is False
    assert m.positions.shape == (300, 2) and np.isfinite(m.positions).all()
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = [e.stage for e in events]
    assert stages[0] == "neighbours" and stages[-1] == "done"  # in between: time-sampled
    assert all(e.message for e in events)
    z = m.inverse(m.positions)
    rel = np.linalg.norm(z - m.codes, axis=1) / np.linalg.norm(m.codes, axis=1)
    assert rel.max() <= 1e-4
    np.testing.assert_array_equal(m.place(m.codes), m.positions)


@slow
def test_umap_keeps_clusters_apart(fitted):
    m, _ = fitted
    codes = m.codes
    # points whose code neighbours are close should be close on the map too
    d_code = np.linalg.norm(codes[:50, None] - codes[None], axis=2)
    nn = np.argsort(d_code, axis=1)[:, 1]
    far = np.argsort(d_code, axis=1)[:, -1]
    d_nn = np.linalg.norm(m.positions[:50] - m.positions[nn], axis=1)
    d_far = np.linalg.norm(m.positions[:50] - m.positions[far], axis=1)
    assert np.median(d_nn) < np.median(d_far) / 3


def test_progress_follows_the_layout_epochs():
    from latent_atlas.explorer.core.latent.umap_projection import _EpochSink

    sink = _EpochSink()
    first = UMAPProjection._progress({"stage": "queued"}, sink, 0.0)
    assert first.stage == "queued"
    graph = UMAPProjection._progress({"stage": "graph"}, sink, 1.0)
    assert graph.stage == "graph" and 0.1 < graph.fraction < 0.35
    sink.write("\r0/200")
    sink.write("\r50/200")
    ev = UMAPProjection._progress({"stage": "graph"}, sink, 5.0)
    assert ev.stage == "layout" and ev.fraction == pytest.approx(0.35 + 0.6 * 0.25)
    assert "50 of 200" in ev.message
    sink.stop = True
    with pytest.raises(_EpochSink.Stop):
        sink.write("\r51/200")
    sink.write("\r52/200")  # only once: tqdm writes again while closing


def test_exact_knn_includes_self_and_is_sorted():
    codes = _codes(100)
    gen = exact_knn(codes, 5, block=30)
    fractions = []
    while True:
        try:
            fractions.append(next(gen))
        except StopIteration as stop:
            idx, dist = stop.value
            break
    assert fractions[-1] == 1.0 and len(fractions) == 4
    np.testing.assert_array_equal(idx[:, 0], np.arange(100))
    assert (np.diff(dist, axis=1) >= 0).all()
    brute = np.sort(np.linalg.norm(codes[:, None] - codes[None], axis=2), axis=1)[:, :5]
    np.testing.assert_allclose(dist, brute, rtol=1e-4, atol=1e-4)


@slow
def test_reproducible_fits_give_the_same_map():
    codes = _codes(200, 4, seed=1)
    a = drain(build_map(codes, "umap", seed=3, reproducible=True))
    b = drain(build_map(codes, "umap", seed=3, reproducible=True))
    assert a.params["reproducible"] is True and a.params["seed"] == 3
    np.testing.assert_array_equal(a.positions, b.positions)


@slow
def test_cancel_stops_the_fit_promptly():
    cancel = threading.Event()
    gen = build_map(_codes(2000, 6), "umap", cancel=cancel)
    seen = []
    with pytest.raises(Cancelled):
        for event in gen:
            seen.append(event.stage)
            if event.stage in ("graph", "layout", "import"):
                cancel.set()
                t_cancel = time.perf_counter()
    # the generator answers at its next poll (a generous bound: hang detection, not speed)
    assert time.perf_counter() - t_cancel < 30.0
    # the background fit notices at its next layout epoch and ends
    deadline = time.time() + 60
    while any(t.name == "umap-fit" for t in threading.enumerate()) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(t.name == "umap-fit" for t in threading.enumerate())
    # stopping inside tqdm's refresh must not leave its global lock held: a later bar
    # (the next fit, the CLI's progress) would wait forever
    from tqdm.std import TqdmDefaultWriteLock

    lock = TqdmDefaultWriteLock.th_lock
    assert lock.acquire(timeout=5)
    lock.release()
    m = drain(build_map(_codes(100, 3), "umap"))  # and the next fit runs normally
    assert np.isfinite(m.positions).all()


def test_umap_refuses_too_few_codes():
    with pytest.raises(ValueError, match="at least"):
        UMAPProjection().fit(_codes(5))


@slow
def test_two_fits_in_parallel_threads_both_finish():
    results, errors = {}, []

    def run(key, seed):
        try:
            results[key] = drain(build_map(_codes(200, 4, seed=seed), "umap"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k, k)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert sorted(results) == [1, 2]
    assert all(np.isfinite(m.positions).all() for m in results.values())
