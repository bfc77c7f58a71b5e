"""Two judges of a decoded image: is it a plausible data image, or a hole?

    judge = drain(classifier_judge(data.images, data.labels, train_idx, held_out))
    judge.accuracy                     # held-out accuracy of the classifier
    judge.holes(decoded_images)        # bool per image: max class probability too low

- **pixel**: the RMS pixel distance to the nearest real (training) image, a hole above a
  threshold (`latent_atlas.explorer.core.analysis.gaps.score`). It misses garbage that happens to sit near
  some real image, and with blurry reconstructions its threshold grows until little is a
  hole.
- **classifier**: a small CNN (`latent_atlas.models.classifier`) trained on the training split's
  labels scores the decode's maximum class probability; a decode is a hole when that
  falls below the `percentile`-th (10th) percentile of the same score on real held-out
  images. It sees "this looks like no class", which pixel distance does not.

The classifier is trained once per data set and training split, and cached as a
safetensors file (nothing unpickled) in the user cache folder (or $LATENT_ATLAS_CACHE),
keyed by a hash of the training images and labels, so every compare on the same data
reuses it. Data without labels has no classifier judge.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latent_atlas.explorer.core.progress import Progress, check_cancel, relay

CLASSIFIER_PERCENTILE = 10.0
JUDGES = ("pixel", "classifier")
JUDGE_LABELS = {"pixel": "pixel", "classifier": "classifier", "pixel_real": "pixel (real bar)"}


@dataclass(frozen=True)
class JudgeProgress(Progress):
    """Training or loading the classifier judge."""


@dataclass
class ClassifierJudge:
    """A trained classifier and the bar a decode must clear.

    `threshold`: the `percentile`-th percentile of real held-out images' max class
    probability; `accuracy`: the classifier's accuracy on those held-out images.
    """

    net: Any
    threshold: float
    accuracy: float
    percentile: float
    n_train: int
    n_held_out: int
    cached: bool = False

    def confidence(self, images: np.ndarray) -> np.ndarray:
        """Max class probability of each image (float64 in [1/K, 1])."""
        from latent_atlas.explorer.core.inference import one_torch_thread
        from latent_atlas.models.classifier import class_probabilities

        with one_torch_thread(len(images) < 64):
            return class_probabilities(self.net, images).max(axis=1)

    def scores(self, images: np.ndarray) -> np.ndarray:
        """1 - max class probability: higher is worse (the convention of a gap score)."""
        return 1.0 - self.confidence(images)

    def holes(self, images: np.ndarray) -> np.ndarray:
        """True where the classifier is less sure than on the least sure real images."""
        return self.confidence(images) < self.threshold

    def describe(self) -> str:
        return (f"classifier judge: a small CNN trained on {self.n_train} training images, "
                f"{self.accuracy:.1%} accurate on {self.n_held_out} held-out images; a decode "
                f"is a hole below max probability {self.threshold:.3f} (the "
                f"{self.percentile:g}th percentile of real held-out images)")


def cache_folder() -> Path:
    root = os.environ.get("LATENT_ATLAS_CACHE")
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("latent-atlas", appauthor=False)
    return Path(root) / "classifiers"


def data_key(images: np.ndarray, labels: np.ndarray, seed: int) -> str:
    """A hash naming one training set (images, labels, seed, classifier version)."""
    from latent_atlas.models.classifier import CLASSIFIER_VERSION

    h = hashlib.sha256()
    h.update(json.dumps({"v": CLASSIFIER_VERSION, "shape": list(images.shape),
                         "seed": int(seed)}).encode())
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return h.hexdigest()[:32]


def _load_cached(path: Path, channels: int, n_classes: int) -> Any | None:
    """The cached network, or None when the file is missing or not ours (then retrain)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from latent_atlas.models.classifier import ImageClassifier

    if not path.is_file():
        return None
    try:
        state = load_file(str(path))
        net = ImageClassifier(channels, n_classes)
        net.load_state_dict(state)
    except (OSError, SafetensorError, RuntimeError, ValueError, KeyError):
        return None  # damaged or from another version: train afresh and overwrite it
    net.eval()
    return net


def _save_cached(path: Path, net: Any) -> None:
    """Write the network atomically; a cache that cannot be written is not an error."""
    from safetensors.torch import save

    from latent_atlas.models.modelfile import atomic_write_bytes

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        atomic_write_bytes(path, save(state))
    except OSError:
        pass


def classifier_judge(images: np.ndarray, labels: np.ndarray | None, train_idx: np.ndarray,
                     held_out: np.ndarray, *, seed: int = 0,
                     percentile: float = CLASSIFIER_PERCENTILE, use_cache: bool = True,
                     cancel: Any = None, span: tuple[float, float] = (0.0, 1.0)
                     ) -> Generator[JudgeProgress, None, ClassifierJudge | None]:
    """The classifier judge for a data set, or None when it has no labels (or one class).

    Trains on `images[train_idx]` (or loads the cached network), then sets the threshold
    and measures the accuracy on `images[held_out]`.
    """
    from latent_atlas.explorer.core.inference import one_torch_thread
    from latent_atlas.models.classifier import train_classifier_steps

    if labels is None:
        return None
    y = np.asarray(labels).astype(np.int64).reshape(-1)
    if len(y) != len(images):
        raise ValueError(f"{len(y)} labels for {len(images)} images")
    classes = np.unique(y[train_idx])
    if len(classes) < 2 or len(held_out) < 2:
        return None
    n_classes = int(y.max()) + 1
    lo, hi = span
    x_train, y_train = images[train_idx], y[train_idx]
    key = data_key(x_train, y_train, seed)
    path = cache_folder() / f"{key}.safetensors"
    channels = int(images.shape[1])
    net = _load_cached(path, channels, n_classes) if use_cache else None
    cached = net is not None
    if net is None:
        yield JudgeProgress("classifier", lo, "training the classifier judge")
        # One thread: a network this small spends more time syncing two threads than
        # computing (measured: 15x the CPU time on a busy 2-core machine).
        with one_torch_thread(True):
            def report(event: tuple[int, int, int, int]) -> JudgeProgress | None:
                step, total, epoch_done, _ = event  # about 50 reports over the fit
                if epoch_done:
                    check_cancel(cancel, "training the classifier judge")
                if step % max(1, total // 50):
                    return None
                return JudgeProgress("classifier", lo + 0.95 * (hi - lo) * step / total,
                                     f"training the classifier judge: step {step}/{total}")

            net = yield from relay(train_classifier_steps(x_train, y_train, n_classes,
                                                          seed=seed), report)
        if use_cache:
            _save_cached(path, net)
    check_cancel(cancel, "measuring")
    yield JudgeProgress("classifier", hi, "classifier judge ready")
    judge = ClassifierJudge(net=net, threshold=0.0, accuracy=float("nan"),
                            percentile=float(percentile), n_train=len(train_idx),
                            n_held_out=len(held_out), cached=cached)
    from latent_atlas.models.classifier import class_probabilities

    probs = class_probabilities(net, images[held_out])
    judge.accuracy = float((probs.argmax(axis=1) == y[held_out]).mean())
    judge.threshold = float(np.percentile(probs.max(axis=1), percentile))
    return judge


def pixel_scores(index: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The pixel judge as a score function (higher is worse): nearest-real RMS distance."""
    return lambda images: index.nearest(images)[0].astype(np.float64)


class HeatmapJudge:
    """The classifier judge as a heatmap score function: images -> 1 - max probability."""

    name = "classifier"
    unit = "1 − max class probability"

    def __init__(self, judge: ClassifierJudge) -> None:
        self.judge = judge

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.judge.scores(images)


def heatmap_judge(images: np.ndarray, labels: np.ndarray, seed: int = 0,
                  val_fraction: float = 0.1) -> HeatmapJudge:
    """The classifier judge for a heatmap of `images`: trained (or loaded from the cache)
    on the split a model trained with `seed` would use, so it is the same network the
    compare metrics use for such models."""
    from latent_atlas.models.progress import drain
    from latent_atlas.models.trainer import split_indices

    train_idx, held_out = split_indices(len(images), val_fraction, seed)
    judge = drain(classifier_judge(images, labels, np.asarray(train_idx), np.asarray(held_out)))
    if judge is None:
        raise ValueError("the classifier judge needs at least two labelled classes; use the "
                         "pixel judge")
    return HeatmapJudge(judge)
