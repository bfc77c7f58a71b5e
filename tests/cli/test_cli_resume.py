"""`latent-atlas train --resume FILE --epochs N`: N more epochs from the stored state."""

import math

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.models.checkpoint import load_model
from latent_atlas.models.modelfile import read_model_file, write_model_file
from latent_atlas.models.train_state import read_train_state

BASE = ["train", "--data", "digits", "--model", "vae", "--latent-dim", "4", "--limit", "400",
        "--quiet"]
STEPS_PER_EPOCH = math.ceil(360 / 128)  # 400 images, 40 for validation, batch 128


def _train(tmp_path, name, epochs):
    out = tmp_path / name
    assert main([*BASE, "--epochs", str(epochs), "--out", str(out)]) == 0
    return out


def _val(path):
    return [h["val"]["total"] for h in load_model(path).meta["history"]]


def test_resume_continues_where_the_run_stopped(tmp_path, capsys):
    first = _train(tmp_path, "a.safetensors", 2)
    straight = _train(tmp_path, "straight.safetensors", 4)
    resumed = tmp_path / "b.safetensors"
    capsys.readouterr()
    assert main(["train", "--resume", str(first), "--epochs", "2", "--quiet",
                 "--out", str(resumed)]) == 0
    err = capsys.readouterr().err
    assert "2 epochs after 2" in err and "Note" not in err
    loaded = load_model(resumed)  # the file loads like any other
    history = loaded.meta["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert loaded.meta["data_spec"] == "digits?limit=400"
    # The optimizer went on counting (Adam's step), it did not start again.
    state = read_train_state(read_model_file(resumed))
    assert state is not None and state.adam_steps() == 4 * STEPS_PER_EPOCH
    # Same split, same optimizer state, same generators: the losses continue the
    # uninterrupted run's curve instead of jumping.
    assert _val(resumed) == pytest.approx(_val(straight), rel=1e-3)
    assert len(_val(first)) == 2  # the source file is untouched when --out differs


def test_resume_in_place_and_old_files_get_a_fresh_optimizer(tmp_path, capsys):
    path = _train(tmp_path, "old.safetensors", 1)
    mf = read_model_file(path)  # as an older version wrote it: no training state
    meta = {k: v for k, v in mf.meta.items() if k != "train_state"}
    write_model_file(path, meta, {k: v for k, v in mf.arrays.items() if k.startswith("model.")})
    assert read_train_state(read_model_file(path)) is None
    capsys.readouterr()
    assert main(["info", str(path)]) == 0
    assert "weights only" in capsys.readouterr().out
    assert main(["train", "--resume", str(path), "--epochs", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "holds no optimizer state" in err and "fresh optimizer" in err
    assert len(load_model(path).meta["history"]) == 2  # written back in place
    state = read_train_state(read_model_file(path))
    assert state.adam_steps() == STEPS_PER_EPOCH  # only this run's steps
    capsys.readouterr()
    assert main(["info", str(path)]) == 0
    assert "optimizer state stored" in capsys.readouterr().out


def _write_without_spec(tmp_path):
    path = _train(tmp_path, "nospec.safetensors", 1)
    mf = read_model_file(path)
    write_model_file(path, {**mf.meta, "data_spec": ""}, mf.arrays)
    return path


@pytest.mark.parametrize("case, needle", [
    ("nospec", "does not say which data"),
    ("shape", "takes 8×8×1"),
    ("notmodel", "not a Latent Atlas model file"),
    ("missing", "does not exist"),
    ("zero", "at least 1"),
    ("nothing", "give --out"),
    ("damaged", "damaged training state"),
])
def test_bad_resume_input_exits_2_with_one_line(case, needle, tmp_path, capsys):
    if case == "nospec":
        argv = ["train", "--resume", str(_write_without_spec(tmp_path)), "--epochs", "1"]
    elif case == "shape":
        good = _train(tmp_path, "g.safetensors", 1)
        argv = ["train", "--resume", str(good), "--data", "shapes:200", "--epochs", "1"]
    elif case == "notmodel":
        junk = tmp_path / "junk.safetensors"
        junk.write_bytes(b"not a model at all" * 10)
        argv = ["train", "--resume", str(junk), "--epochs", "1"]
    elif case == "missing":
        argv = ["train", "--resume", str(tmp_path / "none.safetensors"), "--epochs", "1"]
    elif case == "zero":
        good = _train(tmp_path, "g.safetensors", 1)
        argv = ["train", "--resume", str(good), "--epochs", "0"]
    elif case == "nothing":
        argv = ["train", "--data", "digits", "--epochs", "1"]
    else:
        good = _train(tmp_path, "g.safetensors", 1)
        mf = read_model_file(good)
        write_model_file(good, {**mf.meta, "train_state": {"version": 1, "state": {"t": "?"}}},
                         mf.arrays)
        argv = ["train", "--resume", str(good), "--epochs", "1"]
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # --epochs 0 is refused while the arguments are read
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before  # nothing written
