"""The panel models load when first asked for, not when the window module is imported."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import latent_atlas.explorer.session.panels as panels


def test_every_exported_name_resolves_to_its_module():
    assert set(panels.__all__) == set(panels._WHERE)
    for name in panels.__all__:
        module = importlib.import_module(f"{panels.__name__}.{panels._WHERE[name]}")
        assert getattr(panels, name) is getattr(module, name)
    assert set(panels.__all__) <= set(dir(panels))


def test_an_unknown_name_is_an_attribute_error():
    try:
        panels.NoSuchPanel  # noqa: B018
    except AttributeError as e:
        assert "NoSuchPanel" in str(e)
    else:
        raise AssertionError("an unknown name resolved")


def test_the_window_module_loads_no_panel_model_before_its_first_paint():
    code = ("import sys; import latent_atlas.explorer.qt.main_window; "
            "print(sorted(m for m in sys.modules if '.session.panels.' in m "
            "or '.core.analysis.applications' in m or '.core.analysis.disentangle' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"QT_QPA_PLATFORM": "offscreen", **os.environ},
                         check=True).stdout.strip()
    assert out == "['latent_atlas.explorer.session.panels.files']"
