import subprocess
import sys

import pytest

from latent_atlas.explorer.cli import main
from latent_atlas.models.checkpoint import load_model


def test_train_then_info(tmp_path, capsys):
    out = tmp_path / "v.safetensors"
    code = main(["train", "--data", "digits", "--model", "vae", "--arch", "conv", "--latent-dim", "4",
                 "--epochs", "2", "--limit", "300", "--quiet", "--out", str(out)])
    assert code == 0
    loaded = load_model(out)
    assert loaded.config.kind == "vae" and loaded.config.latent_dim == 4
    assert loaded.meta["data_spec"] == "digits?limit=300"
    assert len(loaded.meta["history"]) == 2
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "vae (conv), latent size 4" in text
    assert "epochs:      2" in text
    assert "final val:" in text


@pytest.mark.parametrize("argv, needle", [
    (["train", "--data", "nosuchsource", "--out", "{tmp}/a.safetensors"], "unknown data source"),
    (["train", "--data", "digits", "--out", "{tmp}/a.txt"], "must end in .safetensors"),
    (["train", "--data", "digits", "--out", "{tmp}/missing/a.safetensors"], "does not exist"),
    (["train", "--data", "digits", "--latent-dim", "0", "--out", "{tmp}/a.safetensors"], "latent_dim"),
    (["train", "--data", "digits", "--hidden", "a,b", "--out", "{tmp}/a.safetensors"], "--hidden"),
    (["train", "--model", "gan", "--out", "{tmp}/a.safetensors"], "invalid choice"),
    (["train", "--epochs", "x", "--out", "{tmp}/a.safetensors"],
     "argument --epochs: must be a whole number, not 'x'"),
    (["info", "{tmp}/none.safetensors"], "does not exist"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, argv, needle):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) if needle.startswith(("invalid", "argument")) \
            else _nothing() as exc:
        code = main(argv)
    if exc is not None and hasattr(exc, "value"):
        code = exc.value.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def test_ctrl_c_saves_last_complete_epoch(tmp_path):
    """SIGINT during training: the trainer stops within a batch and the file holds whole epochs."""
    import signal
    import time

    out = tmp_path / "c.safetensors"
    proc = subprocess.Popen(
        [sys.executable, "-m", "latent_atlas.explorer.cli", "train", "--data", "digits", "--model", "ae",
         "--epochs", "500", "--out", str(out)],
        stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    buf = ""
    while time.time() < deadline:  # wait for the first completed epoch in the progress bar
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
        if "img/s" in buf:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, buf + rest  # interrupted, as a shell expects of Ctrl-C
    assert "cancelled" in rest
    loaded = load_model(out)
    n = len(loaded.meta["history"])
    assert 1 <= n < 500


def test_cli_kinds_match_the_model_family():
    from latent_atlas.explorer.cli.train import KIND_CHOICES
    from latent_atlas.models.config import KIND_NAMES

    assert set(KIND_CHOICES) == set(KIND_NAMES)


@pytest.mark.parametrize("data", ["digits", "shapes:300"])
@pytest.mark.parametrize("kind, extra", [
    ("dae", ["--noise", "masking", "--noise-level", "0.4"]), ("sae", []), ("cae", []),
    ("beta-vae", []), ("cvae", []), ("aae", []), ("caae", ["--adversarial-weight", "0.5"]),
    ("ae", ["--arch", "mlp", "--pretrain-epochs", "1"]),
])
def test_every_variant_trains_from_the_cli(kind, extra, data, tmp_path):
    out = tmp_path / f"{kind}.safetensors"
    assert main(["train", "--data", data, "--model", kind, "--epochs", "1", "--limit", "300",
                 "--latent-dim", "4", "--quiet", "--out", str(out), *extra]) == 0
    cfg = load_model(out).config
    assert cfg.kind == kind
    if kind == "beta-vae":
        assert cfg.beta == 4.0
    if kind in ("cvae", "caae"):
        assert cfg.n_classes == (10 if data == "digits" else 4)
    if kind == "caae":
        assert cfg.adversarial_weight == 0.5
    # ... and it maps: `project` stores a map the window can open.
    assert main(["project", str(out), "--method", "pca", "--quiet"]) == 0
    from latent_atlas.explorer.core.latent.map import load_map

    assert load_map(out).positions.shape == (300, 2)


def test_a_caae_trains_on_a_shapes_factor_and_reloads(tmp_path):
    out = tmp_path / "caae.safetensors"
    assert main(["train", "--data", "shapes:300?label=scale&bins=4", "--model", "caae",
                 "--epochs", "1", "--latent-dim", "3", "--quiet", "--out", str(out)]) == 0
    loaded = load_model(out)
    assert loaded.config.kind == "caae" and loaded.config.n_classes == 4
    assert loaded.meta["data_spec"] == "shapes:300?bins=4&label=scale"
    assert loaded.meta["label_names"][0] == "scale 0.50–0.62"
