"""Run many `latent-atlas` command lines fast: one child process per command, forked from a
runner that imported the CLI, numpy and torch once (importing torch dominates a command's
time). Each child gets a memory limit, its own stdout/stderr files and a timeout; a child
that hangs is killed. The runner is itself a fresh process (`python forkrun.py`), so no
thread pool exists when it forks.

    python tests/fuzz/forkrun.py < jobs.json > results.json
    jobs:    [{"argv": [...], "timeout": 10, "memory": 3221225472}, ...]
    results: [{"returncode": 2, "stdout": "", "stderr": "...", "seconds": 0.1,
               "timed_out": false}, ...]
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child(argv: list[str], memory: int, out_fd: int, err_fd: int) -> None:
    import resource
    import traceback

    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python itself sets it
        from latent_atlas.explorer.cli import main

        sys.argv = ["latent-atlas", *argv]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # what the interpreter would print for `python -m latent_atlas.explorer.cli`
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code if isinstance(code, int) else 1)


def run_jobs(jobs: list[dict]) -> list[dict]:
    results = []
    for job in jobs:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            start = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                _child([str(a) for a in job["argv"]], int(job.get("memory", 3 * 2**30)),
                       out.fileno(), err.fileno())
            deadline = start + float(job.get("timeout", 10))
            timed_out, status = False, 0
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                if time.perf_counter() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    _, status = os.waitpid(pid, 0)
                    timed_out = True
                    break
                time.sleep(0.005)
            seconds = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            code = (os.WEXITSTATUS(status) if os.WIFEXITED(status)
                    else -os.WTERMSIG(status))
            results.append({"returncode": code, "timed_out": timed_out, "seconds": seconds,
                            "stdout": out.read().decode("utf-8", "backslashreplace"),
                            "stderr": err.read().decode("utf-8", "backslashreplace")})
    return results


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    jobs = json.load(sys.stdin)
    # Warm up what every command imports, so each child only pays for its own work.
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import torch  # noqa: F401

    import latent_atlas.explorer.cli  # noqa: F401
    import latent_atlas.models.checkpoint  # noqa: F401

    json.dump(run_jobs(jobs), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
