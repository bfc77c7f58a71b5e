import threading

import numpy as np
import pytest

from latent_atlas.explorer.core.isolated import IsolatedError, fit_map_isolated
from latent_atlas.explorer.core.progress import Cancelled, drain


def test_map_fitted_in_a_child_process_matches_the_in_process_fit():
    from latent_atlas.explorer.core.latent.map import quick_map

    codes = np.random.default_rng(0).normal(size=(200, 5)).astype(np.float32)
    events = []
    m = drain(fit_map_isolated(codes, "pca"), events.append)
    assert events and events[-1].stage == "done"
    assert m.method == "pca"
    assert np.allclose(m.positions, quick_map(codes).positions, atol=1e-5)
    assert m.inverse(m.positions[3]).shape == (5,)


def test_child_errors_become_one_readable_line():
    with pytest.raises(IsolatedError, match="method"):
        drain(fit_map_isolated(np.zeros((20, 3), np.float32), "no-such-method"))


def test_cancel_stops_the_child():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        drain(fit_map_isolated(np.zeros((20, 3), np.float32), "pca", cancel=cancel))
