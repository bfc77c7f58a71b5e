import subprocess
import sys


def test_seconds_since_start_counts_from_process_start():
    code = ("import time; time.sleep(0.3)\n"
            "from latent_atlas.explorer.core.proctime import seconds_since_start\n"
            "print(seconds_since_start())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    value = float(out.stdout)
    assert value >= 0.25  # includes the sleep before the module was imported
