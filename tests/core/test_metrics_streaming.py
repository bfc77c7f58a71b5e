"""Issue 24: the compare metrics stream. The cheap rows of every model (reconstruction,
own-prior holes under the pixel judges) arrive first, then each model whole, then the
paired tests; every streamed number is the one the finished table shows."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    MetricSettings,
    MetricsProgress,
    compare_models,
)
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from tests.fixture_scope import shared

SETTINGS = MetricSettings(n_prior=150, n_pairs=8, n_path=40, n_between=40, classifier=False,
                          probe_labels=(0.5,), n_boot=200, seed=3,  # not a default seed
                          max_reference=600)  # a subset: a note before the first look


def _stream(digits, settings):
    models = {name: build_model(ModelConfig(kind=kind, input_shape=digits.shape, latent_dim=4,
                                            hidden=(8, 16), seed=0))
              for name, kind in (("A", "ae"), ("B", "vae"))}
    events: list = []

    def keep(e):  # each streamed table as it was when it arrived
        events.append(e)
        if getattr(e, "partial", None) is not None:
            SNAPSHOTS[id(e)] = json.dumps(e.partial.to_dict(), sort_keys=True, default=str)

    result = drain(compare_models(models, digits, settings), keep)
    return events, result


SNAPSHOTS: dict[int, str] = {}


@pytest.fixture(scope=shared)
def streamed(digits):
    return _stream(digits, SETTINGS)


@pytest.fixture(scope=shared)
def streamed_judged(digits):
    """With the classifier judge (trained here, not taken from the cache)."""
    return _stream(digits, replace(SETTINGS, classifier=True, classifier_cache=False,
                                   classifier_percentile=15.0))  # not the default bar


def _partials(events):
    return [e for e in events if getattr(e, "partial", None) is not None]


def test_the_cheap_rows_of_both_models_come_first(streamed):
    events, _ = streamed
    parts = _partials(events)
    assert [e.stage for e in parts] == ["first look", "model measured"]
    first = parts[0].partial
    assert not first.complete and first.differences == []
    # before the slow work: the mixture fit, the between-code decodes
    slow = next(i for i, e in enumerate(events) if "mixture" in e.message)
    assert events.index(parts[0]) < slow
    for m in first.models:
        assert math.isfinite(m.recon_mse) and math.isfinite(m.hole_fraction)
        assert math.isnan(m.interp_distance) and math.isnan(m.path_length)
        assert set(m.holes) == {"own"} and set(m.holes["own"]) == {"pixel", "pixel_real"}
        assert set(m.reconstruction) == {"pixel", "pixel_real"} and m.between == {}


def test_each_model_lands_whole_as_it_finishes(streamed):
    events, _ = streamed
    second = _partials(events)[1].partial
    a, b = second.models
    assert not second.complete
    assert math.isfinite(a.interp_distance) and "gmm" in a.holes and a.between
    assert math.isnan(b.interp_distance) and set(b.holes) == {"own"}


@pytest.mark.parametrize("which", ["streamed", "streamed_judged"])
def test_every_streamed_number_is_the_final_one(which, request):
    events, final = request.getfixturevalue(which)
    assert final.complete and final.differences
    for part in _partials(events):
        for j in ("pixel", "pixel_real"):  # the judges' floors on real images
            assert part.partial.judge_floors[j] == final.judge_floors[j]
        for early, late in zip(part.partial.models, final.models, strict=True):
            assert early.name == late.name
            assert early.recon_mse == late.recon_mse and early.recon_p95 == late.recon_p95
            assert early.hole_fraction == late.hole_fraction
            assert early.hole_threshold == late.hole_threshold == final.hole_threshold
            assert early.holes["own"]["pixel"] == late.holes["own"]["pixel"]
            assert early.reconstruction["pixel_real"] == late.reconstruction["pixel_real"]


def test_a_cancel_during_the_first_look_stops_it(digits):
    model = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=4,
                                    hidden=(8, 16)))
    seen: list = []

    def cancel() -> bool:
        return any(e.stage == "reconstruction" for e in seen)

    with pytest.raises(Cancelled):
        drain(compare_models({"A": model}, digits, SETTINGS, cancel=cancel), seen.append)
    assert not _partials(seen)


def test_a_model_measured_whole_streams_its_classifier_rows_as_final(streamed_judged):
    events, final = streamed_judged
    second = _partials(events)[1].partial
    a = second.models[0]
    assert "classifier" in a.reconstruction and "classifier" in a.holes["gmm"]
    assert a.reconstruction == final.models[0].reconstruction  # cross-fitted, as at the end
    assert a.holes == final.models[0].holes and a.between == final.models[0].between
    assert "classifier" not in second.models[1].holes["own"]  # not judged yet


def test_a_streamed_table_describes_the_same_comparison_and_never_changes_afterwards(streamed):
    """Each streamed table carries the finished table's data, counts, bars, settings, seeds
    and notes so far (marked incomplete), and is a copy: the measuring that goes on after it
    was shown does not change what the user already sees."""
    events, final = streamed
    assert final.complete is True
    # labelled data with the judge turned off: the note says that, not "no labels"
    assert "the classifier judge was turned off" in final.notes
    assert not any("no labels" in n for n in final.notes)
    for e in _partials(events):
        p = e.partial
        assert p.complete is False
        assert (p.data_spec, p.n_held_out, p.n_reference) == (
            final.data_spec, final.n_held_out, final.n_reference)
        assert p.hole_threshold == final.hole_threshold
        assert p.real_threshold == final.real_threshold
        assert p.settings == final.settings and p.seeds == final.seeds == [SETTINGS.seed]
        assert p.notes and p.notes == final.notes[:len(p.notes)]  # the notes so far
        assert p.judges and all(final.judges[k] == v for k, v in p.judges.items())
        assert p.judge_floors and all(final.judge_floors[k] == v
                                      for k, v in p.judge_floors.items())
        assert json.dumps(p.to_dict(), sort_keys=True, default=str) == SNAPSHOTS[id(e)]


def test_the_classifier_judge_follows_the_settings_and_reports_within_its_span(
        streamed_judged, digits, tmp_path, monkeypatch):
    """The judge is trained at the settings' percentile, its progress arrives as the
    comparison's own (stage, message, fraction within 0.15–0.25), it is cached only when
    the settings ask, taken from the cache the next time, and `cancel` reaches it."""
    events, result = streamed_judged  # classifier_cache=False, percentile 15
    assert result.classifier["percentile"] == 15.0
    assert "15th percentile" in result.judges["classifier"]
    judged = [e for e in events if e.stage == "classifier"]
    assert any("training the classifier judge" in e.message for e in judged)
    assert all(isinstance(e, MetricsProgress) and e.message for e in events)
    assert all(0.15 <= e.fraction <= 0.25 for e in judged) and len(judged) >= 3
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)

    monkeypatch.setenv("LATENT_ATLAS_CACHE", str(tmp_path))
    base = replace(SETTINGS, classifier=True, probe_labels=())

    def until_judged(settings, stop_at: str) -> list:
        """Run the comparison until the first classifier event whose message has
        `stop_at` (then cancel): the cheap rows and the judge only."""
        models = {name: build_model(ModelConfig(kind=kind, input_shape=digits.shape,
                                                latent_dim=4, hidden=(8, 16), seed=0))
                  for name, kind in (("A", "ae"), ("B", "vae"))}
        seen: list = []

        def cancel():
            return any(e.stage == "classifier" and stop_at in e.message for e in seen)

        with pytest.raises(Cancelled):
            drain(compare_models(models, digits, settings, cancel=cancel), seen.append)
        return seen

    assert not list(tmp_path.rglob("*.safetensors"))
    seen = until_judged(replace(base, classifier_cache=True), "ready")
    assert any("training the classifier judge" in e.message for e in seen)
    assert len(list(tmp_path.rglob("*.safetensors"))) == 1  # asked to cache: kept
    seen = until_judged(replace(base, classifier_cache=True), "ready")
    assert not any("training the classifier judge" in e.message for e in seen)  # reused
    seen = until_judged(replace(base, classifier_cache=False), "training")
    assert "training the classifier judge" in seen[-1].message  # stopped while training
    assert not any("ready" in e.message for e in seen if e.stage == "classifier")
    assert len(list(tmp_path.rglob("*.safetensors"))) == 1  # and never cached


def test_the_bar_moves_forward_as_each_model_is_measured(digits):
    """After the first look (a quarter of the bar), each model measured but the last moves
    the bar on by its share of the rest; the last one's event is "done" at the full bar."""
    models = {name: build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=2,
                                            hidden=(8, 16), seed=s))
              for s, name in enumerate("ABC")}
    events: list = []
    drain(compare_models(models, digits, replace(SETTINGS, probe_labels=())), events.append)
    measured = [e.fraction for e in events if e.stage == "model measured"]
    assert measured == pytest.approx([0.25 + 0.75 / 3, 0.25 + 0.75 * 2 / 3])
    assert events[-1].stage == "done" and events[-1].fraction == 1.0


def test_the_classifier_record_says_how_the_judge_was_made(streamed, streamed_judged):
    """What the table and `compare --json` show of the judge: its accuracy and bar, the
    percentile that set the bar and how many images it learned from and was tested on
    (the numbers of its own description); none when it was turned off."""
    assert streamed[1].classifier is None
    result = streamed_judged[1]
    record = result.classifier
    assert set(record) == {"accuracy", "threshold", "percentile", "n_train", "n_held_out"}
    described = result.judges["classifier"]
    assert f"trained on {record['n_train']} training images" in described
    assert f"{record['accuracy']:.1%} accurate on {record['n_held_out']} held-out" in described
    assert f"below max probability {record['threshold']:.3f}" in described
    assert result.to_dict()["classifier"] == record


def test_the_mixture_search_reports_under_the_prior_stage_from_the_start_of_its_model(streamed):
    """Each number of components tried is a line of the "prior" stage; the first one (no
    component fitted yet) sits at the start of the first model's share of the bar."""
    events, _ = streamed
    mixture = [e for e in events if "fitting a Gaussian mixture" in e.message]
    assert mixture and all(e.stage == "prior" for e in mixture)
    first = next(e for e in mixture if e.message.startswith("A: "))
    assert "(1/" in first.message and first.fraction == pytest.approx(0.25)


def test_the_settings_seed_reaches_the_mixture_search(digits, monkeypatch):
    from latent_atlas.explorer.core.analysis.comparison import measure

    seeds = []
    real = measure.fit_gmm_steps

    def spy(codes, *args, **kwargs):
        seeds.append(kwargs.get("seed", args[1] if len(args) > 1 else None))
        return real(codes, *args, **kwargs)

    monkeypatch.setattr(measure, "fit_gmm_steps", spy)
    model = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=2,
                                    hidden=(8, 16), seed=0))
    drain(compare_models({"A": model}, digits, replace(SETTINGS, probe_labels=())))
    assert seeds == [SETTINGS.seed]


def test_a_max_unpooling_model_is_compared_with_the_switches_of_its_samples(digits):
    """Its codes decode with the max-pooling switches of the nearest sample, everywhere the
    comparison decodes (prior samples, between codes, paths): no refusal, finite rows."""
    model = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=2,
                                    hidden=(8, 16), seed=0, downsample="max",
                                    upsample="max-unpool"))
    result = drain(compare_models({"A": model}, digits, replace(SETTINGS, probe_labels=())))
    (m,) = result.models
    assert math.isfinite(m.interp_distance) and math.isfinite(m.path_length)
    assert set(m.between) >= {"knn"} and "pixel" in m.holes["gmm"]
