"""`digits` is read from scikit-learn's bundled CSV without importing scikit-learn."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from latent_atlas.explorer.core.data import digits as digits_source


def test_the_csv_reader_gives_exactly_what_load_digits_gives():
    from sklearn.datasets import load_digits

    images, labels = digits_source.digits_arrays()
    bunch = load_digits()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
    assert labels.dtype == np.int64 and images.shape == (1797, 8, 8)


def test_without_the_csv_it_falls_back_to_load_digits(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    images, labels = digits_source.digits_arrays()
    assert images.shape == (1797, 8, 8) and labels[:10].tolist() == list(range(10))


def test_loading_digits_imports_neither_scikit_learn_nor_scipy():
    code = ("import sys\n"
            "from latent_atlas.explorer.core.data import load_data\n"
            "data = load_data('digits')\n"
            "assert len(data.images) == 1797, len(data.images)\n"
            "print('heavy=' + ','.join(m for m in ('sklearn', 'scipy') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "heavy=\n" in proc.stdout, proc.stdout
