"""Qt-free background jobs: results on the owner thread, a successor supersedes."""

from __future__ import annotations

import threading

from latent_atlas.explorer.core.progress import Progress
from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.jobs import Jobs


def test_a_generator_job_reports_progress_then_its_result_on_the_owner_thread():
    d = ManualDispatcher()
    jobs = Jobs(d)
    seen: list = []
    owner = threading.get_ident()

    def work(cancel):
        for i in range(3):
            yield Progress("step", (i + 1) / 3, f"step {i}")
        return 42

    job = jobs.start("work", work)
    job.progress.connect(lambda ev: seen.append(("progress", ev.fraction, threading.get_ident())))
    job.succeeded.connect(lambda v: seen.append(("done", v, threading.get_ident())))
    job.start()
    assert d.wait_until(lambda: job.settled, 60)
    assert seen[-1] == ("done", 42, owner)
    assert [s[1] for s in seen if s[0] == "progress"] == [1 / 3, 2 / 3, 1.0]
    assert all(s[2] == owner for s in seen)
    assert not jobs.running()


def test_starting_a_namesake_supersedes_the_running_job():
    d = ManualDispatcher()
    jobs = Jobs(d)
    release = threading.Event()
    results: list = []

    def slow(cancel):
        release.wait(5)
        return "stale"

    first = jobs.start("map", slow)
    first.succeeded.connect(results.append)
    first.start()
    second = jobs.start("map", lambda cancel: "fresh")
    second.succeeded.connect(results.append)
    second.start()
    assert first.cancel_event.is_set() and first.stale
    release.set()
    assert d.wait_until(lambda: first.settled and second.settled, 60)
    assert results == ["fresh"]  # the superseded result never lands
    assert jobs.running() == []


def test_failures_become_one_readable_line_and_cancel_is_reported():
    d = ManualDispatcher()
    jobs = Jobs(d)
    out: list = []
    bad = jobs.start("bad", lambda cancel: (_ for _ in ()).throw(ValueError("no such data")))
    bad.failed.connect(out.append)
    bad.start()

    def until_cancelled(cancel):
        from latent_atlas.explorer.core.progress import check_cancel

        while True:
            yield Progress("wait", None)
            check_cancel(cancel, "waiting")

    stop = jobs.start("stop", until_cancelled)
    stop.cancelled.connect(lambda: out.append("cancelled"))
    stop.start()
    stop.cancel()
    assert d.wait_until(lambda: bad.settled and stop.settled, 60)
    assert sorted(out) == ["cancelled", "no such data"]
