"""The model kinds of the autoencoder family, each declared once.

A `KindSpec` says what a kind is (its names, whether it is variational or conditional,
the paper), which `ModelConfig` fields it adds (`options`: the CLI flags and the Train
dialog's controls are made from them) and which of those is its one penalty weight.
Defaults are never written here: they are the `ModelConfig` field defaults, read by
`config.field_default`. Adding a kind touches this file, `Kind` in config.py (a `Literal`, for
the type checker; a test checks the two agree), its networks (networks.py) and its loss
terms (losses.py, objectives.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindOption:
    """A ModelConfig field a kind adds: its CLI help and its Train dialog label."""

    field: str
    help: str
    label: str
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None  # a number refused outside [low, high]

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


@dataclass(frozen=True)
class KindSpec:
    """One kind of the family: see the module docstring."""

    name: str
    short: str  # the Train dialog and --help: "denoising AE"
    long: str  # `info` and the tables: "denoising autoencoder"
    paper: str = ""
    variational: bool = False
    conditional: bool = False
    default_beta: float = 1.0  # the KL weight when none is given
    pretrainable: bool = True  # greedy layer-wise pretraining (stacked AE, MLP) applies
    adversarial: bool = False  # a latent discriminator pushes the codes towards N(0, I)
    label_in_encoder: bool = True  # conditional: the encoder sees the label too (CVAE)
    options: tuple[KindOption, ...] = ()
    penalty: str = ""  # the field of its one strength control, if it has one


_NOISE = KindOption("noise", "dae corruption", "Noise", ("gaussian", "masking"))
_NOISE_LEVEL = KindOption("noise_level", "dae: Gaussian sigma (0..1 pixel scale) or masked "
                          "fraction (0..1)", "Noise level (DAE)", bounds=(0.0, 1.0))

_ADVERSARIAL = KindOption("adversarial_weight", "aae, caae: regularisation weight",
                          "Adversarial weight (AAE, CAAE)")

KINDS: dict[str, KindSpec] = {spec.name: spec for spec in (
    KindSpec("ae", "autoencoder", "autoencoder", "Hinton & Salakhutdinov 2006"),
    KindSpec("vae", "variational AE", "variational autoencoder", "Kingma & Welling 2014",
             variational=True),
    KindSpec("dae", "denoising AE", "denoising autoencoder", "Vincent et al. 2008",
             options=(_NOISE, _NOISE_LEVEL)),
    KindSpec("sae", "sparse AE", "sparse autoencoder", "Ng 2011",
             options=(KindOption("sparsity_weight", "sae: lambda", "Sparsity weight λ (SAE)"),
                      KindOption("sparsity_target", "sae: 0 for an L1 penalty, else the KL "
                                 "target rho", "Sparsity target ρ (SAE)")),
             penalty="sparsity_weight"),
    KindSpec("cae", "contractive AE", "contractive autoencoder", "Rifai et al. 2011",
             options=(KindOption("contractive_weight", "cae: lambda",
                                 "Contractive weight λ (CAE)"),),
             penalty="contractive_weight"),
    KindSpec("beta-vae", "beta-VAE", "beta-VAE", "Higgins et al. 2017", variational=True,
             default_beta=4.0),
    KindSpec("cvae", "conditional VAE", "conditional VAE", "Sohn et al. 2015",
             variational=True, conditional=True, pretrainable=False),
    KindSpec("aae", "adversarial AE", "adversarial autoencoder", "Makhzani et al. 2015",
             options=(_ADVERSARIAL,), penalty="adversarial_weight", pretrainable=False,
             adversarial=True),
    # Zhang, Song & Qi, "Age Progression/Regression by Conditional Adversarial
    # Autoencoder", CVPR 2017: the encoder never sees the condition, the decoder gets it,
    # and the latent discriminator makes every code look like a prior sample, so one code
    # can be decoded under every condition (hold the face, sweep the age).
    KindSpec("caae", "conditional adversarial AE", "conditional adversarial autoencoder",
             "Zhang et al. 2017", conditional=True, adversarial=True, label_in_encoder=False,
             options=(_ADVERSARIAL,), penalty="adversarial_weight", pretrainable=False),
)}


def kind_spec(name: str) -> KindSpec:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown model kind '{name}'; known: {', '.join(KINDS)}") from None


def all_options() -> tuple[KindOption, ...]:
    """Every kind's options, once each, in the order the kinds declare them."""
    seen: dict[str, KindOption] = {}
    for spec in KINDS.values():
        for opt in spec.options:
            seen.setdefault(opt.field, opt)
    return tuple(seen.values())
