"""The MNIST family: folders, label names, real MNIST, and downloads from a local server."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.data import DataError, load_data
from latent_atlas.explorer.core.data import mnist as mnist_mod
from latent_atlas.explorer.core.data.download import DownloadError, download_file, download_progress


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return gzip.compress(head + arr.astype(np.uint8).tobytes(), 1)


def family_files(n_train: int = 8, n_test: int = 4, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte.gz"] = idx_bytes(rng.integers(0, 256, (n, 28, 28)))
        out[f"{split}-labels-idx1-ubyte.gz"] = idx_bytes(rng.integers(0, 10, n))
    return out


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


# -- folders ---------------------------------------------------------------------------

def test_family_folder_with_both_splits(tmp_path):
    write_files(tmp_path, family_files())
    s = load_data(f"fashion-mnist:{tmp_path}")
    assert s.images.shape == (12, 1, 28, 28)
    assert s.label_names[0] == "T-shirt/top" and s.label_names[9] == "Ankle boot"
    assert s.spec == f"fashion-mnist:{tmp_path}" and not s.notes
    assert len(load_data(f"kmnist:{tmp_path}?split=train")) == 8
    assert load_data(f"kmnist:{tmp_path}").label_names[:3] == ["o", "ki", "su"]


def test_single_split_folder_is_used_and_noted(tmp_path):
    files = {k: v for k, v in family_files().items() if k.startswith("t10k")}
    write_files(tmp_path, files)
    s = load_data(f"mnist:{tmp_path}")
    assert len(s) == 4 and "only the test split" in s.notes[0]
    assert s.spec == f"mnist:{tmp_path}?split=test"
    with pytest.raises(DataError, match="has no train split: expected train-images-idx3-ubyte.gz"):
        load_data(f"mnist:{tmp_path}?split=train")


def test_missing_labels_name_the_file(tmp_path):
    files = family_files()
    del files["train-labels-idx1-ubyte.gz"]
    write_files(tmp_path, files)
    with pytest.raises(DataError, match="not its labels train-labels-idx1-ubyte.gz"):
        load_data(f"mnist:{tmp_path}?split=train")


def test_folder_without_mnist_files(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match="no MNIST files in .*t10k-images-idx3-ubyte.gz"):
        load_data(f"mnist:{tmp_path}")


def test_real_mnist_test_set(mnist_dir):
    s = load_data(f"mnist:{mnist_dir}")
    assert s.images.shape == (10000, 1, 28, 28) and s.images.dtype == np.uint8
    assert s.images.nbytes == 7_840_000
    assert np.bincount(s.labels).tolist()[:2] == [980, 1135]
    assert s.labels[:3].tolist() == [7, 2, 1]  # the famous first test digits
    assert s.spec.endswith("?split=test")
    limited = load_data(s.spec, limit=100, seed=1)
    assert len(limited) == 100 and limited.spec.endswith("limit=100&seed=1&split=test")


# -- downloads -------------------------------------------------------------------------

class _Server:
    """A local HTTP server for the download tests: files by path, plus misbehaviours."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[str] = []
        self.short_by = 0  # send fewer bytes than Content-Length promises
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server naming
                owner.requests.append(self.path)
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) - owner.short_by])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    srv = _Server({})
    yield srv
    srv.close()


@pytest.fixture
def served_mnist(server, tmp_path, monkeypatch):
    """Tiny MNIST files on the local server, their md5s in the table, an empty cache."""
    files = family_files()
    server.files.update({f"/mnist/{k}": v for k, v in files.items()})
    md5 = {k: hashlib.md5(v).hexdigest() for k, v in files.items()}
    monkeypatch.setitem(mnist_mod.FAMILIES, "mnist",
                        dataclasses.replace(mnist_mod.FAMILIES["mnist"], md5=md5))
    monkeypatch.setenv(mnist_mod.MIRROR_ENV, server.url + "/{name}/")
    monkeypatch.setenv(mnist_mod.CACHE_ENV, str(tmp_path / "cache"))
    return files


def test_download_into_cache_with_progress(server, served_mnist, tmp_path):
    reports = []
    with download_progress(lambda name, done, total: reports.append((name, done, total))):
        s = load_data("mnist?split=test")
    assert len(s) == 4 and s.spec == "mnist?split=test"
    cache = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                       "t10k-labels-idx1-ubyte.gz"]
    size = len(served_mnist["t10k-images-idx3-ubyte.gz"])
    assert ("t10k-images-idx3-ubyte.gz", size, size) in reports
    assert reports[0][1] == 0
    assert len(server.requests) == 2
    load_data("mnist?split=test")  # cached now: no second download
    assert len(server.requests) == 2
    full = load_data("mnist")  # the train files are fetched when all splits are asked for
    assert len(full) == 12 and len(server.requests) == 4


def test_checksum_mismatch_keeps_nothing(server, served_mnist, tmp_path, monkeypatch):
    bad = dict(mnist_mod.FAMILIES["mnist"].md5, **{"t10k-images-idx3-ubyte.gz": "0" * 32})
    monkeypatch.setitem(mnist_mod.FAMILIES, "mnist",
                        dataclasses.replace(mnist_mod.FAMILIES["mnist"], md5=bad))
    with pytest.raises(DownloadError, match="checksum mismatch: expected md5 0000"):
        load_data("mnist?split=test")
    assert not list((tmp_path / "cache" / "mnist").glob("t10k-images*"))
    assert not list((tmp_path / "cache" / "mnist").glob(".*part"))


def test_interrupted_transfer_keeps_nothing(server, served_mnist, tmp_path):
    server.short_by = 100
    with pytest.raises(DownloadError, match="could not download"):
        load_data("mnist?split=test")
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_offline_error_names_the_files_and_the_folder(served_mnist, tmp_path, monkeypatch):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(mnist_mod.MIRROR_ENV, f"http://127.0.0.1:{port}/")
    with pytest.raises(DataError) as info:
        load_data("fashion-mnist")
    msg = str(info.value)
    cache = tmp_path / "cache" / "fashion-mnist"
    assert "train-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert f"into {cache}" in msg and "fashion-mnist:DIR" in msg
    assert "\n" not in msg


def test_http_404_is_reported(server, served_mnist):
    server.files.clear()
    with pytest.raises(DownloadError, match="HTTP 404"):
        load_data("mnist?split=test")


def test_download_file_checks_sha256_and_tries_the_next_mirror(server, tmp_path):
    data = b"some bytes" * 1000
    server.files["/b/f.bin"] = data
    digest = hashlib.sha256(data).hexdigest()
    dest = download_file([server.url + "/a/f.bin", server.url + "/b/f.bin"], tmp_path / "f.bin",
                         digest, progress=lambda *a: None)
    assert dest.read_bytes() == data and server.requests == ["/a/f.bin", "/b/f.bin"]
