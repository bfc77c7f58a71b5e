"""The status line ends with its job: a final sentence when the job it speaks for
succeeds, fails or is cancelled, and a handler's own final sentence is kept."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import pytest

from latent_atlas.explorer.core.progress import Cancelled
from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.status import COLD_UMAP, StatusLine, umap_cache_cold


@pytest.fixture()
def line():
    d = ManualDispatcher()
    jobs = Jobs(d)
    status = StatusLine()
    status.follow(jobs, lambda: "digits_vae: ")
    yield d, jobs, status
    jobs.shutdown()


def _run(d, jobs, status, fn, *, handler=None, cancel=False):
    gate = threading.Event()

    def work(cancel_event):
        gate.wait(10)
        return fn(cancel_event)

    job = jobs.start("data", work)
    if handler is not None:
        job.succeeded.connect(handler)
    job.start()
    status.show("digits_vae: reconstructing 1,797/1,797 images…")
    if cancel:
        job.cancel()
    gate.set()
    assert d.wait_until(lambda: job.settled, 10)
    return status.text


def test_a_progress_line_becomes_done_when_its_job_succeeds(line):
    assert _run(*line, lambda _c: 1) == "digits_vae: loading the data: done"


def test_a_failed_job_says_why(line):
    def boom(_c):
        raise ValueError("the folder is empty")

    assert _run(*line, boom) == "digits_vae: loading the data failed: the folder is empty"


def test_a_cancelled_job_says_so(line):
    def stop(c):
        if c.is_set():
            raise Cancelled()
        return 1

    assert _run(*line, stop, cancel=True) == "digits_vae: loading the data cancelled"


def test_a_handlers_final_sentence_is_kept(line):
    d, jobs, status = line
    text = _run(d, jobs, status, lambda _c: 1,
                handler=lambda _v: status.show("digits_vae: ready — 1,797 images loaded"))
    assert text == "digits_vae: ready — 1,797 images loaded"


def test_a_line_of_another_job_is_left_alone(line):
    d, jobs, status = line
    status.show("placed picture.png on the map (★)")  # no job running: nobody's line
    job = jobs.start("map", lambda _c: None)
    job.start()
    assert d.wait_until(lambda: job.settled, 10)
    assert status.text == "placed picture.png on the map (★)"


def test_cold_numba_cache_is_detected(tmp_path, monkeypatch):
    pytest.importorskip("umap")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    pkg = os.path.abspath(importlib.util.find_spec("umap").submodule_search_locations[0])
    in_tree = any((Path(pkg) / "__pycache__").glob("layouts.*.nbi"))
    if in_tree:
        pytest.skip("umap's own __pycache__ holds compiled layouts here")
    assert umap_cache_cold()
    sub = tmp_path / f"umap_{hashlib.sha1(pkg.encode()).hexdigest()}"
    sub.mkdir()
    (sub / "layouts._optimize_layout_euclidean_single_epoch-63.py311.nbi").write_bytes(b"")
    assert not umap_cache_cold()
    assert "half a minute" in COLD_UMAP


def test_two_speakers_show_what_each_still_does():
    """A window over two models: the newest message first, then the other model's
    unfinished one; a finished message of the other model is not repeated."""
    status = StatusLine()
    shown: list[str] = []
    status.changed.connect(shown.append)
    ae, vae = object(), object()
    status.show("digits_ae: loading the model…", ae)
    status.show("digits_vae: loading the model…", vae)
    assert status.line == "digits_vae: loading the model…  ·  digits_ae: loading the model…"
    status.show("digits_ae: ready — click or drag on the map to decode", ae)
    assert status.text == "digits_ae: ready — click or drag on the map to decode"
    assert status.line == status.text + "  ·  digits_vae: loading the model…"
    assert shown[-1] == status.line
    status.show("digits_vae: ready — click or drag on the map to decode", vae)
    assert status.line == status.text == "digits_vae: ready — click or drag on the map to decode"
    status.show("metrics ready")  # no speaker: the window itself
    assert status.line == "metrics ready"


def test_a_forgotten_speaker_leaves_no_line_behind():
    status = StatusLine()
    ae, vae = object(), object()
    status.show("digits_ae: loading the data…", ae)
    status.show("digits_vae: ready", vae)
    assert "digits_ae" in status.line
    status.forget(ae)
    assert status.line == "digits_vae: ready"


def test_a_speakers_job_that_ends_clears_its_unfinished_line():
    d = ManualDispatcher()
    jobs = Jobs(d)
    status = StatusLine()
    ae, vae = object(), object()
    status.follow(jobs, lambda: "digits_ae: ", ae)
    job = jobs.start("data", lambda _c: 1)
    job.start()
    status.show("digits_vae: loading the model…", vae)
    status.show("digits_ae: reconstructing 1,797/1,797 images…", ae)
    assert d.wait_until(lambda: job.settled, 10)
    assert status.text == "digits_ae: loading the data: done"
    assert status.line == "digits_ae: loading the data: done  ·  digits_vae: loading the model…"
    jobs.shutdown()
