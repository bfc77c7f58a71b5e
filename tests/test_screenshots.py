"""The README's pictures stay true (issue 26): every screenshot in resources/ is made by
resources/make_screenshots.py, and the app still shows every text a picture shows."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"


def _script():
    spec = importlib.util.spec_from_file_location("make_screenshots",
                                                  RESOURCES / "make_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_screenshot_comes_from_the_one_script_with_its_texts():
    script = _script()
    pictures = {p.name for p in RESOURCES.glob("*.png")}
    stored = json.loads(script.TEXTS_FILE.read_text(encoding="utf-8"))
    assert pictures == set(script.SHOTS) == set(stored)
    readme = (ROOT / "README.md").read_text()
    for name in re.findall(r"\(resources/([^)]+\.png)\)", readme):
        assert name in pictures
    assert all(stored[name] for name in pictures)  # each picture shows some text


def test_a_changed_wording_is_caught():
    script = _script()
    assert script.normalised("hole 61.1% [52.0%, 70.3%]") == script.normalised("hole 9.9% [8.0%, 11.3%]")
    assert script.normalised("not significant: the 95 % intervals overlap") != \
        script.normalised("not significant: McNemar p = 0.73")


@pytest.mark.slow
def test_the_app_still_shows_every_text_of_the_screenshots(tmp_path):
    """Runs the screenshot scenes offscreen (as the script does, into a temporary folder)
    and checks each text the stored pictures show is still produced, numbers aside. When it
    fails, run `python resources/make_screenshots.py` and look at the new pictures."""
    script = _script()
    stored = json.loads(script.TEXTS_FILE.read_text(encoding="utf-8"))
    now = script.shoot_all(tmp_path)
    for name, texts in stored.items():
        current = {script.normalised(t) for t in now[name]}
        gone = [t for t in texts if script.normalised(t) not in current]
        assert not gone, (f"resources/{name} shows texts the app no longer produces: {gone}; "
                          "run python resources/make_screenshots.py")
