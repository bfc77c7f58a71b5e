"""benchmarks/beta_rounds.py: the convergence criterion, and that the models it trains in
rounds are the ones `latent-atlas sweep --seeds --models` reuses (issue 23)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("beta_rounds", ROOT / "benchmarks" / "beta_rounds.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass looks itself up there
    spec.loader.exec_module(mod)
    return mod


def test_the_criterion_averages_the_fall_over_the_last_epochs():
    m = _module()
    assert m.held_out_losses([{"val": {"total": 10.0}}, {"val": None}, {}])[0] == 10.0
    assert m.mean_fall([100.0, 90.0, 80.0]) is None  # three epochs: no three falls yet
    losses = [100.0, 99.0, 98.505, 98.0125]  # falls of 1 %, 0.5 %, 0.5 %
    assert m.mean_fall(losses) == pytest.approx((0.01 + 0.005 + 0.005) / 3, rel=1e-3)
    assert not m.converged(losses)  # 0.67 % a epoch
    assert m.converged([100.0, 99.8, 99.7, 99.6])  # about 0.13 %
    assert m.converged([50.0, 51.0, 52.0, 53.0])  # rising: nothing more to gain
    assert not m.converged([100.0, 99.0, 99.5, 98.0], criterion=0.003)  # one bump, mean 0.67 %
    assert m.converged([100.0, 99.0, 98.0, 97.5, 97.4], window=2, criterion=0.004)  # 0.31 %


def test_rounds_train_every_model_to_one_epoch_count_that_the_sweep_reuses(tmp_path, capsys):
    from latent_atlas.explorer.cli import main as cli
    from latent_atlas.models.modelfile import read_metadata

    m = _module()
    models = tmp_path / "runs"
    common = ["--data", "shapes?limit=240&size=16", "--beta", "0,4", "--seeds", "0",
              "--arch", "conv", "--latent-dim", "3", "--hidden", "4,8"]
    # a criterion nothing meets: the rounds go to --max-epochs, the first of one epoch
    assert m.main(["--models", str(models), *common, "--first", "1", "--step", "1",
                   "--max-epochs", "2", "--criterion", "1e-9"]) == 0
    out = capsys.readouterr().out
    assert "trained beta=0 seed=0 to 1 epochs" in out and "trained beta=4 seed=0 to 2" in out
    assert "rounds_done=2 epochs=2 all_converged=no" in out
    files = sorted(p.relative_to(models).as_posix() for p in models.rglob("*.safetensors"))
    assert files == ["seed_0/beta_0_ae.safetensors", "seed_0/beta_4_vae.safetensors"]
    for f in files:
        meta = read_metadata(models / f)
        assert [h["epoch"] for h in meta["history"]] == [1, 2]  # resumed, not retrained
    # run again: nothing left to train
    assert m.main(["--models", str(models), *common, "--first", "1", "--step", "1",
                   "--max-epochs", "2", "--criterion", "1e-9"]) == 0
    assert "rounds_done=0 epochs=2" in capsys.readouterr().out
    command = [line for line in out.splitlines() if line.startswith("measure: ")][0]
    assert "--epochs 2" in command and "--hidden 4,8" in command
    # the printed sweep reuses both models (it would train otherwise, and say so)
    assert cli(["sweep", *common, "--epochs", "2", "--models", str(models), "--json",
                "--quiet", "--measure-limit", "200", "--out", str(tmp_path / "s.png")]) == 0
    import json

    points = json.loads(capsys.readouterr().out)["points"]
    assert len(points) == 2 and all(p["reused"] for p in points)


def test_each_model_stops_at_its_own_convergence_and_the_sweep_takes_it_as_trained(
        tmp_path, capsys, monkeypatch):
    """`--each`: a round trains only the models that have not converged; the printed sweep
    (`--as-trained`) measures every model at the epochs it has, and says so."""
    import json

    from latent_atlas.explorer.cli import main as cli
    from latent_atlas.models.modelfile import read_metadata

    m = _module()
    # the AE counts as converged once it has one epoch; the β = 4 VAE never does
    monkeypatch.setattr(m.Slot, "converged",
                        lambda self, args: self.beta == 0 and len(self.history()) >= 1)
    models = tmp_path / "runs"
    common = ["--data", "shapes?limit=240&size=16", "--beta", "0,4", "--seeds", "0",
              "--arch", "conv", "--latent-dim", "3", "--hidden", "4,8"]
    assert m.main(["--models", str(models), *common, "--first", "1", "--step", "1",
                   "--max-epochs", "3", "--criterion", "1e-9", "--each"]) == 0
    out = capsys.readouterr().out
    assert "trained beta=0 seed=0 to 1 epochs" in out and "beta=0 seed=0 to 2" not in out
    assert "trained beta=4 seed=0 to 3 epochs" in out and "epochs=mixed" in out
    epochs = {p.name: len(read_metadata(p)["history"]) for p in models.rglob("*.safetensors")}
    assert epochs == {"beta_0_ae.safetensors": 1, "beta_4_vae.safetensors": 3}
    command = [line for line in out.splitlines() if line.startswith("measure: ")][0]
    assert "--as-trained" in command and "--epochs" not in command
    # the sweep reuses both at their own epoch counts, trains nothing, and tells them apart
    assert cli(["sweep", *common, "--as-trained", "--models", str(models), "--json", "--quiet",
                "--measure-limit", "200", "--out", str(tmp_path / "s.png")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_trained"] is True
    assert {(p["beta"], p["epochs"], p["reused"]) for p in doc["points"]} == {
        (0.0, 1, True), (4.0, 3, True)}
    assert cli(["sweep", *common, "--as-trained", "--models", str(models), "--markdown",
                "--quiet", "--measure-limit", "200", "--out", str(tmp_path / "s.png")]) == 0
    assert "epochs as trained (β=0: 1, β=4: 3)" in capsys.readouterr().out
    # without --each the rounds bring both to one count again, and the sweep asks for it
    assert m.main(["--models", str(models), *common, "--first", "1", "--step", "1",
                   "--max-epochs", "3", "--criterion", "1e-9", "--status"]) == 0
    assert "epochs=mixed" in capsys.readouterr().out


def test_as_trained_needs_every_model_and_the_folder(tmp_path, capsys):
    from latent_atlas.explorer.cli import main as cli

    common = ["sweep", "--data", "shapes?limit=240&size=16", "--beta", "0,4", "--seeds", "0",
              "--arch", "conv", "--latent-dim", "3", "--hidden", "4,8", "--quiet",
              "--out", str(tmp_path / "s.png"), "--as-trained"]
    assert cli(common) == 2
    assert "--as-trained takes the models in --models DIR" in capsys.readouterr().err
    assert cli([*common, "--models", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "no model at" in err and "beta_rounds.py --each" in err and "Traceback" not in err
    assert cli(["sweep", "--data", "digits", "--as-trained", "--quiet"]) == 2
    assert "--as-trained goes with --seeds and --models" in capsys.readouterr().err
