"""`latent-atlas data SPEC`: load a data source and describe it."""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

_MAX_CLASSES_SHOWN = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="load a data spec and print what it holds",
                       description="Load a data spec (digits, shapes[:N], mnist[:DIR], "
                                   "fashion-mnist[:DIR], kmnist[:DIR], idx:DIR, folder:DIR, "
                                   "npz:FILE, npy:FILE) and describe it. Options can be "
                                   "written in the spec (folder:faces?size=64&channels=3) "
                                   "or given as flags.")
    p.add_argument("spec", help="data spec, e.g. digits, shapes:5000, mnist:DIR")
    p.add_argument("--split", choices=["train", "test", "all"], default=None)
    p.add_argument("--limit", type=int, default=None, help="keep at most N images")
    p.add_argument("--seed", type=int, default=None, help="shuffle (shapes: generate) with seed")
    p.add_argument("--size", type=int, default=None, help="square image side in pixels")
    p.add_argument("--channels", default=None, help="1 (gray) or 3 (RGB)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run_data)


def _tqdm_progress():
    """A download progress callback drawing one tqdm bar per file on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def report(name: str, done: int, total: int | None) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(total=total, unit="B", unit_scale=True, desc=name,
                                    file=sys.stderr, leave=True, dynamic_ncols=True)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    return report


def summarise(data) -> dict:
    """A JSON-friendly description of an ImageSet."""
    c, h, w = data.shape
    classes = []
    if data.labels is not None:
        counts = np.bincount(data.labels, minlength=len(data.label_names))
        classes = [{"label": int(i), "name": data.label_name(int(i)), "count": int(k)}
                   for i, k in enumerate(counts) if k]
    factors = {name: {"min": float(np.min(col)), "max": float(np.max(col)),
                      "dtype": str(col.dtype)} for name, col in data.factors.items()}
    return {"spec": data.spec, "count": len(data), "shape": [c, h, w], "channels": c,
            "dtype": str(data.images.dtype), "classes": classes, "factors": factors,
            "memory_bytes": int(data.nbytes), "notes": list(data.notes)}


def run_data(args: argparse.Namespace) -> int:
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.data.download import download_progress

    start = time.perf_counter()
    with download_progress(_tqdm_progress()):
        data = load_data(args.spec, split=args.split, limit=args.limit, seed=args.seed,
                         size=args.size, channels=args.channels)
    elapsed = time.perf_counter() - start
    info = summarise(data)
    if args.json:
        info["load_seconds"] = round(elapsed, 3)
        print(json.dumps(info, indent=2))
        return 0
    c, h, w = info["shape"]
    print(f"spec:      {info['spec']}")
    print(f"images:    {info['count']:,} x {c}x{h}x{w} ({'RGB' if c == 3 else 'gray'}), "
          f"{info['dtype']}")
    if info["classes"]:
        print(f"labels:    {len(info['classes'])} classes")
        width = max(len(k["name"]) for k in info["classes"])
        for k in info["classes"][:_MAX_CLASSES_SHOWN]:
            print(f"  {k['label']:>4}  {k['name']:<{width}}  {k['count']:>8,}")
        if len(info["classes"]) > _MAX_CLASSES_SHOWN:
            print(f"  ... and {len(info['classes']) - _MAX_CLASSES_SHOWN} more")
    else:
        print("labels:    none")
    if info["factors"]:
        print("factors:   " + ", ".join(f"{name} ({f['min']:.3g} to {f['max']:.3g})"
                                        for name, f in info["factors"].items()))
    else:
        print("factors:   none")
    print(f"memory:    {info['memory_bytes'] / 2**20:.1f} MB")
    print(f"loaded in: {elapsed:.2f} s")
    for note in info["notes"]:
        print(f"note:      {note}")
    return 0
