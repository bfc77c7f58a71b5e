"""One inference runner, one progress loop, a core grouped by concern: checked on the source.

docs/architecture.md (explorer/core): every encode and decode goes through `latent_atlas.explorer.core.inference` (batching,
labels, device, thread policy, `torch.inference_mode()`), and every progress generator is
consumed by the one `drain` (models/progress.py, re-exported by latent_atlas.explorer.core.progress).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("explorer", "models")
RUNNER = "explorer/core/inference.py"
# Gradient-free blocks that are not inference and so stay where they are:
NO_GRAD_ALLOWED = {
    # the classifier judge's own forward pass: a classifier, not an autoencoder's
    # encode/decode, scoring images the runner already decoded.
    "models/classifier.py",
    # averaging gradients across processes by hand (the adversarial AE's phases): that is
    # training, not inference.
    "models/distributed.py",
    # validation loss inside the training loop: it evaluates the model being trained,
    # on tensors already on the training device, between optimiser steps.
    "models/trainer.py",
    # layer-wise pretraining runs the frozen lower layers without gradients while the
    # layer above them trains; that is training, not inference.
    "models/stacked.py",
}
MAX_LINES = 400


def _sources() -> list[tuple[str, str]]:
    files = [f for pkg in PACKAGES for f in sorted((ROOT / pkg).rglob("*.py"))]
    assert files
    return [(f.relative_to(ROOT).as_posix(), f.read_text(encoding="utf-8")) for f in files]


def test_inference_mode_and_no_grad_only_in_the_runner():
    pattern = re.compile(r"torch\.no_grad|inference_mode")
    offenders = [name for name, text in _sources()
                 if pattern.search(text) and name != RUNNER and name not in NO_GRAD_ALLOWED]
    assert not offenders, (f"encode/decode outside the inference runner ({RUNNER}) in "
                           f"{offenders}; call latent_atlas.explorer.core.inference instead")


def test_torch_thread_policy_only_in_the_runner():
    offenders = [name for name, text in _sources()
                 if "set_num_threads" in text and name != RUNNER]
    assert not offenders, f"torch thread settings outside {RUNNER}: {offenders}"


def test_no_hand_written_generator_loops_outside_drain():
    offenders = [name for name, text in _sources()
                 if "except StopIteration" in text and name != "models/progress.py"]
    assert not offenders, (f"hand-written next()/StopIteration loops in {offenders}; use "
                           "latent_atlas.explorer.core.progress.drain (or relay to re-yield)")


def test_core_modules_stay_small_and_honestly_named():
    for name, text in _sources():
        if name.startswith(("explorer/core/", "models/")):
            n = text.count("\n")
            assert n <= MAX_LINES, f"{name} has {n} lines; split it by what its parts are"
    core = {p.stem for p in (ROOT / "explorer" / "core").rglob("*.py")}
    assert not core & {"panel_helpers", "paths", "decoding", "encode", "helpers", "utils"}


def test_count_progress_events_say_how_far_and_what():
    from latent_atlas.explorer.core.analysis.gaps.score import GapProgress
    from latent_atlas.explorer.core.inference import EncodeProgress

    gap = GapProgress(3, 4)
    assert (gap.stage, gap.fraction, gap.message) == ("gaps", 0.75, "gap scores: 3/4 points")
    enc = EncodeProgress(1500, 6000)
    assert (enc.stage, enc.fraction) == ("encode", 0.25)
    assert enc.message == "encoding 1,500/6,000 images…"
    assert EncodeProgress(0, 0).fraction == 1.0  # nothing to do is done
