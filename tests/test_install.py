"""An install that works anywhere (issue 21): the wheel carries the bundled models, and
neither the installed package nor the checkout is shadowed by a user's own `models/` or
`explorer/` folder in the current directory.

The fresh environment gets the wheel with `--no-deps`; its dependencies come from the
environment running the tests through a path file (no download, and no editable install
of the checkout can leak in: path files of an added folder are not read)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAISING = "raise ImportError('this is the user\\'s own {name} package, not Latent Atlas\\'s')\n"


def _user_folder(tmp: Path) -> Path:
    """A working folder holding its own `models` and `explorer` packages (raising on import)."""
    work = tmp / "work"
    for name in ("models", "explorer"):
        (work / name).mkdir(parents=True)
        (work / name / "__init__.py").write_text(RAISING.format(name=name))
    return work


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


HEADLESS = ("import latent_atlas as la; s = la.open(la.bundled_models()[1]); "
            "print('codes', s.codes.shape, 'map', s.map_table()['x'].shape, "
            "'decode', s.decode([[0.0, 0.0]]).shape)")


def test_the_checkout_is_not_shadowed_by_a_users_own_folders(tmp_path):
    work = _user_folder(tmp_path)
    out = subprocess.run([sys.executable, "-c", HEADLESS], cwd=work, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "codes (1797, 8) map (1797,) decode (1, 1, 8, 8)" in out.stdout
    cli = subprocess.run([sys.executable, "-m", "latent_atlas", "info",
                          str(ROOT / "resources" / "models" / "digits_ae.safetensors")],
                         cwd=work, env=_env(), capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "digits_ae" in cli.stdout + cli.stderr


@pytest.mark.slow
def test_the_wheel_installed_elsewhere_opens_the_bundled_pair(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "--no-build-isolation", "-w", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("latent_atlas-*.whl"))
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    py = fresh / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                              "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    work = _user_folder(tmp_path)
    where = subprocess.run([str(py), "-c", "import latent_atlas; print(latent_atlas.__file__)"],
                           cwd=work, env=_env(), capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    assert where.stdout.strip().startswith(str(fresh)), where.stdout  # the wheel, not the checkout
    headless = subprocess.run([str(py), "-c", HEADLESS], cwd=work, env=_env(),
                              capture_output=True, text=True, timeout=300)
    assert headless.returncode == 0, headless.stderr[-2000:]
    shot = tmp_path / "shot.png"
    env = _env()
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    app = subprocess.run([str(fresh / "bin" / "latent-atlas"), "--screenshot", str(shot)],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert app.returncode == 0, app.stdout[-1000:] + app.stderr[-2000:]
    figures = dict(part.split("=") for part in app.stdout.split() if "=" in part)
    assert float(figures["ready_s"]) == float(figures["ready_s"]), app.stdout  # a number, not nan
    assert shot.stat().st_size > 10_000
