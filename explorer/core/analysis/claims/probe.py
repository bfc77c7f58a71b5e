"""Codes as features: how well a simple classifier reads the labels off the latent codes,
against the same classifier on the raw pixels (a linear probe, after Alain & Bengio, 2016).

    acc = probe_accuracy(codes_train, y_train, codes_test, y_test, seed=0)
    # {"logistic": 0.91, "knn": 0.93}
    result = drain(probe_iter(model, images, labels, ProbeSettings(fractions=(0.01, 0.1, 1.0))))
    print(format_probe_table(result))

The classifiers are trained on the codes of a labelled fraction of the model's training
split (a seeded, stratified choice) and scored on its validation split (the held-out
images), so the encoder never saw the test images either.

Preprocessing decides k-NN's neighbourhoods, so it is fixed and stated: k-NN reads pixels
in [0, 1] and codes as the encoder gives them (unscaled: a near-collapsed dimension, which
barely changes the decode, barely changes a distance either, instead of being blown up to
unit variance like a real one); the logistic regression standardises its features (mean
0, variance 1, fitted on the labelled images), which only conditions the optimiser.
`knn_standardised` (k-NN after the same standardisation) is measured beside it, and the
tables show it where the two preprocessings disagree.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.inference import encode_iter
from latent_atlas.explorer.core.progress import Progress, check_cancel, relay

CLASSIFIERS = ("logistic", "knn")
CLASSIFIER_TITLES = {"logistic": "logistic regression", "knn": "k-NN (k = 5)"}
# k-NN on standardised features, measured beside the unscaled k-NN (module docstring)
KNN_STANDARDISED = "knn_standardised"
KNN_K = 5
MAX_LOGISTIC_ITER = 500
# The compare metrics' probe trains on at most this many labelled codes (a seeded subset)
# and scores at most this many held-out images, so it stays seconds on a million images.
MAX_PROBE_TRAIN = 20_000
MAX_PROBE_TEST = 10_000


def _features(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x)
    a = a.reshape(len(a), -1).astype(np.float64)
    return a / 255.0 if np.asarray(x).dtype == np.uint8 else a


def probe_accuracy(codes_train: np.ndarray, labels_train: np.ndarray, codes_test: np.ndarray,
                   labels_test: np.ndarray, seed: int = 0,
                   correct: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """Held-out accuracy (0..1) of a logistic regression and a k-NN classifier (k = 5, or
    fewer when fewer images are labelled) trained on (codes_train, labels_train) and
    scored on (codes_test, labels_test), and of k-NN on standardised features
    (KNN_STANDARDISED). Features may be codes N x d or images (uint8 pixels are scaled to
    [0, 1]); k-NN reads them as they are, the logistic regression standardised on the
    training features. `correct`, when given, receives each test image's right/wrong per
    classifier."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr, xte = _features(codes_train), _features(codes_test)
    ytr, yte = np.asarray(labels_train).reshape(-1), np.asarray(labels_test).reshape(-1)
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError("each feature row needs exactly one label")
    if xtr.shape[1:] != xte.shape[1:]:
        raise ValueError(f"training and test features differ: {xtr.shape[1:]} and {xte.shape[1:]}")
    if len(xte) == 0:
        raise ValueError("there are no test images to score the probe on")
    if len(np.unique(ytr)) < 2:
        raise ValueError("the labelled images hold fewer than two classes; label more images")
    if not (np.isfinite(xtr).all() and np.isfinite(xte).all()):
        raise ValueError("the features hold NaN or infinite values")
    out: dict[str, float] = {}
    logistic = make_pipeline(StandardScaler(), LogisticRegression(
        max_iter=MAX_LOGISTIC_ITER, random_state=int(seed)))
    k = min(KNN_K, len(xtr))
    knn = KNeighborsClassifier(n_neighbors=k)
    knn_std = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k))
    for name, clf in (("logistic", logistic), ("knn", knn), (KNN_STANDARDISED, knn_std)):
        right = _fit_score(clf, xtr, ytr, xte, yte)
        out[name] = float(right.mean())
        if correct is not None:
            correct[name] = right
    return out


def _fit_score(clf: Any, xtr: np.ndarray, ytr: np.ndarray, xte: np.ndarray,
               yte: np.ndarray) -> np.ndarray:
    """Fit on the training features; each test image's right (True) or wrong."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # Pixels at 1 % labels may not converge in MAX_LOGISTIC_ITER steps; the accuracy
        # of the last iterate is still the honest number for that budget.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    return np.asarray(clf.predict(xte) == yte, dtype=bool)


def fraction_key(fraction: float) -> str:
    """0.1 -> "10%": the key of a labelled fraction in the compare metrics."""
    return f"{100 * fraction:g}%"


def probe_metrics(codes: np.ndarray, labels: np.ndarray, train: np.ndarray, held: np.ndarray,
                  fractions: tuple[float, ...], seed: int = 0,
                  correct: dict[str, dict[str, np.ndarray]] | None = None
                  ) -> dict[str, dict[str, dict[str, float]]]:
    """The probe accuracy of one model's codes for the compare metrics:
    {"10%": {"logistic": {"accuracy", "low", "high", "n"}, "knn": ...}, ...}, trained on the
    codes of a stratified `fraction` of the labelled training images `train` and scored on
    the held-out images `held`, with the 95 % Wilson interval of the accuracy over the
    held-out images (seeded subsets of at most MAX_PROBE_TRAIN labelled codes and
    MAX_PROBE_TEST held-out images). Empty when the training images hold fewer than two
    classes. `correct`, when given, receives each held-out image's right/wrong (bool) per
    share and classifier, for a paired test between models scored on the same images."""
    from latent_atlas.explorer.core.analysis.intervals import wilson_interval

    y = np.asarray(labels).reshape(-1)
    if len(np.unique(y[train])) < 2 or len(held) == 0:
        return {}
    rng = np.random.default_rng(seed)
    if len(held) > MAX_PROBE_TEST:  # bounded work however large the data set
        held = np.sort(rng.choice(held, MAX_PROBE_TEST, replace=False))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for frac in fractions:
        pick = train[labelled_subset(y[train], frac, seed)]
        if len(pick) > MAX_PROBE_TRAIN:
            pick = np.sort(rng.choice(pick, MAX_PROBE_TRAIN, replace=False))
        right: dict[str, np.ndarray] = {}
        accs = probe_accuracy(codes[pick], y[pick], codes[held], y[held], seed, right)
        if correct is not None:
            correct[fraction_key(frac)] = right
        cells = {}
        for name, acc in accs.items():
            k = int(round(acc * len(held)))
            low, high = wilson_interval(k, len(held))
            cells[name] = {"accuracy": acc, "low": low, "high": high, "n": float(len(held))}
        out[fraction_key(frac)] = cells
    return out


def labelled_subset(labels: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Positions (sorted) of a seeded, stratified `fraction` of `labels`: round(fraction x
    count) of each class, at least one of each, so every class is labelled."""
    y = np.asarray(labels).reshape(-1)
    if not 0 < fraction <= 1:
        raise ValueError(f"the labelled fraction must be in (0, 1], not {fraction}")
    if fraction == 1:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = min(len(members), max(1, int(round(fraction * len(members)))))
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen))


def parse_fractions(text: str) -> tuple[float, ...]:
    """"1%,10%,100%" (or "0.01,0.1,1") -> (0.01, 0.1, 1.0)."""
    out = []
    for word in text.replace(" ", "").split(","):
        if not word:
            continue
        try:
            v = float(word[:-1]) / 100 if word.endswith("%") else float(word)
        except ValueError:
            raise ValueError(f"label fractions must be like 1%,10%,100% or 0.01,0.1,1, not "
                             f"'{text}'") from None
        if not 0 < v <= 1:
            raise ValueError(f"a label fraction must be above 0 % and at most 100 %, not '{word}'")
        out.append(v)
    if not out:
        raise ValueError("give at least one label fraction, e.g. 1%,10%,100%")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class ProbeSettings:
    fractions: tuple[float, ...] = (0.01, 0.1, 1.0)
    seed: int = 0  # the labelled choice and the classifiers' randomness
    val_fraction: float = 0.1  # the trainer's validation split
    pixels: bool = True  # also probe the raw pixels

    def __post_init__(self) -> None:
        if not self.fractions or any(not 0 < f <= 1 for f in self.fractions):
            raise ValueError("label fractions must be in (0, 1]")
        if self.seed < 0:
            raise ValueError(f"the seed must be >= 0, not {self.seed}")


@dataclass(frozen=True)
class ProbeProgress(Progress):
    """`stage` of the probe, overall `fraction` done, and a readable `message`."""


@dataclass
class ProbeRow:
    fraction: float
    n_labelled: int
    codes: dict[str, float]  # classifier -> held-out accuracy
    pixels: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"fraction": self.fraction, "n_labelled": self.n_labelled,
                "codes": dict(self.codes), "pixels": dict(self.pixels)}


@dataclass
class ProbeResult:
    data_spec: str
    latent_dim: int
    n_pixels: int
    n_train: int
    n_held_out: int
    n_classes: int
    chance: float  # accuracy of always answering the held-out images' commonest class
    rows: list[ProbeRow]
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_spec, "latent_dim": self.latent_dim, "n_pixels": self.n_pixels,
                "n_train": self.n_train, "n_held_out": self.n_held_out,
                "n_classes": self.n_classes, "chance": self.chance, "seed": self.seed,
                "rows": [r.to_dict() for r in self.rows], "notes": list(self.notes)}


def probe_iter(model: Any, images: np.ndarray, labels: np.ndarray | None,
               settings: ProbeSettings | None = None, *, data_spec: str = "",
               cancel: Any = None) -> Generator[Progress, None, ProbeResult]:
    """Yield progress; return the probe accuracies on codes (and pixels) per fraction."""
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices

    settings = settings or ProbeSettings()
    if labels is None:
        raise ValueError(f"{data_spec or 'the data'} has no labels, so there is nothing to "
                         "classify; probe a labelled data set (digits, mnist, ...)")
    y = np.asarray(labels).reshape(-1)
    if len(y) != len(images):
        raise ValueError(f"{len(y)} labels for {len(images)} images")
    cfg = model.config
    n = len(images)
    held, notes = held_out_indices(n, [int(cfg.seed)], settings.val_fraction)
    train = np.setdiff1d(np.arange(n), held)
    if len(np.unique(y[train])) < 2:
        raise ValueError("the training split holds fewer than two classes")
    if cfg.is_conditional:
        notes.append("a conditional model's encoder also reads the label; every image is "
                     "encoded under the default label so the codes do not leak it")
    yield ProbeProgress("encode", 0.0, "encoding the images…")
    codes = yield from relay(encode_iter(model, images, cancel=cancel),
                             lambda ev: ProbeProgress("encode", 0.3 * (ev.fraction or 0.0),
                                                      ev.message))
    rows = []
    steps = len(settings.fractions) * (2 if settings.pixels else 1)
    done = 0
    for frac in settings.fractions:
        check_cancel(cancel, "probe")
        pick = train[labelled_subset(y[train], frac, settings.seed)]
        row = ProbeRow(frac, len(pick), probe_accuracy(codes[pick], y[pick], codes[held],
                                                       y[held], settings.seed))
        done += 1
        yield ProbeProgress("probe", 0.3 + 0.7 * done / steps,
                            f"codes, {100 * frac:g} % labelled")
        if settings.pixels:
            check_cancel(cancel, "probe")
            row.pixels = probe_accuracy(images[pick], y[pick], images[held], y[held],
                                        settings.seed)
            done += 1
            yield ProbeProgress("probe", 0.3 + 0.7 * done / steps,
                                f"pixels, {100 * frac:g} % labelled")
        rows.append(row)
    _, counts = np.unique(y[held], return_counts=True)
    return ProbeResult(data_spec, int(cfg.latent_dim), int(np.prod(images.shape[1:])),
                       len(train), len(held), int(len(np.unique(y))),
                       float(counts.max() / len(held)), rows, settings.seed, notes)


def format_probe_table(result: ProbeResult, markdown: bool = False) -> str:
    """Accuracy per labelled fraction: each classifier on the codes and on the pixels."""
    head = ["labelled", "images"]
    shown = CLASSIFIERS + ((KNN_STANDARDISED,) if any(KNN_STANDARDISED in r.codes
                                                      for r in result.rows) else ())
    for c in shown:
        c = "knn std." if c == KNN_STANDARDISED else c
        head += [f"{c} codes", f"{c} pixels"]
    body = []
    for r in result.rows:
        row = [f"{100 * r.fraction:g} %", str(r.n_labelled)]
        for c in shown:
            row += [f"{100 * r.codes[c]:.1f} %" if c in r.codes else "-",
                    f"{100 * r.pixels[c]:.1f} %" if c in r.pixels else "-"]
        body.append(row)
    foot = (f"{result.data_spec or 'data'}: accuracy on {result.n_held_out} held-out images; "
            f"codes have {result.latent_dim} dimensions, pixels {result.n_pixels}; labelled "
            f"images drawn (stratified, seed {result.seed}) from the {result.n_train} training "
            f"images; chance (commonest class) {100 * result.chance:.1f} %. k-NN reads pixels "
            "in [0, 1] and unscaled codes (a collapsed dimension adds next to nothing to a "
            "distance); 'knn std.' standardises each feature first, as the logistic "
            "regression does.")
    from latent_atlas.explorer.core.io.tables import render_table

    return render_table(head, body, markdown=markdown) + ("\n\n" if markdown else "\n") + foot
