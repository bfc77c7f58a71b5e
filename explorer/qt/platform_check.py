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


# --- Is there a display at all? ------------------------------------------------------
# Checked before Qt is imported: without one, Qt's xcb plugin aborts the process with
# "could not connect to display" and a list of plugins (exit 134), which is what a user on
# an SSH session to a GPU machine meets first.

HEADLESS_PLATFORMS = ("offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
X11_SOCKET_DIR = "/tmp/.X11-unix"
NO_DISPLAY_ADVICE = ("over SSH connect with X forwarding (ssh -X or ssh -Y), render a picture "
                     "without a display with QT_QPA_PLATFORM=offscreen latent-atlas --screenshot "
                     "OUT.png, or use the headless commands (latent-atlas --help)")


def _x11_reachable(display: str, socket_dir: str = X11_SOCKET_DIR, timeout: float = 1.0) -> bool:
    """Whether an X server answers at DISPLAY ("[host]:N[.S]"): a socket connect, no Qt."""
    import re
    import socket

    match = re.fullmatch(r"(?P<host>[^:]*):(?P<num>\d+)(\.\d+)?", display.strip())
    if match is None:
        return os.path.exists(display)  # XQuartz's launchd socket path, or similar
    host, num = match.group("host"), int(match.group("num"))
    if host in ("", "unix"):
        for address in ("\0" + f"{socket_dir}/X{num}", f"{socket_dir}/X{num}"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                try:
                    s.connect(address)
                    return True
                except OSError:
                    continue
        if host == "unix":
            return False
        host = "localhost"
    try:
        with socket.create_connection((host, 6000 + num), timeout=timeout):
            return True
    except OSError:
        return False


def display_problem(offscreen: bool = False) -> str | None:
    """None when Qt can open a window here (or draws offscreen); otherwise one line saying
    there is no display and what to do. Cheap: environment variables and one socket."""
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip().lower()
    if offscreen and not platform:
        return None  # --screenshot renders offscreen by itself
    if platform in HEADLESS_PLATFORMS or platform.startswith("wayland"):
        return None
    if not sys.platform.startswith("linux") or (not platform and os.environ.get("WAYLAND_DISPLAY")):
        return None
    display = os.environ.get("DISPLAY", "")
    if not display.strip():
        why = "DISPLAY is empty" if "DISPLAY" in os.environ else "DISPLAY is not set"
    elif not _x11_reachable(display):
        why = f"no X server answers at DISPLAY={display}"
    else:
        return None
    return f"no display to open the window on ({why}); {NO_DISPLAY_ADVICE}"
