"""Clean exits (issue 26): a child process of `run_isolated` is let finish its own exit, so
its semaphores are unlinked and no "resource_tracker: ... leaked semaphore" warning is left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCRIPT = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from latent_atlas.explorer.core.isolated import run_isolated
from latent_atlas.explorer.core.progress import drain

if __name__ == "__main__":
    for _ in range(3):
        assert drain(run_isolated("isolated_lock_child", "hold_a_lock", 41)) == 42
    print("ok")
"""


def test_no_leaked_semaphore_after_isolated_work(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, cwd=HERE.parent.parent)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    assert "leaked semaphore" not in run.stderr, run.stderr
    assert "resource_tracker" not in run.stderr, run.stderr
