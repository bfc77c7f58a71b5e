"""Upsampling choices on MNIST: reconstruction and the compare metrics of each decoder.

For every upsampling choice of the conv decoder (transposed conv, nearest and bilinear
resize + conv, bed of nails + conv, max-unpooling + conv with a max-pooling encoder) this
trains an AE and a VAE with `latent-atlas train-pair` (same data, latent size, epochs and
seed) and measures them with `latent-atlas compare --json`; it prints the exact commands
and then the markdown tables (per model: reconstruction, holes under each judge, path
length, checkerboard ratios with intervals, both probes; per pair: the paired AE − VAE
differences, McNemar's p of the probes and the judges' floors; definitions in
docs/metrics.md).

    python benchmarks/upsampling_table.py [--epochs 1] [--latent-dim 16] [--seed 0]
        [--data mnist:../shared/data/mnist] [--choices transpose,nearest,...] [--jobs 1]
        [--keep DIR [--reuse]]

`--jobs N` runs N choices at once (each train-pair and compare in its own process); the
numbers do not change. With `--keep DIR --reuse`, model files and compare results already
in DIR (from the same commands) are used instead of being made again.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHOICES = {  # upsampling -> the downsampling it is measured with
    "transpose": "stride", "nearest": "stride", "bilinear": "stride",
    "bed-of-nails": "stride", "max-unpool": "max",
}


def _cli() -> list[str]:
    exe = shutil.which("latent-atlas")
    return [exe] if exe else [sys.executable, "-m", "latent_atlas.explorer.cli"]


def _shown(cmd: list[str], folder: Path) -> str:
    """The command as a user types it: `latent-atlas`, files relative to the output folder."""
    return " ".join(["latent-atlas"] + [a.replace(f"{folder}/", "") for a in cmd[len(_cli()):]])


def commands(up: str, args: argparse.Namespace, folder: Path) -> tuple[list[str], list[str]]:
    """The train-pair and compare commands of one upsampling choice."""
    prefix = folder / f"up_{up}"
    train = _cli() + ["train-pair", "--data", args.data, "--latent-dim", str(args.latent_dim),
                      "--epochs", str(args.epochs), "--seed", str(args.seed), "--upsample", up,
                      "--downsample", CHOICES[up], "--out", str(prefix), "--quiet"]
    compare = _cli() + ["compare", f"{prefix}_ae.safetensors", f"{prefix}_vae.safetensors",
                        "--seed", str(args.seed), "--json", "--quiet"]
    return train, compare


def run_choice(up: str, args: argparse.Namespace, folder: Path) -> dict:
    """Train the pair (unless reused) and measure it; the compare result as a dict."""
    train, compare = commands(up, args, folder)
    prefix = folder / f"up_{up}"
    cached = prefix.with_name(prefix.name + "_compare.json")
    have_models = all(prefix.with_name(f"{prefix.name}_{k}.safetensors").exists()
                      for k in ("ae", "vae"))
    if not (args.reuse and have_models):
        subprocess.run(train, check=True, cwd=ROOT)
        cached.unlink(missing_ok=True)
    if not (args.reuse and cached.exists()):
        out = subprocess.run(compare, check=True, cwd=ROOT, capture_output=True, text=True)
        cached.write_text(out.stdout)
    print(f"{up}: measured", file=sys.stderr, flush=True)
    return json.loads(cached.read_text())


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def _cell(m: dict, group: str, key: str, judge: str) -> str:
    """A judged fraction of the compare JSON with its 95 % interval, or '—'."""
    c = (m.get("reconstruction", {}).get(judge) if group == "reconstruction"
         else m.get(group, {}).get(key, {}).get(judge))
    if c is None:
        return "—"
    return f"{_pct(c['fraction'])} [{_pct(c['low'])}, {_pct(c['high'])}]"


def _probe(m: dict, share: str, clf: str) -> str:
    c = m.get("probe", {}).get(share, {}).get(clf)
    return "—" if c is None else _pct(c["accuracy"])


def _checker(m: dict, key: str) -> str:
    """The checkerboard ratio with its 95 % interval, or the bare ratio."""
    c = m.get("checker", {}).get(key)
    if not c:
        return _num(m.get(f"checker_{key}"), ".2f")
    return f"{c['ratio']:.2f} [{c['low']:.2f}, {c['high']:.2f}]"


PAIRED = (  # (measure in the compare JSON's differences, judge, column title)
    ("holes/own", "pixel", "own prior (pixel)"),
    ("holes/own", "classifier", "own prior (classifier)"),
    ("holes/gmm", "classifier", "GMM (classifier)"),
    ("between/same_label", "classifier", "between, same label (classifier)"),
    ("reconstruction", "classifier", "reconstructions (classifier)"),
)


def _paired(doc: dict, measure: str, judge: str) -> str:
    """AE − VAE in points with its paired 95 % interval and the verdict (Holm-adjusted)."""
    for rec in doc.get("differences", []):
        if rec["measure"] == measure and rec["judge"] == judge:
            d, lo, hi = (100 * rec[k] for k in ("difference", "low", "high"))
            return f"{d:+.1f} [{lo:+.1f}, {hi:+.1f}] {rec['verdict']}"
    return "—"


def _probe_test(doc: dict, share: str, clf: str) -> str:
    """The paired (McNemar) AE − VAE difference of a probe: points, verdict, Holm p."""
    for rec in doc.get("differences", []):
        if rec["measure"] == f"probe/{share}/{clf}":
            return (f"{100 * rec['difference']:+.1f}, {rec['verdict']} "
                    f"(p {rec['p_holm']:.2g})")
    return "—"


def markdown(rows: list[tuple[str, dict]]) -> str:
    """Three tables. Per model: reconstruction error, holes under the own prior (pixel and
    classifier judges) and under a GMM fitted to the codes, holes between codes of one
    label and the reconstructions the classifier already fails, each with its 95 %
    interval. Per pair: the paired AE − VAE difference of those rows with its interval and
    verdict (`compare`'s paired tests, Holm-adjusted over its table). Per model again: path
    length, the checkerboard ratios and the probe accuracies with the pair's paired
    difference (McNemar's test, Holm-adjusted over the compare's table)."""
    gaps = ["| upsample (downsample) | model | recon MSE | holes, own prior (pixel) "
            "| holes, own prior (classifier) | holes, GMM (classifier) "
            "| between, same label (classifier) | reconstructions failing the classifier |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    paired = ["| upsample (downsample) | " + " | ".join(t for _, _, t in PAIRED) + " |",
              "|---|" + "---:|" * len(PAIRED)]
    other = ["| upsample (downsample) | model | path length | checkerboard, reconstructions "
             "| checkerboard, own prior | checkerboard, N(0, I) | probe, logistic "
             "| probe, k-NN | probe, k-NN, 10 % labels |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for up, doc in rows:
        name = f"{up} ({CHOICES[up]})"
        paired.append(f"| {name} | "
                      + " | ".join(_paired(doc, m, j) for m, j, _ in PAIRED) + " |")
        for m in doc["models"]:
            head = f"| {name} | {m['kind'].upper()} | "
            gaps.append(
                head + f"{_num(m['recon_mse'], '.4f')} | {_cell(m, 'holes', 'own', 'pixel')} | "
                f"{_cell(m, 'holes', 'own', 'classifier')} | "
                f"{_cell(m, 'holes', 'gmm', 'classifier')} | "
                f"{_cell(m, 'between', 'same_label', 'classifier')} | "
                f"{_cell(m, 'reconstruction', '', 'classifier')} |")
            other.append(
                head + f"{_num(m['path_length'], '.3f')} | {_checker(m, 'recon')} | "
                f"{_checker(m, 'prior')} | "
                f"{_num(m.get('checker_standard_normal'), '.2f')} | "
                f"{_probe(m, '100%', 'logistic')} | {_probe(m, '100%', 'knn')} | "
                f"{_probe(m, '10%', 'knn')} |")
        other.append(f"| {name} | AE − VAE (McNemar, Holm) | | | | | "
                     f"{_probe_test(doc, '100%', 'logistic')} | {_probe_test(doc, '100%', 'knn')} | "
                     f"{_probe_test(doc, '10%', 'knn')} |")
    thresholds = ", ".join(f"{up} {doc['hole_threshold']:.3f}" for up, doc in rows)
    floors = "; ".join(
        f"{up} " + ", ".join(f"{j} {_pct(f['fraction'])} [{_pct(f['low'])}, {_pct(f['high'])}]"
                             for j, f in sorted(doc.get("judge_floors", {}).items()))
        for up, doc in rows)
    return ("\n".join(gaps) + f"\n\nPixel hole thresholds (pooled per pair): {thresholds}.\n\n"
            f"Judges' floors (hole rate of real held-out images): {floors}.\n\n"
            "AE − VAE, paired (points; 95 % paired-bootstrap interval; verdict from the "
            "Holm-adjusted paired test over each compare's table, 'same' = within the "
            "equivalence margin):\n\n" + "\n".join(paired) + "\n\n" + "\n".join(other))


def add_far_checkerboard(rows: list[tuple[str, dict]], folder: Path, spec: str,
                         seed: int, n: int = 2000) -> None:
    """Add `checker_standard_normal` to each model of the compare documents: the
    checkerboard ratio (docs/metrics.md) of decodes of n N(0, I) samples, which lie far
    from an AE's codes (a VAE's prior)."""
    import numpy as np

    from latent_atlas.explorer.core.analysis.claims.checkerboard import checkerboard_ratio
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import (
        SwitchReference,
        decode_float,
        encode,
        needs_switches,
    )
    from latent_atlas.models.checkpoint import load_model

    data = load_data(spec)
    for up, doc in rows:
        for m in doc["models"]:
            model = load_model(folder / f"up_{up}_{m['kind']}.safetensors").model
            held, _ = held_out_indices(len(data.images), [int(model.config.seed)])
            ref = None
            if needs_switches(model):
                train = np.setdiff1d(np.arange(len(data.images)), held)
                ref = SwitchReference(data.images[train], encode(model, data.images[train]))
            z = np.random.default_rng(seed).standard_normal((n, model.latent_dim))
            decoded = decode_float(model, z.astype(np.float32), reference=ref)
            m["checker_standard_normal"] = checkerboard_ratio(decoded, data.images[held])


def figure(choices: list[str], folder: Path, spec: str, seed: int, out: Path) -> None:
    """One row per model: 4 held-out originals, their reconstructions, then 8 decodes of
    samples from the model's own prior (a max-unpool model borrows the switches of the
    nearest training image, as everywhere in the app)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
    from latent_atlas.explorer.core.analysis.gaps.samplers import make_samplers
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.inference import (
        SwitchReference,
        decode_float,
        encode,
        needs_switches,
    )
    from latent_atlas.explorer.core.io.blend import stack_rows, tile_row
    from latent_atlas.models.checkpoint import load_model

    data = load_data(spec)
    rows, names = [], []
    for up in choices:
        for kind in ("ae", "vae"):
            model = load_model(folder / f"up_{up}_{kind}.safetensors").model
            held, _ = held_out_indices(len(data.images), [int(model.config.seed)])
            train = np.setdiff1d(np.arange(len(data.images)), held)
            codes = encode(model, data.images)
            ref = (SwitchReference(data.images[train], codes[train])
                   if needs_switches(model) else None)
            show = held[:4]
            recon = decode_float(model, codes[show], switch_images=data.images[show])
            z = make_samplers(model, codes[train], seed=seed)["own"].sample(8, seed)
            prior = decode_float(model, z, reference=ref)
            cells = np.concatenate([data.images[show] / 255.0, recon, prior])
            rows.append(tile_row((np.clip(cells, 0, 1) * 255).round().astype(np.uint8)
                                 .transpose(0, 2, 3, 1).squeeze(-1), gap=2, fill=255))
            names.append(f"{up} ({CHOICES[up]}), {kind.upper()}")
    grid = stack_rows(rows, gap=2, fill=255)
    h = grid.shape[0]
    fig, ax = plt.subplots(figsize=(grid.shape[1] / 40 + 2.6, h / 40 + 0.6), dpi=100)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    step = h / len(rows)
    ax.set_yticks([step * (i + 0.5) for i in range(len(rows))], names)
    cell = grid.shape[1] / 16
    ax.set_xticks([cell * 2, cell * 6, cell * 12], ["held-out", "reconstructed",
                                                    "own prior samples"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {out}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=f"mnist:{ROOT.parent / 'shared' / 'data' / 'mnist'}")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--latent-dim", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--choices", default=",".join(CHOICES))
    ap.add_argument("--jobs", type=int, default=1, help="choices run at once")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: use model files and compare results already there")
    ap.add_argument("--keep", default=None, help="keep the model files in this folder")
    ap.add_argument("--figure", default=None, metavar="PNG",
                    help="also draw originals, reconstructions and prior samples per model")
    args = ap.parse_args()
    choices = [c.strip() for c in args.choices.split(",") if c.strip()]
    unknown = set(choices) - set(CHOICES)
    if unknown:
        ap.error(f"unknown choice(s): {', '.join(sorted(unknown))}")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="upsampling_"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.reuse and not args.keep:
        ap.error("--reuse needs --keep DIR")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        docs = list(pool.map(lambda up: run_choice(up, args, folder), choices))
    rows = list(zip(choices, docs, strict=True))
    add_far_checkerboard(rows, folder, args.data, args.seed)
    shown = [_shown(cmd, folder) for up in choices for cmd in commands(up, args, folder)]
    print("```bash")
    print("\n".join(shown))
    print("```\n")
    print(markdown(rows))
    if args.figure:
        figure(choices, folder, args.data, args.seed, Path(args.figure))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
