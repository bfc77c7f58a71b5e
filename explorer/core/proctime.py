"""Seconds since this process started, for start-up figures measured "from process start".

Timing from `time.perf_counter()` at import would miss the interpreter's own start and
the imports before it, so on Linux the kernel's record of the process start is used.
"""

from __future__ import annotations

import os
import time

_FALLBACK_T0 = time.time()


def process_start_epoch() -> float:
    """Wall-clock time (epoch seconds) at which this process started."""
    try:
        with open(f"/proc/{os.getpid()}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
        # Field 22 (starttime, clock ticks after boot) comes after the ")" closing comm.
        fields = stat[stat.rindex(")") + 2 :].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        return time.time() - uptime + start_ticks / ticks
    except (OSError, ValueError, IndexError):
        return _FALLBACK_T0


def seconds_since_start() -> float:
    """Seconds elapsed since the process started (never negative)."""
    return max(0.0, time.time() - process_start_epoch())
