"""Fixtures for the panel models: the bundled digits AE and VAE as sessions on one
`ManualDispatcher` (no Qt, no display), shown as the windows show them."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.session.dispatch import ManualDispatcher
from explorer.session.jobs import Jobs
from explorer.session.link import Link
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions


class Desk:
    """Sessions, the shown ones and the window's jobs, pumped by hand."""

    def __init__(self, runtime):
        self.dispatcher = ManualDispatcher()
        self.jobs = Jobs(self.dispatcher)
        self.shown = ShownSessions()
        self.by_kind: dict[str, Session] = {}
        self.links: list[Link] = []
        for kind in ("ae", "vae"):
            path, mf, latent_map, labels, model, decoder, extras = runtime[kind]
            s = Session(path.stem, mf.meta, path=path, latent_map=latent_map, labels=labels,
                        dispatcher=self.dispatcher)
            s.set_model(model, decoder)
            s.set_data(extras)
            self.by_kind[kind] = s
        self.dispatcher.process()

    def show(self, *kinds: str) -> list[Session]:
        sessions = [self.by_kind[k] for k in kinds]
        self.shown.set(sessions)
        return sessions

    def link(self) -> None:
        """Link the AE and the VAE as the compare window does (the maps share a frame)."""
        self.links.append(Link(self.by_kind["ae"], self.by_kind["vae"]))

    def settle(self, model, timeout: float = 120.0) -> None:
        """Run the model's pending update and wait until its jobs have delivered."""
        model.flush()
        assert self.dispatcher.wait_until(
            lambda: not self.jobs.running() and not model.stale, timeout), "jobs did not finish"
        self.dispatcher.process()

    def click(self, session: Session, xy) -> None:
        """What a click on the map does; a linked session decodes the same point too."""
        session.request_decode(np.asarray(xy, np.float32))
        self.dispatcher.process()

    def close(self) -> None:
        for link in self.links:
            link.disconnect()
        self.jobs.shutdown()
        for s in self.by_kind.values():
            s.close()


@pytest.fixture()
def desk(runtime):
    d = Desk(runtime)
    yield d
    d.close()
