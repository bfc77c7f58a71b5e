"""What the continuity metrics are asked for and what they give back (metrics.py measures):
`MetricSettings` (sizes, seeds, which measures; validated), `ModelMetrics` per model and
`CompareResult` for the table, the JSON and the sentences; `MetricsProgress` events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from latent_atlas.explorer.core.progress import Progress

MAX_PRIOR = 100_000
MAX_PAIRS = 10_000


@dataclass(frozen=True)
class MetricSettings:
    """How much to measure. The seed fixes every random choice (samples, pairs, directions)."""

    seed: int = 0
    n_prior: int = 2000  # prior samples for the hole fraction
    n_pairs: int = 100  # held-out pairs for interpolation
    steps: int = 9  # codes per interpolation path, ends included
    n_path: int = 500  # data codes for the local path length
    epsilon: float = 0.01  # finite-difference step, in units of the code spread
    hole_percentile: float = 95.0
    max_reference: int | None = 20_000  # cap on the real images searched for the nearest
    val_fraction: float = 0.1  # the trainer's validation split
    n_between: int = 300  # held-out pairs (and kNN points) for the between-code gaps
    knn: int = 10  # neighbours a kNN point may interpolate towards
    real_percentile: float = 95.0  # the model-independent pixel bar (real images' NN distance)
    classifier_percentile: float = 10.0  # the classifier judge's bar (real images' confidence)
    classifier: bool = True  # judge with a classifier when the data has labels
    classifier_cache: bool = True  # reuse the classifier trained on the same data
    probe_labels: tuple[float, ...] = (0.1, 1.0)  # labelled fractions of the probe; () = none
    equivalence_margin: float = 0.03  # TOST margin: "the same" within +- this fraction
    n_boot: int = 2000  # replicates of the paired bootstrap (paired.py)

    def __post_init__(self) -> None:
        if min(self.n_prior, self.n_pairs, self.n_path, self.n_between, self.knn) < 1 \
                or self.steps < 3:
            raise ValueError("n_prior, n_pairs, n_path, n_between and knn must be >= 1 and "
                             "steps >= 3")
        if self.n_between > MAX_PAIRS or self.knn > 1000:
            raise ValueError(f"at most {MAX_PAIRS:,} between-code pairs and 1,000 neighbours "
                             "are measured")
        if not (0 < self.real_percentile <= 100 and 0 < self.classifier_percentile < 100):
            raise ValueError("real_percentile must be in (0, 100] and classifier_percentile "
                             "in (0, 100)")
        # Each count is a batch of decoded images: bounded, so no flag asks for gigabytes.
        if self.n_prior > MAX_PRIOR or self.n_pairs > MAX_PAIRS or self.n_path > MAX_PRIOR \
                or self.steps > 1000:
            raise ValueError(f"at most {MAX_PRIOR:,} prior samples and path codes, "
                             f"{MAX_PAIRS:,} pairs and 1,000 steps are measured")
        if not 0 < self.epsilon < 1 or not 0 < self.hole_percentile <= 100:
            raise ValueError("epsilon must be in (0, 1) and hole_percentile in (0, 100]")
        if any(not 0 < f <= 1 for f in self.probe_labels):
            raise ValueError("probe label fractions must be in (0, 1], e.g. 0.1 for 10 %")
        if not 0 < self.equivalence_margin < 0.5 or not 100 <= self.n_boot <= 100_000:
            raise ValueError("equivalence_margin must be in (0, 0.5) and n_boot in "
                             "[100, 100,000]")


@dataclass(frozen=True)
class MetricsProgress(Progress):
    """`stage` of the measurement, overall `fraction` done, and a readable `message`;
    `partial` is the table so far (a CompareResult with `complete` False) when a stage
    added rows to it: first the cheap rows of every model, then each model measured."""

    partial: Any = field(default=None, compare=False, repr=False)


@dataclass
class ModelMetrics:
    """The measured numbers for one model (all distances in pixel RMS units)."""

    name: str
    kind: str
    prior: str
    recon_mse: float  # mean per-pixel squared error on held-out images
    recon_rms: float  # mean RMS distance of a held-out reconstruction to its original
    recon_p95: float  # percentile of held-out reconstructions' nearest-real distances
    hole_threshold: float = float("nan")
    hole_fraction: float = float("nan")
    prior_distance: float = float("nan")  # mean nearest-real distance of prior samples
    interp_distance: float = float("nan")
    interp_smoothness: float = float("nan")
    path_length: float = float("nan")
    # near-period-2 (checkerboard) amplitude of decodes over real images' (1 = as real;
    # checkerboard.py), and checker["recon" | "prior"] = {"ratio", "low", "high"} (95 %)
    checker_recon: float = float("nan")
    checker_prior: float = float("nan")
    checker: dict[str, dict[str, float]] = field(default_factory=dict)
    # holes[sampler][judge] = {"fraction", "low", "high"} (95 % interval); judges "pixel",
    # "pixel_real" and (with labels) "classifier"
    holes: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # between[kind][judge]: kinds same_label, different_label (random without labels), knn
    between: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # reconstruction[judge]: held-out reconstructions judged the same way (the floor)
    reconstruction: dict[str, dict[str, float]] = field(default_factory=dict)
    # probe["10%"][classifier] = {"accuracy", "low", "high", "n"}: codes as features
    probe: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    gmm_components: int | None = None  # chosen by BIC for the `gmm` sampler
    gmm_capped: bool = False  # BIC was still falling at the largest mixture tried
    # sampler -> the sampler whose draws (and so decodes) it reuses exactly: identical by
    # construction, e.g. an AE's fitted Gaussian is its own prior, a VAE's N(0, I) too
    same_draws: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("extras")
        return d


@dataclass
class CompareResult:
    """Metrics of several models on one data set, with the shared settings and threshold."""

    models: list[ModelMetrics]
    data_spec: str
    n_held_out: int
    n_reference: int
    hole_threshold: float
    settings: MetricSettings
    notes: list[str] = field(default_factory=list)
    real_threshold: float = float("nan")  # the model-independent pixel bar
    classifier: dict[str, Any] | None = None  # accuracy, threshold, ... of the judge
    judges: dict[str, str] = field(default_factory=dict)  # judge -> what it is
    explanation: str = ""
    seeds: list[int] = field(default_factory=list)
    # probe_tests[share][classifier]: McNemar's test of the first two models' probes
    probe_tests: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # paired tests of first - second model, one record per row (paired.paired_differences)
    differences: list[dict[str, Any]] = field(default_factory=list)
    # judge -> its hole rate on the real held-out images (cross-fitted, with an interval)
    judge_floors: dict[str, dict[str, float]] = field(default_factory=dict)
    # model name -> per-latent diagnostics and disentanglement (analysis.disentangle.per_model)
    latents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # False for the table so far, streamed while the rest is measured (never saved)
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_spec, "n_held_out": self.n_held_out,
                "n_reference_images": self.n_reference, "hole_threshold": self.hole_threshold,
                "real_threshold": self.real_threshold, "classifier": self.classifier,
                "judges": dict(self.judges), "explanation": self.explanation,
                "seeds": list(self.seeds) or [self.settings.seed],
                "settings": asdict(self.settings), "notes": list(self.notes),
                "probe_tests": self.probe_tests, "differences": list(self.differences),
                "judge_floors": dict(self.judge_floors), "latents": dict(self.latents),
                "models": [m.to_dict() for m in self.models]}
