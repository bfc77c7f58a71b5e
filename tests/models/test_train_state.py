"""The resumable training state (stored without pickle) and the trainer's narrow interface
to data-parallel groups, exercised with stand-in groups in one process."""

import numpy as np
import pytest
import torch

from latent_atlas.models.checkpoint import save_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.distributed import Local, from_env
from latent_atlas.models.modelfile import IncompatibleModelError, read_model_file, write_model_file
from latent_atlas.models.networks import build_model
from latent_atlas.models.objectives import NonFiniteLoss, _floats
from latent_atlas.models.progress import drain
from latent_atlas.models.train_state import TrainState, flatten, load_optimizers, read_train_state
from latent_atlas.models.trainer import train


def _cfg(**kw):
    base = dict(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=4, hidden=(16, 32),
                batch_size=64, epochs=2, lr=2e-3, seed=3)
    base.update(kw)
    return ModelConfig(**base)


@pytest.mark.parametrize("kind", ["vae", "aae"])
def test_state_round_trips_through_the_model_file(kind, digits, tmp_path):
    model = build_model(_cfg(kind=kind))
    result = drain(train(model, digits.images[:320], epochs=2))
    state = result.state
    assert set(state.optimizers) == ({"ae", "disc", "gen"} if kind == "aae" else {"ae"})
    assert state.adam_steps() == 2 * 5  # 288 training images, batch 64: 5 steps an epoch
    path = tmp_path / "m.safetensors"
    save_model(path, model, history=result.history, train_state=state)
    back = read_train_state(read_model_file(path))
    assert back is not None and back.adam_steps() == state.adam_steps()
    for name, sd in state.optimizers.items():
        got = back.optimizers[name]
        assert got["param_groups"] == sd["param_groups"]  # tuples (betas) come back as tuples
        for i, values in sd["state"].items():
            for k, v in values.items():
                assert got["state"][i][k].shape == v.shape, (name, i, k)
                assert torch.allclose(got["state"][i][k], v)
    assert torch.equal(back.rng["shuffle"], state.rng["shuffle"])


def test_unstorable_values_are_refused():
    with pytest.raises(TypeError):
        flatten(TrainState(optimizers={"ae": {"state": {}, "param_groups": [{"x": object()}]}}))
    with pytest.raises(TypeError):
        flatten(TrainState(optimizers={"ae": {"state": {}, "param_groups": [{"lr": float("nan")}]}}))


def test_damaged_or_mismatched_state_is_a_readable_error(digits, tmp_path):
    model = build_model(_cfg())
    result = drain(train(model, digits.images[:320], epochs=1))
    path = tmp_path / "m.safetensors"
    save_model(path, model, train_state=result.state)
    mf = read_model_file(path)
    # An array missing from the file.
    arrays = {k: v for k, v in mf.arrays.items() if not k.endswith(".exp_avg_sq")}
    write_model_file(path, mf.meta, arrays)
    with pytest.raises(IncompatibleModelError, match="damaged training state"):
        read_train_state(read_model_file(path))
    # A moment shaped unlike its parameter.
    state = result.state
    first = next(iter(state.optimizers["ae"]["state"].values()))
    first["exp_avg"] = torch.zeros(3, 3)
    other = build_model(_cfg())
    with pytest.raises(IncompatibleModelError, match="shape"):
        from latent_atlas.models.objectives import make_step

        load_optimizers(make_step(other).optimizers(), state)


class _Stops(Local):
    """A stand-in group: another process reports trouble from the `after`+1-th vote on."""

    def __init__(self, after):
        super().__init__()
        self.votes, self.after = 0, after

    def any(self, flag):
        self.votes += 1
        return bool(flag) or self.votes > self.after


def test_a_non_finite_loss_in_another_process_stops_this_one_before_the_update():
    with pytest.raises(NonFiniteLoss, match="in another process"):
        _floats({"total": torch.tensor(1.0)}, _Stops(after=0))
    assert _floats({"total": torch.tensor(1.0)}, Local()) == {"total": 1.0}


@pytest.mark.parametrize("after, status", [(7, "diverged"), (6, "cancelled")])
def test_every_process_stops_where_another_one_did(after, status, digits):
    """Per batch a gradient step votes twice: before it (cancel), then on its loss (NaN).
    With 3 batches an epoch, vote 7 is the cancel vote of epoch 2's first batch, vote 8
    its loss vote: either way epoch 1's weights are kept."""
    imgs = digits.images[:200]  # 180 training images, batch 64: 3 batches
    ref = build_model(_cfg())
    drain(train(ref, imgs, epochs=1))
    model = build_model(_cfg())
    result = drain(train(model, imgs, epochs=3, group=_Stops(after)))
    assert result.status == status
    assert result.epochs_completed == 1 and len(result.history) == 1
    for k, v in model.state_dict().items():
        assert torch.allclose(v, ref.state_dict()[k]), k


def test_one_process_without_torchrun(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    group = from_env(torch.device("cpu"))
    assert type(group) is Local and group.is_main and group.world_size == 1
    assert group.sum([1.0, 2.0]) == [1.0, 2.0]
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert type(from_env(torch.device("cpu"))) is Local  # torchrun with one process
    monkeypatch.setenv("WORLD_SIZE", "x")
    with pytest.raises(ValueError, match="whole numbers"):
        from_env(torch.device("cpu"))


def test_local_group_keeps_the_single_process_order():
    g = torch.Generator().manual_seed(5)
    order = Local().epoch_order(50, 0, g)
    assert torch.equal(order, torch.randperm(50, generator=torch.Generator().manual_seed(5)))
    assert np.array_equal(np.sort(order.numpy()), np.arange(50))
