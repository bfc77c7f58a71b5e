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
