"""`latent-atlas export`: a model's map for other embedding viewers (TensorBoard's
Embedding Projector, or a Parquet table for Embedding Atlas, Latent Scope, pandas...)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import UserError, check_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model's codes, map, labels, errors and images "
                                      "for TensorBoard's projector or as Parquet")
    p.add_argument("file", help="model file with a map (see `latent-atlas project`)")
    p.add_argument("--format", required=True, choices=["projector", "parquet", "onnx"],
                   help="projector: a folder for `tensorboard --logdir`; parquet: one table "
                        "(needs pyarrow: pip install -e \".[interop]\" in the clone, or pip install "
                        "pyarrow); onnx: the model itself as encoder.onnx + decoder.onnx in a "
                        "folder, opened again by any command or the window (needs onnx and "
                        "onnxruntime: pip install 'latent-atlas[onnx]')")
    p.add_argument("--out", required=True,
                   help="output folder (projector, onnx) or .parquet file")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--no-data", action="store_true",
                   help="codes, positions and stored labels only: no images, no errors")
    p.add_argument("--no-images", action="store_true", help="leave the pictures out")
    p.set_defaults(handler=run_export)


def _check_folder(path: str) -> Path:
    from latent_atlas.explorer.session.commands.outputs import check_folder

    return check_folder(path, probe="tensors.tsv", what="the projector export", error=UserError)


def run_export(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.core.io.interop import (
        PARQUET_HINT,
        EmbeddingTable,
        parquet_available,
    )

    if args.format == "onnx":
        return _run_onnx(args)
    if args.format == "parquet":
        if not parquet_available():
            raise UserError(f"--format parquet needs pyarrow: {PARQUET_HINT}")
        out = check_output(args.out, (".parquet",), inputs=(args.file,))
    else:
        out = _check_folder(args.out)
    import numpy as np

    from latent_atlas.explorer.session.opening import read_model

    stored = read_model(args.file)
    latent_map = stored.latent_map
    if latent_map is None:
        raise UserError(f"{Path(args.file).name} has no map yet; run "
                        f"`latent-atlas project {args.file}` first")
    n = latent_map.n_points
    labels = stored.labels
    labels = labels if labels is not None and len(labels) == n else None
    names = stored.label_names
    images = errors = None
    if not args.no_data:
        data, errors = _data_and_errors(args, stored, n)
        labels = data.labels if data.labels is not None else labels
        names = list(data.label_names) or names
        images = None if args.no_images else data.images
    table = EmbeddingTable(codes=latent_map.codes, positions=latent_map.positions,
                           labels=None if labels is None else np.asarray(labels),
                           label_names=names, errors=errors, images=images,
                           name=Path(args.file).stem)
    if args.format == "parquet":
        from latent_atlas.explorer.core.io.interop import export_parquet

        export_parquet(out, table)
        print(f"Wrote {len(table):,} rows to {out}", file=sys.stderr)
    else:
        from latent_atlas.explorer.core.io.interop import export_projector

        files = export_projector(out, table)
        print(f"Wrote {', '.join(p.name for p in files)} ({len(table):,} points) to {out}; "
              f"open it with: tensorboard --logdir {out}", file=sys.stderr)
    return 0


def _data_and_errors(args: argparse.Namespace, stored, n: int):
    """The model's data (its images must be the map's points) and each one's error."""
    from latent_atlas.explorer.session.commands.export import reconstruction_errors
    from latent_atlas.explorer.session.opening import OpenError, data_spec_for, open_data

    try:
        spec = data_spec_for(stored, args.data)
    except OpenError as exc:
        raise UserError(f"{exc} (or --no-data)") from None
    data = open_data(spec, stored.config.input_shape, model_name=stored.name,
                     from_file=not args.data)
    if len(data) != n:
        raise UserError(f"the map has {n:,} points but {data.spec} has {len(data):,} images; "
                        "give the data the map was made of (--data), or --no-data")
    return data, reconstruction_errors(stored, data)


def _run_onnx(args: argparse.Namespace) -> int:
    """The model as an ONNX pair, checked by decoding the same codes both ways."""
    from latent_atlas.explorer.session.opening import open_model
    from latent_atlas.explorer.session.user_model import export_onnx

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; the ONNX export writes a folder")
    opened = open_model(args.file, with_data=False, data=args.data)
    files, gap = export_onnx(opened, out)
    print(f"Wrote {', '.join(p.name for p in files)} to {out}; decodes match within "
          f"{gap:.1e}; open it with: latent-atlas {out}", file=sys.stderr)
    return 0
