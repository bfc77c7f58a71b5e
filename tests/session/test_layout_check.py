"""The session measures its layout in the background and offers the colouring."""

from __future__ import annotations


def test_neighbourhood_kept_colouring_and_the_trust_sentence(desk):
    s = desk.by_kind["ae"]
    said = []
    s.message.connect(said.append)
    assert "neighbourhood" not in dict(s.colour_choices())
    job = s.layout_check.start()
    assert desk.dispatcher.wait_until(lambda: job.settled, 120)
    assert "neighbourhood" in dict(s.colour_choices())
    s.set_colour_key("neighbourhood")
    col = s.colouring()
    assert col.kind == "continuous" and col.title == "Neighbourhood kept"
    assert 0.0 <= col.vmin <= col.vmax <= 1.0
    assert any("trustworthiness" in m for m in said)
