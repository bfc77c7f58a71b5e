"""Skip PySide6's source scan of every module imported after it, for libraries that
never use Qt.

Once `PySide6.QtCore` is imported, shiboken replaces `__import__` and, after every new
module, asks `shibokensupport.feature._mod_uses_pyside(module)`: it reads the module's
whole source (`inspect.getsource`) to look for the word "PySide6", so that a module may
opt in to `from __feature__ import snake_case`. Latent Atlas imports torch, scikit-learn,
SciPy and UMAP after Qt (off the GUI thread, so the window paints first): about 2,000
modules, each scanned while its importing thread holds the GIL. napari measured the same
tax (napari/napari#8584).

`skip_libraries_without_qt()` answers "no" at once for the top-level packages in
`NO_QT`, none of which contains the word (tests/qt/test_import_tax.py checks every one of
their loaded modules against PySide's own answer), and asks PySide's check for every
other module, so any module that does use PySide keeps its feature switching.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

# Top-level packages the app imports after Qt that never name PySide6 in their source.
NO_QT = frozenset({
    "torch", "torchgen", "functorch", "sympy", "mpmath", "networkx", "jinja2", "markupsafe",
    "fsspec", "filelock", "typing_extensions", "sklearn", "scipy", "numpy", "joblib",
    "threadpoolctl", "umap", "pynndescent", "numba", "llvmlite", "skimage", "pywt",
    "lazy_loader", "imageio", "tifffile", "PIL", "safetensors", "pooch", "requests",
    "urllib3", "idna", "charset_normalizer", "certifi", "platformdirs", "tqdm", "psygnal",
    "packaging", "onnx", "onnxruntime", "diffusers", "huggingface_hub", "pythae",
})
_MARK = "_latent_atlas_skips"


def feature_module() -> Any:
    """shiboken's feature module, or None where this PySide6 has none."""
    return sys.modules.get("shibokensupport.feature")


def skip_libraries_without_qt() -> bool:
    """Install the shortcut (once); False when this PySide6 has no such check."""
    mod = feature_module()
    check: Callable[[Any], bool] | None = getattr(mod, "_mod_uses_pyside", None)
    if check is None or getattr(check, _MARK, False):
        return False

    def uses_pyside(module: Any) -> bool:
        name = getattr(module, "__name__", "") or ""
        if name.partition(".")[0] in NO_QT:
            return False
        return check(module)

    setattr(uses_pyside, _MARK, True)
    uses_pyside.__wrapped__ = check  # type: ignore[attr-defined]
    mod._mod_uses_pyside = uses_pyside
    return True
