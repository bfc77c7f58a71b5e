"""Regenerate every screenshot in resources/ (the README's pictures), and the texts each
one shows (resources/screenshot_texts.json), from the bundled models:

    python resources/make_screenshots.py

Each picture is `latent-atlas ... --screenshot` rendered offscreen (the 2-D pair's is cut to
its two maps). tests/test_screenshots.py runs the same scenes and fails when the app no
longer shows the texts stored here: then run this script again and look at the pictures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "resources" / "models"
TEXTS_ENV = "LATENT_ATLAS_SCREENSHOT_TEXTS"  # explorer/qt/screenshot.py
TEXTS_FILE = ROOT / "resources" / "screenshot_texts.json"

# picture -> (command-line arguments, cut to the maps)
SHOTS: dict[str, tuple[list[str], bool]] = {
    "screenshot.png": ([], False),
    "screenshot_compare.png": (["--compare"], False),
    "screenshot_latent2.png": (["--compare", str(MODELS / "digits2d_ae.safetensors"),
                                str(MODELS / "digits2d_vae.safetensors")], True),
}


def start(name: str, out_dir: Path) -> subprocess.Popen:
    """Start one screenshot run (offscreen); its texts go beside the PNG."""
    args, _ = SHOTS[name]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               **{TEXTS_ENV: str(out_dir / f"{name}.json")})
    return subprocess.Popen([sys.executable, "-m", "latent_atlas.explorer.cli", *args, "--screenshot",
                             str(out_dir / name)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(name: str, proc: subprocess.Popen, out_dir: Path, timeout: float = 900) -> list[str]:
    """Wait for a run; cut its picture if asked; return the texts the picture shows."""
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: exit {proc.returncode}\n{out}\n{err}")
    doc = json.loads((out_dir / f"{name}.json").read_text(encoding="utf-8"))
    items = doc["items"]
    if SHOTS[name][1]:
        x, y, w, h = doc["maps"]
        from PIL import Image

        with Image.open(out_dir / name) as img:
            img.crop((x, y, x + w, y + h)).save(out_dir / name)
        items = [i for i in items if _inside(i["rect"], (x, y, w, h))]
    return sorted({i["text"] for i in items if not i["status"]})


def _inside(rect, box) -> bool:
    x, y, w, h = rect
    bx, by, bw, bh = box
    return x >= bx and y >= by and x + w <= bx + bw and y + h <= by + bh


def shoot_all(out_dir: Path) -> dict[str, list[str]]:
    """Every screenshot into `out_dir` (two runs at a time); the texts of each."""
    names = list(SHOTS)
    texts: dict[str, list[str]] = {}
    for group in (names[:2], names[2:]):
        running = {n: start(n, out_dir) for n in group}
        for n, proc in running.items():
            texts[n] = finish(n, proc, out_dir)
    return texts


def normalised(text: str) -> str:
    """A text with its numbers as '#': what must not drift is the wording, not the last
    digit of a measurement (floating point differs between machines)."""
    return re.sub(r"\d+", "#", text)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        texts = shoot_all(Path(tmp))
        for name in SHOTS:
            (ROOT / "resources" / name).write_bytes((Path(tmp) / name).read_bytes())
            print(f"wrote resources/{name}")
    TEXTS_FILE.write_text(json.dumps(texts, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    print(f"wrote {TEXTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
