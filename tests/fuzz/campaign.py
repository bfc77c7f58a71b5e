"""The fuzz campaign of issue 14 as a script: every one-command case of cases.py with the
issue's 10 s budget, and the counts (tried, clean, problems).

    python tests/fuzz/campaign.py [-k SUBSTRING] [-v]

The multi-step cases (Ctrl-C, pipes, the GUI, crash leftovers) are the other tests in
this folder: `python -m pytest tests/fuzz`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cases import CASES  # noqa: E402
from fuzzkit import assert_one_line_error, run_many  # noqa: E402

BUDGET_S = 10.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="only cases whose id contains this")
    ap.add_argument("-v", action="store_true", help="print every case")
    args = ap.parse_args()
    cases = [c for c in CASES if args.k in c.id]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        prepared = []
        for case in cases:
            folder = Path(tmp) / case.id
            folder.mkdir()
            argv = case.setup(folder)
            before = {n: (folder / n).read_bytes() for n in case.unchanged}
            prepared.append((case, folder, argv, before))
        runs = run_many([p[2] for p in prepared], timeout=BUDGET_S)
        for (case, folder, _, before), run in zip(prepared, runs, strict=True):
            try:
                assert_one_line_error(run, *case.needles)
                for name, blob in before.items():
                    assert (folder / name).read_bytes() == blob, f"{name} was changed"
                assert run.seconds < BUDGET_S, f"took {run.seconds:.1f} s"
                status = "clean"
            except AssertionError as exc:
                status = "PROBLEM"
                problems.append((case.id, str(exc).strip().splitlines()[-1][:300]))
            if args.v or status != "clean":
                line = run.lines[-1] if run.lines else ""
                print(f"{status:8s} {case.id:40s} exit {run.returncode:3d} "
                      f"{run.seconds:5.2f}s  {line[:150]}")
    print(f"\ntried {len(cases)}, clean {len(cases) - len(problems)}, problems {len(problems)}")
    for cid, why in problems:
        print(f"  {cid}: {why}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
