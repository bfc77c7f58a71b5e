"""The cases of issue 14 that take more than one command line: the real entry point with a
special file, Ctrl-C and divergence during `train`, `project`'s one write, far map
positions, closed pipes, names that are not UTF-8, and temp files left by a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cases import base, fifo, png
from fuzzkit import ROOT, assert_one_line_error, mutate, run_cli

# --- 1. special files, through the real `python -m latent_atlas.explorer.cli` ----------------------

def test_a_fifo_is_refused_by_the_real_entry_point(tmp_path):
    run = run_cli(["info", fifo(tmp_path, "f.safetensors")])
    assert_one_line_error(run, "not a regular file", "named pipe")


def test_a_fifo_among_pictures_is_skipped_and_named(tmp_path):
    png(tmp_path / "pics" / "a.png")
    fifo(tmp_path / "pics", "x.png")
    run = run_cli(["data", f"folder:{tmp_path / 'pics'}", "--json"])
    assert run.returncode == 0, run.stderr
    notes = json.loads(run.stdout)["notes"]
    assert any("x.png (not a regular file)" in n for n in notes), notes


# --- 5. cancelling or diverging never destroys an existing model -----------------------

def test_ctrl_c_in_the_first_epoch_keeps_the_old_model_and_exits_130(tmp_path):
    old = base(tmp_path, "M.safetensors", epochs_trained=3)
    before = old.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Small batches of 32 x 32 shapes: the first epoch lasts a few seconds.
    argv = [sys.executable, "-m", "latent_atlas.explorer.cli", "train", "--data", "shapes:3000", "--model",
            "ae", "--epochs", "50", "--batch-size", "8", "--out", str(old)]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    deadline = time.monotonic() + 90
    buf = ""
    while time.monotonic() < deadline and "0%" not in buf:  # the progress bar is up
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
    time.sleep(0.5)  # the trainer is in its first batches, Ctrl-C now goes to the trainer
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=90)[1]
    assert proc.returncode == 130, buf + rest
    assert "Traceback" not in rest and "Training cancelled" in rest, buf + rest
    if "during epoch 1;" in rest:  # no epoch finished: the old model must be untouched
        assert "nothing was saved" in rest and old.read_bytes() == before
    else:  # a slow Ctrl-C: whole epochs were saved, never a partial one
        from latent_atlas.models.checkpoint import load_model

        assert len(load_model(old).meta["history"]) >= 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_run_that_diverges_in_epoch_1_writes_nothing(tmp_path):
    old = base(tmp_path, "M.safetensors", epochs_trained=3)
    before = old.read_bytes()
    run = run_cli(["train", "--data", "digits?limit=200", "--model", "ae", "--epochs", "2",
                   "--lr", "1e30", "--quiet", "--out", old])
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "nothing was saved" in run.stderr
    assert old.read_bytes() == before


def test_zero_epochs_never_replace_a_model(tmp_path):
    old = base(tmp_path, "M.safetensors")
    before = old.read_bytes()
    run = run_cli(["train", "--data", "digits?limit=64", "--epochs", "0", "--out", old])
    assert_one_line_error(run, "--epochs", "at least 1")
    assert old.read_bytes() == before


# --- 8. `project` stores map and labels in one atomic write -----------------------------

def test_project_writes_the_map_and_its_labels_at_once(tmp_path, monkeypatch, capsys):
    import latent_atlas.models.modelfile as modelfile
    from latent_atlas.explorer.cli import main

    path = base(tmp_path)
    writes = []
    real = modelfile.atomic_write_bytes
    monkeypatch.setattr(modelfile, "atomic_write_bytes",
                        lambda p, data: (writes.append(p), real(p, data)))
    assert main(["project", str(path), "--data", "digits?limit=50", "--method", "pca",
                 "--quiet"]) == 0
    assert len(writes) == 1
    mf = modelfile.read_model_file(path)
    assert mf.meta["map"]["n_points"] == 50 and len(mf.arrays["data.labels"]) == 50
    # data without labels: the old labels go with the old map, in the same single write
    np.savez(tmp_path / "u.npz", x=np.zeros((30, 8, 8), np.uint8))
    assert main(["project", str(path), "--data", f"npz:{tmp_path / 'u.npz'}", "--method",
                 "pca", "--quiet"]) == 0
    assert len(writes) == 2
    mf = modelfile.read_model_file(path)
    assert mf.meta["map"]["n_points"] == 30 and "data.labels" not in mf.arrays


def test_killing_project_at_any_time_leaves_a_consistent_file(tmp_path):
    """kill -9 at staggered moments: the file always holds a map whose labels match it."""
    from latent_atlas.models.modelfile import read_model_file

    path = base(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (0.5, 1.0, 1.5, 2.0, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "latent_atlas.explorer.cli", "project", str(path),
                                 "--data", "digits?limit=300", "--method", "pca", "--quiet"],
                                cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=60)
        mf = read_model_file(path)
        assert len(mf.arrays["data.labels"]) == mf.meta["map"]["n_points"], delay


# --- 9. far map positions decode to the map's edge, never to NaN ------------------------

def test_a_far_map_position_decodes_to_the_edge_without_warnings(tmp_path):
    from PIL import Image

    out = tmp_path / "o.png"
    run = run_cli(["decode", base(tmp_path), "--xy", "1e308,1e308", "--xy", "-1e308,1e300",
                   "--out", out], env={"PYTHONWARNINGS": "error"})
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr and "Traceback" not in run.stderr
    assert np.asarray(Image.open(out)).std() > 0  # two real pictures, not a black strip


# --- 11. closed pipes, names that are not UTF-8, options that look like values ----------

def test_a_closed_pipe_ends_quietly(tmp_path):
    path = mutate(base(tmp_path), tmp_path / "long.safetensors",
                  edit_meta=lambda m: m.update(label_names=[f"class-{i}" for i in range(30000)]))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "latent_atlas.explorer.cli", "info", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    assert len(proc.stdout.read(10)) == 10  # `| head -c 10`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=90) == 141
    assert err == ""


@pytest.mark.parametrize("command", ["info", "data"])
def test_names_that_are_not_utf8_are_printed_escaped(tmp_path, command):
    strict = {"PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    if command == "info":
        weird = os.fsencode(tmp_path) + b"/\xff\xfe.safetensors"
        os.rename(base(tmp_path), weird)
        args = ["info", os.fsdecode(weird)]
    else:
        root = os.fsencode(tmp_path / "pics")
        png(tmp_path / "pics" / "tmp" / "a.png")
        png(tmp_path / "pics" / "ok" / "b.png")
        os.rename(root + b"/tmp", root + b"/caf\xe9")  # a Latin-1 folder name: a label
        args = ["data", f"folder:{tmp_path / 'pics'}"]
    run = run_cli(args, env=strict)
    assert run.returncode == 0, run.stderr
    assert "\\udc" in run.stdout  # escaped, not a UnicodeEncodeError


def test_label_names_with_lone_surrogates_are_printed_escaped(tmp_path):
    path = mutate(base(tmp_path), tmp_path / "s.safetensors",
                  edit_meta=lambda m: m.update(label_names=["\udc80x", "b"]))
    run = run_cli(["info", path], env={"PYTHONIOENCODING": "utf-8:strict"})
    assert run.returncode == 0, run.stderr
    assert "\\udc80x" in run.stdout


# --- 11. temp files left by a writer that died are removed by the next save ------------

def test_the_next_save_removes_stale_temp_files_but_not_live_ones(tmp_path):
    import fcntl

    from latent_atlas.models.modelfile import write_model_file

    path = base(tmp_path)
    stale = tmp_path / f".{path.name}.ab12cd34.tmp"
    stale.write_bytes(b"x" * 1000)  # a kill -9 mid-save left it: nobody holds its lock
    live = tmp_path / f".{path.name}.zz99yy88.tmp"
    live.write_bytes(b"y")
    other = tmp_path / ".notes.txt.ab12cd34.tmp"  # not ours for this file
    other.write_bytes(b"z")
    with open(live, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # a writer still at work
        from latent_atlas.models.modelfile import read_model_file

        mf = read_model_file(path)
        write_model_file(path, mf.meta, mf.arrays)
        assert not stale.exists()
        assert live.exists() and other.exists()
