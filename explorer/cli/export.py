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
    p.add_argument("--format", required=True, choices=["projector", "parquet"],
                   help="projector: a folder for `tensorboard --logdir`; parquet: one table "
                        "(needs pyarrow: pip install -e \".[interop]\" in the clone, or pip install "
                        "pyarrow)")
    p.add_argument("--out", required=True,
                   help="output folder (projector) or .parquet file")
    p.add_argument("--data", default=None,
                   help="data spec (default: the data the model was trained on)")
    p.add_argument("--no-data", action="store_true",
                   help="codes, positions and stored labels only: no images, no errors")
    p.add_argument("--no-images", action="store_true", help="leave the pictures out")
    p.set_defaults(handler=run_export)


def _check_folder(path: str) -> Path:
    from latent_atlas.models.files import writable_output

    out = Path(path)
    if out.exists():
        if not out.is_dir():
            raise UserError(f"--out {out} is a file; the projector export writes a folder")
        writable_output(out / "tensors.tsv", UserError)
    else:
        writable_output(out, UserError)
    return out


def run_export(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.core.io.interop import (
        PARQUET_HINT,
        EmbeddingTable,
        parquet_available,
    )

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
    from latent_atlas.explorer.core.analysis.applications import reconstruction_errors
    from latent_atlas.explorer.session.opening import (
        OpenError,
        build_model,
        data_spec_for,
        open_data,
    )

    try:
        spec = data_spec_for(stored, args.data)
    except OpenError as exc:
        raise UserError(f"{exc} (or --no-data)") from None
    data = open_data(spec, stored.config.input_shape, model_name=stored.name,
                     from_file=not args.data)
    if len(data) != n:
        raise UserError(f"the map has {n:,} points but {data.spec} has {len(data):,} images; "
                        "give the data the map was made of (--data), or --no-data")
    model = build_model(stored)
    labels = data.labels if model.config.is_conditional else None
    return data, reconstruction_errors(model, data.images, labels=labels)
