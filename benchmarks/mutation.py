"""Mutation testing of the maths the app's claims rest on (slow: minutes, not in the suite).

    pip install -e ".[test,mutation]"
    python benchmarks/mutation.py               # fresh run, then the report
    python benchmarks/mutation.py --report      # report the last run again (mutants/ kept)
    python benchmarks/mutation.py --template    # print entries for the unexplained survivors

mutmut (configured under [tool.mutmut] in pyproject.toml: the modules and the tests that
cover them) makes one small change at a time in models/losses.py, models/networks.py,
explorer/core/analysis/{metrics,gaps}.py and explorer/core/latent/{inverse,interpolation}.py
and runs the tests that call the changed function. A mutant the tests do not notice either shows a missing test or changes nothing
observable; the latter are listed with the reason in mutation_equivalent.txt beside this
script. Prints

    mutants=N killed=K survived=S equivalent=E

then every surviving mutant that is not documented as equivalent; exits 1 if there is one.
A timeout counts as killed (the tests did not pass); "no tests" counts as survived.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "mutation_equivalent.txt"
KILLED = {"killed", "timeout", "caught by type check"}


@dataclass
class Mutant:
    name: str
    status: str
    removed: list[str]
    added: list[str]

    @property
    def function(self) -> str:
        return self.name.rsplit("__mutmut_", 1)[0]

    def key(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        return self.function, tuple(self.removed), tuple(self.added)

    def diff(self) -> str:
        return "\n".join([f"- {line}" for line in self.removed] + [f"+ {line}" for line in self.added])


def read_equivalents(path: Path = EQUIVALENT_FILE) -> dict[tuple, str]:
    """Entries: `[function]`, then `- original line`s, `+ mutated line`s, `why: reason`."""
    entries: dict[tuple, str] = {}
    function, removed, added = None, [], []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            function, removed, added = line[1:-1], [], []
        elif line.startswith("- "):
            removed.append(line[2:].strip())
        elif line.startswith("+ "):
            added.append(line[2:].strip())
        elif line.startswith("why:") and function:
            reason = line[4:].strip()
            if not reason or reason == "TODO":
                raise SystemExit(f"{path.name}:{n}: give the reason this mutant is equivalent")
            entries[(function, tuple(removed), tuple(added))] = reason
            removed, added = [], []
        else:
            raise SystemExit(f"{path.name}:{n}: cannot read {raw!r}")
    return entries


def run_mutmut(max_children: int) -> None:
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # a fresh run, no stale results
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)  # the mutated copy in mutants/ must be what tests import
    log = ROOT / "mutation-run.log"
    print(f"running mutmut with {max_children} worker(s); log: {log.name}", flush=True)
    with open(log, "w") as out:
        rc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                             str(max_children)], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT).returncode
    if rc != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed (exit {rc}); end of {log.name}:\n{tail}")


def collect() -> list[Mutant]:
    from mutmut.__main__ import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    mutants: list[Mutant] = []
    metas = sorted(glob.glob(str(ROOT / "mutants" / "**" / "*.py.meta"), recursive=True))
    if not metas:
        raise SystemExit("no results in mutants/: run without --report first")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for meta in metas:
            source = Path(meta).relative_to(ROOT / "mutants").with_suffix("")
            codes = json.loads(Path(meta).read_text())["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                status = status_by_exit_code[code]
                removed: list[str] = []
                added: list[str] = []
                if status not in KILLED:
                    for line in get_diff_for_mutant(name, path=source).splitlines():
                        if line.startswith(("---", "+++")):
                            continue
                        if line.startswith("-"):
                            removed.append(line[1:].strip())
                        elif line.startswith("+"):
                            added.append(line[1:].strip())
                mutants.append(Mutant(name, status, removed, added))
    finally:
        os.chdir(cwd)
    return mutants


def report(mutants: list[Mutant], template: bool = False) -> int:
    equivalents = read_equivalents()
    killed = [m for m in mutants if m.status in KILLED]
    rest = [m for m in mutants if m.status not in KILLED]
    equivalent = [m for m in rest if m.key() in equivalents]
    survived = [m for m in rest if m.key() not in equivalents]
    used = {m.key() for m in equivalent}
    stale = [k for k in equivalents if k not in used]
    if template:
        for m in survived:
            print(f"[{m.function}]\n{m.diff()}\nwhy: TODO\n")
        return 0
    if survived:
        print(f"\n{len(survived)} surviving mutant(s) not documented as equivalent:")
        for m in survived:
            print(f"\n{m.name} ({m.status})\n{m.diff()}")
    if stale:
        print(f"\nnote: {len(stale)} entry(ies) of {EQUIVALENT_FILE.name} matched no mutant "
              "(the code changed?): " + ", ".join(k[0] for k in stale[:10]))
    timeouts = sum(m.status == "timeout" for m in killed)
    no_tests = sum(m.status == "no tests" for m in survived)
    print(f"\n(timeouts counted as killed: {timeouts}; survivors without any covering test: "
          f"{no_tests})")
    print(f"mutants={len(mutants)} killed={len(killed)} survived={len(survived)} "
          f"equivalent={len(equivalent)}")
    return 1 if survived else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true", help="report the last run only")
    parser.add_argument("--template", action="store_true",
                        help="print equivalent-file entries for the undocumented survivors")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print('mutmut is not installed: pip install -e ".[mutation]"', file=sys.stderr)
        return 2
    if not (args.report or args.template):
        run_mutmut(args.max_children)
    return report(collect(), template=args.template)


if __name__ == "__main__":
    sys.exit(main())
