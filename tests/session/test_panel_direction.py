"""The traversal panel's "Measure" model without a display: latent arithmetic measured
for every shown model in a job, the results kept per model and pair of groups."""

from __future__ import annotations

from latent_atlas.explorer.core.analysis.applications.transfer import (
    measure_transfer,
    transfer_table_parts,
)
from latent_atlas.explorer.core.progress import drain
from latent_atlas.explorer.session.panels import TraversalModel


def _pick(m: TraversalModel, a: str, b: str) -> None:
    keys = {title: key for key, title in m.groups}
    m.set_direction(keys[a], keys[b])


def test_measure_fills_one_table_per_shown_model(desk):
    sessions = desk.show("ae", "vae")
    t = TraversalModel(desk.shown, desk.jobs)
    m = t.measure
    desk.settle(t)
    assert m.results == [None, None]
    _pick(t, "1", "7")
    m.run_or_cancel()
    assert m.running() and "on 2 model(s)" in m.hint
    desk.settle(m, timeout=300)
    assert not m.running() and m.hint == ""
    for s, col in zip(sessions, m.columns, strict=True):
        r = col.result
        assert r is not None and (r.a, r.b, r.kind) == ("1", "7", s.kind)
        expected = drain(measure_transfer(s.model, s.data, "1", "7"))
        table, foot = transfer_table_parts(expected)
        assert col.table.splitlines()[0] == table.splitlines()[0]
        assert col.table.splitlines()[0].split()[-5:] == ["→", "1", "still", "7", "holes"]
        assert len(col.table.splitlines()) == len(table.splitlines()) == 11
        assert col.foot == foot
    assert m.results[0].cell("latent", 1).to_a["fraction"] > 0.5

    _pick(t, "0", "6")  # another direction: that one is not measured yet
    desk.settle(m)
    assert m.results == [None, None]
    _pick(t, "1", "7")  # back: the kept results show again without measuring
    desk.settle(m)
    assert all(r is not None for r in m.results) and not m.running()

    desk.shown.set(sessions[1:])  # one model: one table
    desk.settle(m)
    assert len(m.results) == 1 and m.results[0].kind == "vae"
    t.close()


def test_measure_refuses_factor_groups_readably(desk):
    desk.show("ae")
    t = TraversalModel(desk.shown, desk.jobs)
    m = t.measure
    desk.settle(t)
    t.set_direction("factor:scale>0.5", "label:7")
    m.run_or_cancel()
    desk.settle(m)
    # the digits have no factors: the core's one line says so
    assert m.hint.startswith("The measurement failed: unknown factor 'scale'")
    assert m.results == [None]
    t.close()


def test_measure_asks_for_two_groups(desk):
    desk.show("ae")
    t = TraversalModel(desk.shown, desk.jobs)
    t.set_direction(None, None)
    t.measure.run_or_cancel()
    assert not t.measure.running() and "Pick two labels" in t.measure.hint
    t.close()
