"""Shared fixtures. Qt runs offscreen; numba caches in a writable folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The MNIST test set beside the checkout; tests using it skip when it is absent."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST test set not found at {MNIST_DIR} (it lives in ../shared beside the checkout)")
    return MNIST_DIR


@pytest.fixture(scope="session")
def digits():
    from explorer.core.data import load_data

    return load_data("digits")
