"""`latent-atlas denoise`: one sample (or picture) corrupted, reconstructed by the model and
cleaned by the classic denoisers; or, with `--sweep`, the same over a range of noise
levels on the held-out images, as a table, JSON and a PSNR-against-noise PNG."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import UserError, check_output, fraction_in, json_safe, model_name

NOISE_CHOICES = ["gaussian", "masking", "salt-and-pepper"]
DEFAULT_SWEEP = "0.1,0.2,0.3,0.4,0.5,0.6"


def register(sub: argparse._SubParsersAction) -> None:
    from .app_steps import common, source

    p = sub.add_parser("denoise", help="corrupt a sample, reconstruct it, print the error numbers "
                       "(beside median and NL-means with --baselines; over noise levels with --sweep)")
    common(p, False)
    source(p, required=False)
    p.add_argument("--noise", default="gaussian", choices=NOISE_CHOICES)
    p.add_argument("--level", type=fraction_in(0.0, 1.0, "noise level"), default=None,
                   help="Gaussian sigma (0..1 pixel scale) or fraction of pixels hit (0..1)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--label", type=int, default=None, help="conditional VAE: class of --image")
    p.add_argument("--baselines", default=None, metavar="NAMES",
                   help="classic denoisers on the same noisy input: median,nl-means")
    p.add_argument("--sweep", action="store_true",
                   help="run over noise levels on the held-out images (the trainer's validation "
                        "split): a table, and a PSNR plot with --out")
    p.add_argument("--levels", default=DEFAULT_SWEEP,
                   help=f"--sweep: noise levels (default {DEFAULT_SWEEP})")
    p.add_argument("--compare-with", default=None, metavar="FILE",
                   help="--sweep: a second model (say the plain AE beside the DAE)")
    p.add_argument("--limit", type=int, default=None,
                   help="--sweep: use at most N held-out images (default all)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.set_defaults(handler=run_denoise)


def _levels(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise UserError(f"--levels must be numbers separated by commas, not '{text}'") from None
    outside = [v for v in values if v == v and not 0.0 <= v <= 1.0]
    if outside:  # NaN is left to the core check, which names the noise's own scale
        raise UserError(f"--levels must lie from 0 to 1 (Gaussian sigma on the 0..1 pixel "
                        f"scale, or the fraction of pixels hit), not {outside[0]:g}")
    return values


def run_denoise(args: argparse.Namespace) -> int:
    from . import app_steps as steps

    if args.sweep:
        return run_sweep(args)
    if args.index is None and args.image is None:
        raise UserError("give --index I or --image PATH (or --sweep for the held-out images)")
    if args.level is None:
        raise UserError("give the noise --level (Gaussian sigma, or fraction of pixels hit)")
    if args.compare_with is not None:
        raise UserError("--compare-with goes with --sweep")
    out = steps.check_out(args)
    from latent_atlas.explorer.session.commands import denoise

    baselines = denoise.parse_baselines(args.baselines)
    loaded, data = steps.load(args)
    img, y, where = steps.query_image(args, loaded, data)
    r = denoise.denoise(loaded, img, y, noise=args.noise, level=args.level, seed=args.seed,
                        baselines=baselines)
    s = r.summary()
    if args.json:
        print(json.dumps(json_safe({"source": where, "noise": r.noise, "level": r.level,
                                     "seed": r.seed, "model": Path(args.file).name,
                                     "kind": loaded.model.kind, **s}), indent=2))
    else:
        print(f"Denoising {where} ({args.noise} noise, level {args.level:g}, seed {args.seed}) "
              f"with {Path(args.file).name} ({loaded.model.kind}):")
        rows = [("noisy vs clean", "noisy"), ("reconstruction vs clean", "recon")]
        rows += [(f"{name} vs clean", name) for name in r.baselines]
        for title, key in rows:
            print(f"  {title + ':':<24} MSE {s[key + '_mse']:.5f}  PSNR {s[key + '_psnr']:.2f} dB"
                  f"  SSIM {s[key + '_ssim']:.3f}")
    if out is not None:
        _write_labelled(out, r, s, where, Path(args.file).name, args.scale)
    return 0


def _write_labelled(out: Path, r, s: dict, where: str, model: str, scale: int | None) -> None:
    """The denoise picture with a label on each row (what it is, with PSNR and SSIM against
    the clean image) and the sample above its column."""
    from latent_atlas.explorer.core.io.exports import export_labelled_png, readable_scale

    def score(key: str) -> str:
        return f"PSNR {s[key + '_psnr']:.1f} dB, SSIM {s[key + '_ssim']:.2f}"

    labels = ["clean", f"noisy ({r.noise} {r.level:g}): {score('noisy')}",
              f"reconstruction ({model}): {score('recon')}"]
    labels += [f"{name}: {score(name)}" for name in r.baselines]
    rows = r.display_rows()
    if scale is None:
        scale = readable_scale(*rows[0].shape[1:3])
    export_labelled_png(out, rows, labels, [where], scale=scale)
    print(f"Wrote {out}", file=sys.stderr)


def run_sweep(args: argparse.Namespace) -> int:
    from . import app_steps as steps

    if args.index is not None or args.image is not None:
        raise UserError("--sweep runs on the held-out images; leave out --index / --image")
    if args.level is not None:
        raise UserError("--sweep takes --levels (several), not --level")
    if args.limit is not None and args.limit < 2:
        raise UserError(f"--limit must be at least 2, not {args.limit}")
    out = None
    if args.out is not None:
        inputs = (args.file, args.compare_with)
        out = check_output(args.out, (".png",), inputs=tuple(i for i in inputs if i))
    levels = _levels(args.levels)
    from latent_atlas.explorer.session.commands import denoise

    denoise.check_levels(levels, args.noise)
    baselines = denoise.parse_baselines(args.baselines, every_by_default=True)
    from latent_atlas.explorer.core.progress import drain
    from latent_atlas.explorer.session.opening import check_shape, open_model

    loaded, data = steps.load(args)
    if loaded.model.n_cond:
        raise UserError("the sweep takes unconditional models; a conditional VAE needs labels")
    models = [(args.file, loaded)]
    if args.compare_with is not None:
        other = open_model(args.compare_with, with_data=False, data=getattr(args, "data", None))
        check_shape(data, other.model.image_shape, other.name)
        if other.model.n_cond:
            raise UserError("the sweep takes unconditional models; a conditional VAE needs labels")
        models.append((args.compare_with, other))
    held, notes = denoise.held_out([m for _, m in models], len(data), args.limit)
    taken: set[str] = set()
    named = [(model_name(path, m.model.kind, taken), m.model) for path, m in models]

    def on_progress(event) -> None:
        if not args.json:
            print(f"\r  {event.message:<40}", end="", file=sys.stderr, flush=True)

    result = drain(denoise.sweep(named, data.images[held], levels, noise=args.noise,
                                 baselines=baselines, seed=args.seed), on_progress)
    if not args.json:
        print(file=sys.stderr)
    if args.json:
        doc = result.to_dict()
        doc["models"] = {name: Path(path).name for (name, _), (path, _) in
                         zip(named, models, strict=True)}
        doc["data"] = data.spec
        doc["notes"] = notes
        print(json.dumps(json_safe(doc), indent=2))
    else:
        what = ", ".join(f"{name} = {Path(path).name}" for (name, _), (path, _) in
                         zip(named, models, strict=True))
        print(f"Denoising sweep ({result.noise} noise, seed {result.seed}) on {result.n_images} "
              f"held-out images of {data.spec}; {what}. PSNR from the mean MSE, mean SSIM:")
        for note in notes:
            print(f"  note: {note}")
        for line in result.table_lines():
            print("  " + line)
        wins = [result.best_at(k) for k in range(len(result.levels))]
        print("  best PSNR: " + ", ".join(f"{lv:g} {w}" for lv, w in
                                            zip(result.levels, wins, strict=True)))
    if out is not None:
        from latent_atlas.explorer.core.io.plots import Line, line_chart_png, save_png

        lines = [Line(m, result.levels, result.psnr[m]) for m in result.methods if m != "noisy"]
        lines.append(Line("noisy input", result.levels, result.psnr["noisy"], muted=True))
        unit = "sigma" if result.noise == "gaussian" else "fraction of pixels"
        save_png(out, line_chart_png(lines, title=f"PSNR against {result.noise} noise "
                                     f"({result.n_images} held-out images of {data.spec})",
                                     x_label=f"noise level ({unit})", y_label="PSNR (dB)"))
        print(f"Wrote {out}", file=sys.stderr)
    return 0
