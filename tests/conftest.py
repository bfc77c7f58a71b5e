"""Shared fixtures. Qt runs offscreen; numba caches in a writable folder.

Also: the summary counts the tests skipped for want of the MNIST test set, and the run
fails when `../shared/data/mnist` exists but MNIST tests skipped anyway (a misnamed or
unreadable file would otherwise pass CI silently); `unprivileged` runs code as a user
that file permissions apply to, so permission tests run as root too.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The classifier judge caches its network per data set: one fresh folder per test run, so
# a run never depends on (or fills) the user's cache.
if "LATENT_ATLAS_CACHE" not in os.environ:
    os.environ["LATENT_ATLAS_CACHE"] = tempfile.mkdtemp(prefix="latent-atlas-cache-")
    atexit.register(shutil.rmtree, os.environ["LATENT_ATLAS_CACHE"], ignore_errors=True)
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
sys.path.insert(0, str(ROOT))


MNIST_FILE = "t10k-images-idx3-ubyte.gz"
MNIST_SKIP = "MNIST test set not found"
_mnist_skips: list[str] = []


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The MNIST test set beside the checkout; tests using it skip when it is absent."""
    if not (MNIST_DIR / MNIST_FILE).is_file():
        pytest.skip(f"{MNIST_SKIP} at {MNIST_DIR / MNIST_FILE} (it lives in ../shared beside "
                    "the checkout)")
    return MNIST_DIR


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report):
    if report.skipped and MNIST_SKIP in _skip_reason(report):
        _mnist_skips.append(report.nodeid)


def _mnist_folder_present() -> bool:
    return MNIST_DIR.is_dir()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = len(set(_mnist_skips))
    where = "present" if _mnist_folder_present() else "absent"
    terminalreporter.write_line(f"MNIST: {n} test(s) skipped for want of the MNIST test set "
                                f"({MNIST_DIR} is {where})")
    if n and _mnist_folder_present():
        terminalreporter.write_line(
            f"ERROR: {MNIST_DIR} exists but {MNIST_FILE} could not be used, so {n} MNIST "
            "test(s) skipped: failing the run", red=True)


MUTMUT_STATS = "mutmut-stats.json"  # mutmut runs the tests in mutants/, where it keeps this


def fastest_first(items, durations: dict) -> None:
    """Sort test items by their recorded duration, unknown ones last (a stable sort)."""
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


def pytest_collection_modifyitems(config, items):
    """Under mutmut, run a mutant's covering tests fastest first.

    mutmut runs them with `-x`, so a mutant is killed by the first test that fails: with the
    seconds-long comparison tests last, most mutants die in well under a second instead of
    whenever the slow tests happen to come first. Only the order changes, never which tests
    run, so survivors and the figure are the same.
    """
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(Path(MUTMUT_STATS).read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    fastest_first(items, durations)


def pytest_sessionfinish(session, exitstatus):
    if _mnist_skips and _mnist_folder_present() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class Unprivileged:
    """Run a function in a forked child that has dropped root (uid/gid `nobody`, 65534), so
    file permissions apply to it. `folder` is a fresh directory that user can enter."""

    UID = 65534

    def __init__(self, folder: Path):
        self.folder = folder

    def share(self) -> None:
        """Make everything under `folder` readable by the unprivileged user."""
        for root, dirs, files in os.walk(self.folder):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)

    def run(self, fn):
        """fn() as the unprivileged user: its return value, or its exception re-raised.

        As root, fn runs once in this process first (its result is ignored): the child
        cannot import modules it has not inherited when the interpreter's own files are
        unreadable to that user (e.g. a Python installed under /root).
        """
        if os.geteuid() != 0:
            return fn()  # file permissions already apply
        try:
            fn()
        except Exception:  # noqa: BLE001 (only warming imports; the child's result counts)
            pass
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            code = 0
            try:
                os.close(r)
                try:
                    os.setgroups([])
                    os.setgid(self.UID)
                    os.setuid(self.UID)
                    payload = ("ok", fn()) if os.geteuid() != 0 else ("noprivdrop", "still root")
                except PermissionError as exc:  # dropping root itself was refused
                    payload = ("noprivdrop", str(exc)) if os.geteuid() == 0 else ("raised", exc)
                except BaseException as exc:  # noqa: BLE001 (re-raised in the parent)
                    payload = ("raised", exc)
                try:
                    data = pickle.dumps(payload)
                except Exception:  # noqa: BLE001
                    data = pickle.dumps(("raised", RuntimeError(repr(payload[1]))))
                with os.fdopen(w, "wb") as fh:
                    fh.write(data)
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            raise RuntimeError(f"the unprivileged child failed (wait status {status})")
        kind, value = pickle.loads(data)
        if kind == "noprivdrop":
            pytest.skip(f"cannot drop root privileges here to test file permissions ({value})")
        if kind == "raised":
            raise value
        return value


@pytest.fixture()
def unprivileged():
    """An `Unprivileged` runner with its own world-enterable folder (removed afterwards)."""
    if os.name != "posix" or not hasattr(os, "fork"):
        pytest.skip("file permission tests need a POSIX system")
    folder = Path(tempfile.mkdtemp(prefix="latent-atlas-perm-"))
    os.chmod(folder, 0o755)
    try:
        yield Unprivileged(folder)
    finally:
        for root, dirs, _ in os.walk(folder):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def runtime():
    """Each bundled digits model (ae, vae) read, built and given its data once per test
    module: kind -> (path, model file, map, labels, model, decoder, data extras)."""
    from latent_atlas.explorer.session.loading import build_runtime, dataset_extras
    from latent_atlas.explorer.session.opening import read_model

    bundled = {kind: ROOT / "resources" / "models" / f"digits_{kind}.safetensors"
               for kind in ("ae", "vae")}
    if not all(p.exists() for p in bundled.values()):
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")
    out = {}
    for kind, path in bundled.items():
        stored = read_model(path)
        mf, latent_map, labels = stored.file, stored.latent_map, stored.labels
        model, decoder = build_runtime(mf)
        extras = dataset_extras(decoder, mf.meta["data_spec"], latent_map.n_points)
        out[kind] = (path, mf, latent_map, labels, model, decoder, extras)
    return out


class Desk:
    """The bundled digits AE and VAE as sessions on one `ManualDispatcher` (no Qt, no
    display), the shown ones and the window's jobs, pumped by hand: what the panel models
    (latent_atlas.explorer.session.panels) are tested on."""

    def __init__(self, runtime):
        import numpy as np

        from latent_atlas.explorer.session.dispatch import ManualDispatcher
        from latent_atlas.explorer.session.jobs import Jobs
        from latent_atlas.explorer.session.session import Session
        from latent_atlas.explorer.session.workspace import ShownSessions

        self._np = np
        self.dispatcher = ManualDispatcher()
        self.jobs = Jobs(self.dispatcher)
        self.shown = ShownSessions()
        self.by_kind = {}
        self.links = []
        for kind in ("ae", "vae"):
            path, mf, latent_map, labels, model, decoder, extras = runtime[kind]
            s = Session(path.stem, mf.meta, path=path, latent_map=latent_map, labels=labels,
                        dispatcher=self.dispatcher)
            s.set_model(model, decoder)
            s.set_data(extras)
            self.by_kind[kind] = s
        self.dispatcher.process()

    def show(self, *kinds: str):
        sessions = [self.by_kind[k] for k in kinds]
        self.shown.set(sessions)
        return sessions

    def link(self) -> None:
        """Link the AE and the VAE as the compare window does (the maps share a frame)."""
        from latent_atlas.explorer.session.link import Link

        self.links.append(Link(self.by_kind["ae"], self.by_kind["vae"]))

    def settle(self, model, timeout: float = 120.0) -> None:
        """Run the model's pending update and wait until its jobs have delivered."""
        model.flush()
        assert self.dispatcher.wait_until(
            lambda: not self.jobs.running() and not model.stale, timeout), "jobs did not finish"
        self.dispatcher.process()

    def click(self, session, xy) -> None:
        """What a click on the map does; a linked session decodes the same point too."""
        session.request_decode(self._np.asarray(xy, self._np.float32))
        self.dispatcher.process()

    def close(self) -> None:
        for link in self.links:
            link.disconnect()
        self.jobs.shutdown()
        for s in self.by_kind.values():
            s.close()


@pytest.fixture()
def desk(runtime):
    d = Desk(runtime)
    yield d
    d.close()


@pytest.fixture(scope="session")
def digits():
    from latent_atlas.explorer.core.data import load_data

    return load_data("digits")
