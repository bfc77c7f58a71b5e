"""Run the speed benchmarks and say which figure got more than 20 % worse than the last
recorded run. Use it before a change lands; it is not a test (timings never are).

    python benchmarks/regressions.py [--only startup,compare,map,scale] [--record]
    python benchmarks/regressions.py --from-file OUT.txt [--record]   # figures already run

Every benchmark prints its figures as `key=value` lines. Figures ending in `_s`, `_ms` or
`_seconds` are better lower; `trust_` figures and `_ratio` better higher; others are
recorded but not judged. History: `benchmarks/history.csv` (date, commit, load, key,
value), one row per figure per recorded run; the last row of a key is its reference.
Quote figures measured on a quiet machine (the load is recorded beside them).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HISTORY = HERE / "history.csv"
FIELDS = ("date", "commit", "load", "key", "value")
BENCHES = {
    "startup": ["bench_startup.py", "--runs", "3"],
    "compare": ["bench_compare.py", "--window-only", "--runs", "3"],
    "map": ["bench_map.py"],
    "scale": ["bench_scale.py"],
}
FIGURE = re.compile(r"^([a-z][\w.-]*)=(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\b", re.MULTILINE)


def figures(text: str) -> dict[str, float]:
    """Every `key=number` that starts a line of `text` (the last one of a key wins)."""
    return {k: float(v) for k, v in FIGURE.findall(text)}


def direction(key: str) -> int:
    """+1 when a larger value is worse, -1 when smaller is worse, 0 when not judged."""
    name = key.rsplit(".", 1)[-1]
    if name.startswith("trust_") or name.endswith("_ratio"):
        return -1
    if name.endswith(("_s", "_ms", "_seconds")):
        return 1
    return 0


def last_recorded(path: Path = HISTORY) -> dict[str, float]:
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {row["key"]: float(row["value"]) for row in csv.DictReader(fh)}


def worse(now: dict[str, float], before: dict[str, float], limit: float = 0.2):
    """(key, before, now, change) of every judged figure more than `limit` worse."""
    out = []
    for key, value in now.items():
        sign, ref = direction(key), before.get(key)
        if not sign or ref is None or ref == 0:
            continue
        change = (value - ref) / abs(ref)
        if sign * change > limit:
            out.append((key, ref, value, change))
    return out


def record(now: dict[str, float], path: Path = HISTORY, load: float | None = None) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE).stdout.strip()
    load = f"{os.getloadavg()[0] if load is None else load:.1f}"
    new = not path.exists()
    with path.open("a", newline="") as fh:
        w = csv.DictWriter(fh, FIELDS)
        if new:
            w.writeheader()
        date = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
        for key, value in sorted(now.items()):
            w.writerow({"date": date, "commit": commit, "load": load, "key": key,
                        "value": f"{value:g}"})


def run(names: list[str]) -> str:
    text = []
    for name in names:
        cmd = [sys.executable, str(HERE / BENCHES[name][0]), *BENCHES[name][1:]]
        print(f"running {' '.join(cmd[1:])} …", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
        if proc.returncode != 0:
            print(f"  {name} failed: {proc.stderr.strip()[-300:]}")
        text.append(proc.stdout)
    return "\n".join(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="startup,compare", help=f"of {','.join(BENCHES)}")
    ap.add_argument("--from-file", help="read figures from this output instead of running")
    ap.add_argument("--record", action="store_true", help="append these figures to the history")
    ap.add_argument("--limit", type=float, default=0.2, help="how much worse is flagged")
    ap.add_argument("--load", type=float, help="the load they were measured at (--from-file)")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"regressions: error: unknown benchmark {unknown[0]}; use {', '.join(BENCHES)}",
              file=sys.stderr)
        return 2
    if args.from_file:
        try:
            text = Path(args.from_file).read_text()
        except OSError as exc:
            print(f"regressions: error: cannot read {args.from_file}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    else:
        text = run(names)
    now = figures(text)
    before = last_recorded()
    print(f"{len(now)} figures, load {os.getloadavg()[0]:.1f}")
    bad = worse(now, before, args.limit)
    for key, ref, value, change in bad:
        print(f"WORSE {key}: {ref:g} -> {value:g} ({change:+.0%})")
    if not bad:
        print(f"nothing more than {args.limit:.0%} worse than the last recorded run")
    if args.record:
        record(now, load=args.load)
        print(f"recorded in {HISTORY.name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
