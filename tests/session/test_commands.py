"""The commands' session functions (latent_atlas.explorer.session.commands), called as plain
functions: what they decide on their own, beyond the CLI's tests (tests/cli/) of the
commands that print them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.session.commands import (
    apps,
    compare,
    denoise,
    export,
    info,
    outputs,
    resume,
    sweep,
    train,
    traverse,
)
from latent_atlas.explorer.session.commands import map as maps
from latent_atlas.explorer.session.errors import CommandError, readable_error, typed_errors
from latent_atlas.explorer.session.opening import open_model

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "resources" / "models"


@pytest.fixture(scope="module")
def ae():
    """The bundled digits AE (8-D latent, a stored UMAP map) opened on its digits."""
    return open_model(MODELS / "digits_ae.safetensors")


def _small_model(path: Path, kind: str = "ae", latent_dim: int = 2, n_classes: int = 0,
                 **save) -> Path:
    from latent_atlas.models.checkpoint import save_model
    from latent_atlas.models.config import ModelConfig

    config = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=latent_dim,
                         hidden=(8,), n_classes=n_classes)
    save_model(path, train.new_model(config), data_spec="digits", **save)
    return path


# ---- outputs -------------------------------------------------------------------------------
def test_an_output_is_refused_for_its_suffix_with_the_flag_and_the_error_type_asked(tmp_path):
    with pytest.raises(CommandError, match=r"^--plot must end in \.png, not 'a\.jpg'$"):
        outputs.check_output(tmp_path / "a.jpg", (".png",), flag="--plot")

    class Mine(Exception):
        pass

    with pytest.raises(Mine, match="does not exist"):
        outputs.check_output(tmp_path / "no" / "a.png", (".png",), error=Mine)
    assert outputs.check_output(tmp_path / "a.PNG", (".png",)) == tmp_path / "a.PNG"


def test_an_output_that_is_one_of_the_inputs_is_refused(tmp_path):
    src = tmp_path / "m.png"
    src.write_bytes(b"x")
    with pytest.raises(CommandError, match="same file as the input"):
        outputs.check_output(src, (".png",), inputs=(None, src))


def test_an_output_folder_is_refused_when_a_file_is_there(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(CommandError, match=r"is a file; the export writes a folder"):
        outputs.check_folder(tmp_path / "f", probe="t.tsv", what="the export")
    assert outputs.check_folder(tmp_path / "new", probe="t.tsv", what="x") == tmp_path / "new"
    assert outputs.check_folder(tmp_path, probe="t.tsv", what="x") == tmp_path


def test_write_png_enlarges_small_images_to_the_minimum(tmp_path):
    images = np.zeros((3, 8, 8), np.uint8)
    outputs.write_png(tmp_path / "a.png", images, None, minimum=32)  # 8 px -> 4x
    outputs.write_png(tmp_path / "b.png", images, 1)
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "b.png") as b:
        assert a.size == (b.size[0] * 4, b.size[1] * 4)
        assert b.size[1] == 8


# ---- errors --------------------------------------------------------------------------------
def test_every_typed_error_is_a_value_error_and_reads_as_its_message():
    from latent_atlas.explorer.core.data import DataError
    from latent_atlas.explorer.core.io.images import ImageImportError
    from latent_atlas.explorer.session.opening import OpenError
    from latent_atlas.models.config import ConfigError
    from latent_atlas.models.modelfile import ModelFileError

    assert set(typed_errors()) == {ModelFileError, DataError, ConfigError, ImageImportError,
                                   CommandError}
    assert all(issubclass(t, ValueError) for t in typed_errors())
    assert readable_error(CommandError("give --data SPEC")) == "give --data SPEC"
    assert readable_error(CommandError()) == "CommandError"  # no message: its name
    # a ValueError of another module (not listed) is shown by its message too
    assert readable_error(OpenError("m was opened without data")) == "m was opened without data"
    assert readable_error(RuntimeError("boom")) == "Unexpected error (RuntimeError): boom"


# ---- train, resume, info -------------------------------------------------------------------
def test_variant_flags_are_every_kind_option_with_its_config_default():
    from latent_atlas.models.config import field_default
    from latent_atlas.models.kinds import all_options

    flags = train.variant_flags()
    assert [f.field for f in flags] == [o.field for o in all_options()]
    for f in flags:
        assert f.flag == "--" + f.field.replace("_", "-")
        assert f.default == field_default(f.field)
    assert "max-unpool" in train.sampling_choices()["upsample"]
    assert "max" in train.sampling_choices()["downsample"]
    assert train.is_conditional("cvae") and not train.is_conditional("vae")


def test_resuming_a_file_without_optimizer_state_or_map_says_what_it_leaves_out(tmp_path):
    plain = _small_model(tmp_path / "plain.safetensors")
    start = resume.resume_training(plain, limit=200)
    assert start.state is None and start.history == [] and len(start.data) == 200
    assert len(start.notes) == 1 and "holds no optimizer state" in start.notes[0]
    bundled = resume.resume_training(MODELS / "digits_ae.safetensors", limit=200)
    assert any("2-D map stored in" in n for n in bundled.notes)


def test_resuming_refuses_a_model_it_cannot_train():
    from tests.user_models import make_ae

    with pytest.raises(CommandError, match="cannot be trained or resumed here"):
        resume.resume_training(make_ae(), data="digits", limit=100)


def test_resuming_a_conditional_model_needs_labelled_data(tmp_path, monkeypatch):
    from latent_atlas.explorer.core.data import load_data

    path = _small_model(tmp_path / "c.safetensors", kind="cvae", n_classes=10)
    opened = open_model(path, with_data=False)
    digits = load_data("digits?limit=50")
    opened.data = type(digits)(images=digits.images, labels=None, spec="digits?limit=50")
    monkeypatch.setattr(resume, "open_model", lambda *a, **k: opened)
    with pytest.raises(CommandError, match=r"^c\.safetensors is a conditional VAE and "
                                         r"digits\?limit=50 has no labels$"):
        resume.resume_training(path)


def test_a_training_runs_its_epochs_and_saves_what_resume_continues(tmp_path):
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.modelfile import read_model_file
    from latent_atlas.models.train_state import read_train_state

    data = load_data("digits?limit=120")
    config = ModelConfig(kind="ae", arch="mlp", input_shape=(1, 8, 8), latent_dim=2,
                         hidden=(8,), epochs=1, batch_size=64)
    run = train.Training(data=data, model=train.new_model(config))
    group = train.process_group(train.resolve_device("cpu"))
    try:
        result = drain(run.run(1, group))
    finally:
        group.close()
    assert result.status == "completed" and result.epochs_completed == 1
    assert len(result.history) == 1 and result.state is not None
    out = tmp_path / "t.safetensors"
    run.save(out, result)
    mf = read_model_file(out)
    assert mf.meta["data_spec"] == "digits?limit=120"
    assert len(mf.meta["history"]) == 1 and read_train_state(mf) is not None
    again = resume.resume_training(out)
    assert again.state is not None and again.notes == [] and len(again.history) == 1


def test_map_extent_is_none_without_a_map_and_for_a_damaged_file(tmp_path, ae):
    assert info.map_extent(_small_model(tmp_path / "m.safetensors")) is None
    (tmp_path / "bad.safetensors").write_bytes(b"not a model")
    assert info.map_extent(tmp_path / "bad.safetensors") is None
    x0, x1, y0, y1 = info.map_extent(MODELS / "digits_ae.safetensors")
    assert x0 < x1 and y0 < y1
    assert (x0, x1, y0, y1) == ae.latent_map.bounds()


# ---- export, compare ------------------------------------------------------------------------
@pytest.mark.parametrize("kind,options", [("ae", {}), ("cvae", {"n_classes": 10})])
def test_export_errors_give_a_conditional_model_the_datas_labels(tmp_path, kind, options):
    from latent_atlas.explorer.core.analysis.applications import reconstruction_errors
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.session.opening import build_model, read_model

    stored = read_model(_small_model(tmp_path / "m.safetensors", kind=kind, **options))
    data = load_data("digits?limit=60")
    got = export.reconstruction_errors(stored, data)
    model = build_model(stored)
    labels = data.labels if kind == "cvae" else None
    assert np.array_equal(got, reconstruction_errors(model, data.images, labels=labels))
    if kind == "cvae":  # under other labels, other errors: the labels were used
        other = reconstruction_errors(model, data.images, labels=(data.labels + 1) % 10)
        assert not np.allclose(got, other)


def test_the_compare_text_is_the_table_then_the_latent_rows(monkeypatch):
    from latent_atlas.explorer.core.analysis.comparison import table
    from latent_atlas.explorer.core.analysis.disentangle import per_model

    monkeypatch.setattr(table, "format_table", lambda r, markdown: f"TABLE {markdown}")
    rows = {}
    monkeypatch.setattr(per_model, "format_latent_rows",
                        lambda latents, names: rows.get(tuple(names), ""))

    class Result:
        latents: dict = {}

    assert compare.compare_text(Result(), ["AE", "VAE"], markdown=True) == "TABLE True"
    rows[("AE", "VAE")] = "AE z0 ...\nVAE z0 ..."
    assert compare.compare_text(Result(), ["AE", "VAE"]) == \
        "TABLE False\n\nAE z0 ...\nVAE z0 ..."


# ---- map -----------------------------------------------------------------------------------
def test_the_own_square_of_a_2d_latent(tmp_path):
    vae = open_model(MODELS / "digits2d_vae.safetensors", with_data=False)
    assert maps.own_square(vae) == (-3.0, 3.0, -3.0, 3.0)  # the prior's
    stored = open_model(MODELS / "digits2d_ae.safetensors", with_data=False)
    square = maps.own_square(stored)  # the range of its stored codes
    codes = stored.latent_map.codes
    assert square is not None
    assert square[0] <= codes[:, 0].min() and square[1] >= codes[:, 0].max()
    bare = open_model(_small_model(tmp_path / "ae2.safetensors"), with_data=False)
    assert maps.own_square(bare) is None  # no prior, no codes: the square must be given
    mosaic = maps.manifold_mosaic(vae, (-1.0, 1.0, -1.0, 1.0), 3)
    assert mosaic.ndim >= 3 and mosaic.shape[0] == 1
    assert maps.largest_grid() >= 3


# ---- denoise -------------------------------------------------------------------------------
def test_baselines_default_to_none_or_every_one_and_take_aliases():
    assert denoise.parse_baselines(None) == ()
    assert set(denoise.parse_baselines(None, every_by_default=True)) == {"median", "nl-means"}
    assert denoise.parse_baselines("nlm, median,nl-means") == ("nl-means", "median")
    with pytest.raises(ValueError, match=r"^unknown denoiser 'blur': choose from median, "
                                         r"nl-means$"):
        denoise.parse_baselines("blur")


def test_held_out_images_are_cut_to_the_limit(ae):
    held, _ = denoise.held_out([ae], 1000)
    first, _ = denoise.held_out([ae], 1000, limit=5)
    assert len(held) > 5 and list(first) == list(held[:5])


# ---- apps and traverse ---------------------------------------------------------------------
def test_inpaint_fills_the_rectangle_asked_for_and_measures_both_fills(ae):
    from latent_atlas.explorer.core.analysis.applications import (
        masked_mse,
        mean_fill,
        rectangle_mask,
    )

    image = ae.require_data().images[0]
    filled = apps.inpaint(ae, image, None, rect=(1, 2, 3, 4), steps=2)
    mask = rectangle_mask(ae.model.image_shape, 1, 2, 3, 4)
    assert filled.pixels == 12 and filled.result.iterations >= 1
    assert np.array_equal(np.asarray(filled.result.mask).reshape(-1, *mask.shape)[0], mask)
    assert filled.model_mse == float(masked_mse(filled.result.filled_float, image, mask)[0])
    assert filled.mean_fill_mse == float(masked_mse(mean_fill(image, mask), image, mask)[0])
    assert filled.model_mse != filled.mean_fill_mse
    with pytest.raises(CommandError, match=r"^inpaint needs a rectangle or a mask picture$"):
        apps.inpaint(ae, image, None, steps=2)


def test_a_mask_picture_is_resized_to_the_image_and_its_bright_pixels_filled(ae, tmp_path):
    from latent_atlas.explorer.core.analysis.applications import masked_mse

    pic = np.zeros((16, 16), np.uint8)  # twice the model's 8 x 8: resized, nearest pixel
    pic[:8, :8] = 128  # bright: filled
    pic[8:, 8:] = 127  # not bright enough
    Image.fromarray(pic).save(tmp_path / "mask.png")
    image = ae.require_data().images[3]
    filled = apps.inpaint(ae, image, None, mask_picture=tmp_path / "mask.png", steps=2)
    want = np.zeros((8, 8), bool)
    want[:4, :4] = True
    assert filled.pixels == 16
    assert filled.model_mse == float(masked_mse(filled.result.filled_float, image, want)[0])


def test_the_panel_fills_with_the_commands_fill(ae):
    from latent_atlas.explorer.session.panels.inpaint_work import fill_hole
    from latent_atlas.explorer.session.panels.sources import PickedImage

    image = ae.require_data().images[5]
    hole = np.zeros((8, 8), bool)
    hole[2:5, 2:6] = True
    r, err, base = fill_hole(ae.model, PickedImage(image, None, "sample 5"), hole, 3)
    command = apps.inpaint(ae, image, None, rect=(2, 2, 3, 4), steps=3)
    assert np.array_equal(r.filled, command.result.filled)
    assert (err, base) == (command.model_mse, command.mean_fill_mse)


def test_anomalies_rank_every_image_by_its_reconstruction_error(ae):
    from latent_atlas.explorer.core.inference import reconstruct_float

    data = ae.require_data()
    ranking = apps.anomalies(ae, data, top=4)
    recon = reconstruct_float(ae.model, data.images[:50])
    mse = ((data.images[:50].astype(np.float32) / 255 - recon) ** 2).reshape(50, -1).mean(1)
    assert np.allclose(ranking.errors[:50], mse, rtol=1e-4, atol=1e-7)
    assert list(ranking.top) == list(np.argsort(-ranking.errors, kind="stable")[:4])
    bce = apps.anomalies(ae, data, metric="bce", top=4)
    assert not np.allclose(bce.errors, ranking.errors)


def test_the_worst_rows_are_the_worst_images_and_their_reconstructions(ae):
    from latent_atlas.explorer.core.inference import reconstruct_float, to_display

    data = ae.require_data()
    ranking = apps.anomalies(ae, data, top=3)
    worst, recon = apps.worst_rows(ae, data, ranking)
    assert np.array_equal(worst, apps.shown(data.images[ranking.top]))
    assert np.array_equal(recon, np.asarray(to_display(
        reconstruct_float(ae.model, data.images[ranking.top]))))
    assert worst.shape == recon.shape == (3, 8, 8)


def test_a_map_point_is_the_code_under_it_decoded(ae):
    from latent_atlas.explorer.core.inference import decode_float, to_display

    code, shown = apps.map_query(ae, ae.latent_map, (1.5, -2.0), None)
    assert np.array_equal(code, ae.latent_map.inverse(np.asarray((1.5, -2.0))))
    assert np.array_equal(shown, np.asarray(to_display(decode_float(ae.model, code[None]))))
    assert shown.shape == (1, 8, 8)


def test_the_nearest_sample_to_a_samples_own_code_is_itself(ae):
    data = ae.require_data()
    code, shown = apps.image_query(ae, data.images[7], None)
    hits = apps.nearest(ae, data, code, k=3)
    assert hits.indices[0] == 7 and hits.distances[0] == pytest.approx(0, abs=1e-5)
    assert 7 not in apps.nearest(ae, data, code, k=3, exclude=[7]).indices
    assert shown.shape[0] == 1


def test_a_traversal_sorts_by_kl_only_for_a_variational_model(ae):
    data = ae.require_data()
    t = traverse.traversal(ae, data, np.zeros(8, np.float32), steps=3)
    assert list(t.dims) == sorted(t.dims) and t.kl is None
    vae = open_model(MODELS / "digits2d_vae.safetensors")
    tv = traverse.traversal(vae, vae.require_data(), np.zeros(2, np.float32), steps=3)
    assert tv.kl is not None and tv.kl[tv.dims[0]] >= tv.kl[tv.dims[-1]]


def test_progression_needs_a_conditional_model(ae):
    with pytest.raises(ValueError, match=r"^a progression sweeps the condition of a "
                                         r"conditional model \(cvae, caae\); this model has "
                                         r"none$"):
        traverse.check_conditional(ae)


def test_a_direction_is_the_mean_code_of_a_minus_that_of_b_added_to_the_code(ae):
    from latent_atlas.explorer.core.inference import decode_float, encode, to_display

    data = ae.require_data()
    codes = encode(ae.model, data.images)
    want = codes[data.labels == 3].mean(0) - codes[data.labels == 8].mean(0)
    code = codes[10]
    v, row = traverse.direction(ae, data, "3:8", code, [0.0, 1.0])
    assert v.n_a == int((data.labels == 3).sum()) and v.n_b == int((data.labels == 8).sum())
    assert np.allclose(v.vector, want, atol=1e-5)
    assert len(row.images) == 2
    at = np.asarray(to_display(decode_float(ae.model, (code + v.vector)[None])))[0]
    assert np.array_equal(row.images[0], np.asarray(to_display(decode_float(ae.model,
                                                                            code[None])))[0])
    assert np.array_equal(row.images[1], at)


# ---- sweep ---------------------------------------------------------------------------------
def test_sweep_names_and_parsers():
    assert sweep.model_file_name(0.25, "vae") == "beta_0.25_vae.safetensors"
    assert sweep.model_file_name(0, "ae") == "beta_0_ae.safetensors"
    assert sweep.parse_betas("0,1") == (0.0, 1.0)
    assert sweep.parse_seeds("0,2") == (0, 2)
    with pytest.raises(ValueError, match=r"^--beta values must be numbers, not 'x'$"):
        sweep.parse_betas("x")
    # the sweep's hole fractions sample as a comparison does: the same most, above the default
    assert sweep.largest_sample() == compare.size_limits()["samples"] >= 2000


def test_a_models_folder_that_cannot_be_used_is_a_command_error(tmp_path):
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import model_path
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    data = load_data("shapes:100")
    cfg = make_config(data, kind="vae", arch="mlp", latent_dim=2, hidden=(8,), epochs=1)
    path = model_path(tmp_path, 1.0, 0, "vae")
    path.parent.mkdir(parents=True)
    from latent_atlas.models.checkpoint import save_model

    save_model(path, train.new_model(cfg.replace(latent_dim=3)), data_spec=data.spec)
    with pytest.raises(CommandError, match="move it away or choose another --models folder"
                       ) as caught:
        list(sweep.seed_sweep(cfg, data, (1.0,), (0,), models_dir=tmp_path, device="cpu"))
    assert type(caught.value) is CommandError  # the folder's error, as the command's


def test_the_sweep_table_and_plot_follow_the_kind_of_result(monkeypatch, tmp_path):
    from latent_atlas.explorer.core.analysis.comparison import sweep as one_seed
    from latent_atlas.explorer.core.analysis.comparison import sweep_plot
    from latent_atlas.explorer.core.analysis.disentangle import beta_seeds, beta_seeds_plot

    calls = []
    monkeypatch.setattr(one_seed, "format_sweep_table", lambda r, markdown: f"one {markdown}")
    monkeypatch.setattr(beta_seeds, "format_beta_seed_table",
                        lambda r, markdown: f"seeds {markdown}")
    monkeypatch.setattr(sweep_plot, "save_sweep_plot", lambda r, out: calls.append(("one", out)))
    monkeypatch.setattr(beta_seeds_plot, "save_beta_seeds_plot",
                        lambda r, out: calls.append(("seeds", out)))
    over_seeds = object.__new__(beta_seeds.BetaSeedResult)
    single = object.__new__(one_seed.SweepResult)
    assert sweep.table(over_seeds, markdown=True) == "seeds True"
    assert sweep.table(single) == "one False"
    sweep.save_plot(over_seeds, tmp_path / "a.png")
    sweep.save_plot(single, tmp_path / "b.png")
    assert calls == [("seeds", tmp_path / "a.png"), ("one", tmp_path / "b.png")]
