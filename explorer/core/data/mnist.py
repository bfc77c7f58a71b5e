"""`mnist[:DIR]`, `fashion-mnist[:DIR]`, `kmnist[:DIR]`: the MNIST family of IDX files.

With DIR the files are read from there (gzip or raw; a folder holding only one split is
used as it is, with a note). Without DIR they are read from the user's cache folder and
downloaded there first if missing (progress report, md5 check, atomic rename).

Mirrors can be replaced with LATENT_ATLAS_MNIST_MIRROR (a base URL; `{name}` in it becomes
the dataset name), and the cache folder with LATENT_ATLAS_CACHE.
Options: split (default all), limit, seed, size, channels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .base import DataError, DataSpec, ImageSet, source
from .download import DownloadError, download_file
from .idx import find_idx_sets, load_splits, resolve_split
from .options import (
    canonical,
    channels_option,
    effective_limit,
    existing_path,
    finish,
    limit_option,
    normalise_options,
    seed_option,
    size_option,
    split_option,
)

MIRROR_ENV = "LATENT_ATLAS_MNIST_MIRROR"
CACHE_ENV = "LATENT_ATLAS_CACHE"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    label_names: tuple[str, ...]
    mirrors: tuple[str, ...]
    md5: dict[str, str]  # published checksums of the .gz files


FAMILIES = {
    "mnist": Family(
        "mnist", "MNIST", tuple(str(i) for i in range(10)),
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/",
         "http://yann.lecun.com/exdb/mnist/"),
        {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion-mnist": Family(
        "fashion-mnist", "Fashion-MNIST",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"),
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
    "kmnist": Family(
        "kmnist", "Kuzushiji-MNIST",
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        {"train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
         "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
         "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
         "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134"}),
}


def cache_dir(name: str) -> Path:
    """Where downloads of dataset `name` live: the user cache folder, or $LATENT_ATLAS_CACHE."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("latent-atlas", appauthor=False)
    return Path(root) / name


def mirrors(family: Family) -> list[str]:
    override = os.environ.get(MIRROR_ENV)
    if override:
        return [override.replace("{name}", family.name)]
    return list(family.mirrors)


def _expected(splits) -> dict[str, str]:
    return {s: " and ".join(FILES[s]) + " (gzip or raw)" for s in splits}


def ensure_downloaded(family: Family, splits: list[str], folder: Path, progress=None) -> None:
    """Download the files of `splits` that `folder` lacks; DataError says what to do offline."""
    # A raw (gunzipped) copy counts as present too.
    missing = [f for s in splits for f in FILES[s]
               if not (folder / f).is_file() and not (folder / f.removesuffix(".gz")).is_file()]
    if not missing:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the cache folder {folder} ({exc.strerror or exc}); "
                        f"give a folder instead: {family.name}:DIR") from None
    if not os.access(folder, os.W_OK):
        raise DataError(f"cannot write to the cache folder {folder}; give a folder instead: "
                        f"{family.name}:DIR")
    for filename in missing:
        try:
            download_file([base.rstrip("/") + "/" + filename for base in mirrors(family)],
                          folder / filename, family.md5.get(filename), progress)
        except DownloadError as exc:
            raise DownloadError(
                f"cannot get {family.title}: {exc}. Put {', '.join(missing)} "
                f"into {folder}, or name a folder that has them: {family.name}:DIR") from None


OPTIONS = ("split", "limit", "seed", "size", "channels")


@source(*FAMILIES, options=OPTIONS)
def load_mnist_family(spec: DataSpec) -> ImageSet:
    family = FAMILIES[spec.name]
    spec = normalise_options(spec, OPTIONS)
    split, limit, seed = split_option(spec), limit_option(spec), seed_option(spec)
    size, channels = size_option(spec, None), channels_option(spec, None)
    if spec.arg:
        folder = existing_path(spec.arg, "dir", family.name)
        if not folder.is_dir():
            raise DataError(f"{folder} is a file; {family.name}:DIR takes the folder holding "
                            "the IDX files")
    else:
        folder = cache_dir(family.name)
        ensure_downloaded(family, ["train", "test"] if split == "all" else [split], folder)
    sets = find_idx_sets(folder)
    idx_set = sets.get("") or (next(iter(sets.values())) if len(sets) == 1 else None)
    if idx_set is None or not (idx_set.splits.keys() & {"train", "test"}):
        files = ", ".join(f for pair in FILES.values() for f in pair)
        raise DataError(f"no {family.title} files in {folder}: expected {files} "
                        "(gzip or raw)")
    available = [s for s in ("train", "test") if s in idx_set.splits]
    splits, resolved, note = resolve_split(available, split, folder, _expected(FILES))
    images, labels = load_splits(idx_set, splits, require_labels=True)
    if labels is not None and len(labels) and labels.max() >= len(family.label_names):
        raise DataError(f"labels in {folder} go up to {labels.max()}, but {family.title} has "
                        f"{len(family.label_names)} classes; for another IDX data set use idx:DIR")
    result = ImageSet(images=images, labels=labels, label_names=list(family.label_names),
                      notes=[note] if note else [])
    n = len(result)
    result = finish(result, seed=seed, limit=limit, channels=channels, size=size)
    result.spec = canonical(spec, str(folder) if spec.arg else "", {
        "split": resolved, "limit": effective_limit(limit, n), "seed": seed, "size": size,
        "channels": channels}, {"split": "all"})
    return result
