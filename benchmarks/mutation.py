"""Mutation testing of the maths the app's claims rest on (slow: minutes, not in the suite).

    pip install -e ".[test,mutation]"
    python benchmarks/mutation.py               # fresh run, then the report
    python benchmarks/mutation.py --report      # report the last run again (mutants/ kept)
    python benchmarks/mutation.py --template    # print entries for the unexplained survivors
    python benchmarks/mutation.py --only 'latent_atlas.models.networks.*'   # one part
    python benchmarks/mutation.py --resume      # go on with a run that was stopped

mutmut (configured under [tool.mutmut] in pyproject.toml: the modules and the tests that
cover them) makes one small change at a time in models/losses.py, models/networks.py,
explorer/core/analysis/{metrics,gaps}.py and explorer/core/latent/{inverse,interpolation}.py
and runs the tests that call the changed function. A mutant the tests do not notice either shows a missing test or changes nothing
observable; the latter are listed with the reason in mutation_equivalent.txt beside this
script. Prints

    mutants=N killed=K survived=S equivalent=E

then every surviving mutant that is not documented as equivalent; exits 1 if there is one.
A timeout counts as killed (the tests did not pass); "no tests" counts as survived. A run
that was stopped, or limited with --only, also prints `not_checked=M` and the commit the
mutants were made from: the figure is then that of the checked part only.

The whole campaign takes hours on a 2-core machine (most mutants are in the comparison,
whose covering tests take a minute per surviving mutant), so it can be run in parts:
`--only` takes mutmut's mutant-name patterns, and `--resume` continues in the same stage.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "mutation-stage"  # where mutmut runs (see stage())
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


def stage() -> Path:
    """A copy of the project for mutmut, with the package under its installed name.

    The checkout's `latent_atlas/` links to the top-level folders; mutmut follows no links
    and names a mutant by its file's path, while the tests import `latent_atlas.explorer...`.
    So the stage holds a real `latent_atlas/` (the links resolved) and mutmut mutates it
    there: the mutants are named as the tests import them.
    """
    import tomllib

    shutil.rmtree(STAGE, ignore_errors=True)  # a fresh run, no stale results
    STAGE.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "latent_atlas", STAGE / "latent_atlas", symlinks=False, ignore=skip)
    shutil.copytree(ROOT / "tests", STAGE / "tests", ignore=skip)
    for name in ("explorer", "models", "resources"):  # paths some tests read the files by
        (STAGE / name).symlink_to(Path("latent_atlas") / name)
    text = (ROOT / "pyproject.toml").read_text()
    with open(ROOT / "pyproject.toml", "rb") as f:
        cfg = tomllib.load(f)["tool"]["mutmut"]
    start = text.index("[tool.mutmut]")
    end = text.find("\n[", start + 1)
    block = text[start:] if end < 0 else text[start:end + 1]
    staged = "\n".join([
        "[tool.mutmut]",
        'source_paths = ["latent_atlas"]',
        "also_copy = " + json.dumps(cfg.get("also_copy", [])),
        "only_mutate = " + json.dumps(["latent_atlas/" + p for p in cfg["only_mutate"]]),
        "pytest_add_cli_args = " + json.dumps(cfg["pytest_add_cli_args"]),
        "pytest_add_cli_args_test_selection = "
        + json.dumps(cfg["pytest_add_cli_args_test_selection"]),
        "",
    ])
    (STAGE / "pyproject.toml").write_text(text.replace(block, staged))
    (STAGE / "commit.txt").write_text(_commit() + "\n")
    return STAGE


def _commit() -> str:
    """The checkout's commit, with "+changes" when its tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_mutmut(max_children: int, patterns: list[str] | None = None,
               resume: bool = False) -> None:
    where = STAGE if resume and (STAGE / "mutants").is_dir() else stage()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)  # the mutated copy in mutants/ must be what tests import
    log = ROOT / "mutation-run.log"
    print(f"running mutmut with {max_children} worker(s) in {where.name}/; log: {log.name}",
          flush=True)
    with open(log, "a" if resume else "w") as out:
        rc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                             str(max_children), *(patterns or [])], cwd=where, env=env, stdout=out,
                            stderr=subprocess.STDOUT).returncode
    if rc != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed (exit {rc}); end of {log.name}:\n{tail}")


def collect() -> list[Mutant]:
    from mutmut.__main__ import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    mutants: list[Mutant] = []
    metas = sorted(glob.glob(str(STAGE / "mutants" / "**" / "*.py.meta"), recursive=True))
    if not metas:
        raise SystemExit(f"no results in {STAGE.name}/mutants/: run without --report first")
    cwd = os.getcwd()
    os.chdir(STAGE)
    try:
        for meta in metas:
            source = Path(meta).relative_to(STAGE / "mutants").with_suffix("")
            codes = json.loads(Path(meta).read_text())["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                status = status_by_exit_code[code]
                removed: list[str] = []
                added: list[str] = []
                if status not in KILLED and status != "not checked":
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


def report(mutants: list[Mutant], template: bool = False,
           patterns: list[str] | None = None) -> int:
    equivalents = read_equivalents()
    if patterns:
        mutants = [m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in patterns)]
    unchecked = [m for m in mutants if m.status == "not checked"]
    mutants = [m for m in mutants if m.status != "not checked"]
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
    if stale and not unchecked and not patterns:  # only a whole run can tell
        print(f"\nnote: {len(stale)} entry(ies) of {EQUIVALENT_FILE.name} matched no mutant "
              "(the code changed?): " + ", ".join(k[0] for k in stale[:10]))
    timeouts = sum(m.status == "timeout" for m in killed)
    no_tests = sum(m.status == "no tests" for m in survived)
    print(f"\n(timeouts counted as killed: {timeouts}; survivors without any covering test: "
          f"{no_tests})")
    part = ""
    if unchecked or patterns:
        commit = STAGE / "commit.txt"
        made = commit.read_text().strip() if commit.exists() else "unknown"
        part = f" not_checked={len(unchecked)} commit={made}"
    print(f"mutants={len(mutants)} killed={len(killed)} survived={len(survived)} "
          f"equivalent={len(equivalent)}{part}")
    return 1 if survived else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true", help="report the last run only")
    parser.add_argument("--template", action="store_true",
                        help="print equivalent-file entries for the undocumented survivors")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", action="append", metavar="PATTERN",
                        help="mutmut mutant-name pattern, e.g. 'latent_atlas.models.networks.*' "
                             "(repeatable): run and report only those")
    parser.add_argument("--resume", action="store_true",
                        help="go on in the existing stage: finished mutants keep their result")
    args = parser.parse_args(argv)
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print('mutmut is not installed: pip install -e ".[mutation]"', file=sys.stderr)
        return 2
    if not (args.report or args.template):
        run_mutmut(args.max_children, args.only, resume=args.resume)
    return report(collect(), template=args.template, patterns=args.only)


if __name__ == "__main__":
    sys.exit(main())
