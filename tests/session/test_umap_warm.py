"""The background UMAP warm-up (issue 24): once per environment, said on the status line."""

from __future__ import annotations

import pytest

from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.jobs import Jobs


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_marker_lives_in_the_numba_cache_and_names_umaps_version(cache):
    from latent_atlas.explorer.core.umap_warm import is_warm, warm_marker

    marker = warm_marker()
    assert marker is not None and marker.parent == cache and "umap" in marker.name
    assert not is_warm()
    marker.write_text("x")
    assert is_warm()


def test_the_warm_up_runs_once_and_says_what_it_does(cache, monkeypatch):
    import latent_atlas.explorer.core.umap_warm as warm
    from latent_atlas.explorer.session.warmup import DONE, STARTED, start_umap_warm_up

    def fake_warm_up(cancel=None):
        yield from ()
        marker = warm.warm_marker()
        marker.write_text("x")
        return marker

    monkeypatch.setattr(warm, "warm_up", fake_warm_up)
    d = ManualDispatcher()
    jobs = Jobs(d)
    said: list[str] = []
    job = start_umap_warm_up(jobs, said.append)
    assert job is not None and said == [STARTED]
    assert d.wait_until(lambda: not jobs.running(), 30)
    assert said[-1] == DONE
    assert start_umap_warm_up(jobs, said.append) is None  # warm now: nothing to do
    jobs.shutdown()


def test_a_failed_warm_up_is_one_readable_line(cache, monkeypatch):
    import latent_atlas.explorer.core.umap_warm as warm
    from latent_atlas.explorer.session.warmup import start_umap_warm_up

    def broken(cancel=None):
        yield from ()
        raise ValueError("no space left on the cache disk")

    monkeypatch.setattr(warm, "warm_up", broken)
    d = ManualDispatcher()
    jobs = Jobs(d)
    said: list[str] = []
    start_umap_warm_up(jobs, said.append)
    assert d.wait_until(lambda: not jobs.running(), 30)
    assert "could not be prepared" in said[-1] and "no space left" in said[-1]
    jobs.shutdown()
