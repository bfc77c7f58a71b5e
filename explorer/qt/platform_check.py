"""Before the first window: can Qt's X11 platform plugin load here?

On a bare Debian or Ubuntu desktop, PySide6's xcb plugin needs a few X11 libraries that
are not installed by default (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...). Qt then
aborts the process with "Could not load the Qt platform plugin "xcb"" and a list of
plugins, which tells a user nothing about what to install. We load the plugin's library
ourselves first (a few milliseconds): if a library is missing, the loader names it, and we
print the one install line instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APT_PACKAGES = ("libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
                "libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 "
                "libegl1 libgl1 libfontconfig1 libdbus-1-3")
INSTALL_LINE = f"sudo apt-get install {APT_PACKAGES}"


def _wants_xcb() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0].split(";")[0] == "xcb"
    return sys.platform.startswith("linux") and bool(os.environ.get("DISPLAY")) \
        and not os.environ.get("WAYLAND_DISPLAY")


def xcb_plugin_problem() -> str | None:
    """None when Qt's xcb plugin can load (or is not the one Qt will use); otherwise one
    readable line naming the missing library and the packages to install."""
    if not _wants_xcb():
        return None
    try:
        import ctypes

        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        return None
    try:
        ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError as exc:
        missing = str(exc).split(":")[0].strip()
        return (f"the window cannot start: Qt's X11 plugin (xcb) cannot load {missing}. On "
                f"Debian or Ubuntu, install the X11 libraries Qt needs: {INSTALL_LINE}")
    return None
