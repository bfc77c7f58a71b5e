"""One registry of model kinds (models/kinds.py): everything else derives from it."""

from __future__ import annotations

import typing

from latent_atlas.models.config import (
    KIND_NAMES,
    VARIATIONAL_KINDS,
    Kind,
    ModelConfig,
    field_default,
)
from latent_atlas.models.kinds import KINDS, all_options, kind_spec


def test_the_kind_literal_and_the_registry_name_the_same_kinds():
    assert tuple(typing.get_args(Kind)) == tuple(KINDS)


def test_every_option_is_a_config_field_and_every_penalty_an_option():
    fields = {f.name for f in __import__("dataclasses").fields(ModelConfig)}
    for spec in KINDS.values():
        for opt in spec.options:
            assert opt.field in fields, (spec.name, opt.field)
            assert opt.flag == "--" + opt.field.replace("_", "-")
        assert not spec.penalty or spec.penalty in {o.field for o in spec.options}
    assert len({o.field for o in all_options()}) == len(all_options())


def test_derived_tables_follow_the_registry():
    from latent_atlas.explorer.core.training import BETA_VAE_DEFAULT, KIND_LABELS, PENALTY_FIELD

    assert set(VARIATIONAL_KINDS) == {"vae", "beta-vae", "cvae"}
    assert KIND_NAMES["dae"] == "denoising autoencoder" and KIND_LABELS["dae"] == "denoising AE"
    assert BETA_VAE_DEFAULT == kind_spec("beta-vae").default_beta == 4.0
    assert PENALTY_FIELD["sae"] == ("sparsity_weight", "Sparsity weight λ (SAE)",
                                    field_default("sparsity_weight"))
    assert set(PENALTY_FIELD) == {k for k, spec in KINDS.items() if spec.penalty}
    assert {"sae", "cae", "aae"} <= set(PENALTY_FIELD)
    cfg = ModelConfig(kind="cvae", n_classes=3)
    assert cfg.is_conditional and cfg.is_variational
    assert not ModelConfig(kind="aae").is_conditional


def test_the_cli_flags_are_made_from_the_kinds_with_the_config_defaults():
    from latent_atlas.explorer.cli import build_parser

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    actions = {a.dest: a for a in train._actions}
    for opt in all_options():
        assert actions[opt.field].default == field_default(opt.field), opt.field
        assert actions[opt.field].help.startswith(opt.help)
    assert actions["noise"].choices == ["gaussian", "masking"]


def test_an_unknown_kind_is_named():
    import pytest

    with pytest.raises(ValueError, match="unknown model kind 'xae'"):
        kind_spec("xae")


def test_every_number_field_of_the_config_is_type_checked():
    import dataclasses

    import pytest

    from latent_atlas.models.config import ConfigError

    for f in dataclasses.fields(ModelConfig):
        if f.type in ("int", "float"):
            with pytest.raises(ConfigError, match=f.name):
                ModelConfig(**{f.name: "3"})


def test_the_readme_kind_table_names_every_kind():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [k for k in KINDS if f"| `{k}` |" not in readme]
    assert not missing, f"the README's kind table lacks {missing}"
