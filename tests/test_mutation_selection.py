"""The mutation campaign (benchmarks/mutation.py) runs only the test files listed under
[tool.mutmut] pytest_add_cli_args_test_selection in pyproject.toml. A test file written
later that exercises a mutated module must be in that list, or its checks never count
against a mutant (issue 25 found 25 mutants with no covering test for that reason). This
test derives the mutated modules from `only_mutate` and fails when a test file importing
one of them is neither selected nor excluded here with a reason."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# test files that import a mutated module but cannot usefully run per mutant, and why
EXCLUDED = {
    "tests/test_types.py": "runs mypy over the source; it never executes the mutated code",
    "tests/test_one_runner.py": "reads the source text for forbidden patterns; executes none",
    "tests/cli/test_cli_ddp.py": "spawns two torchrun processes that import the installed "
                             "package, not mutmut's mutated copy",
}
# Windows (Qt) tests need a display server and the fuzz helpers are not tests.
SKIPPED_FOLDERS = ("tests/qt/", "tests/fuzz/")


def _config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mutmut"]


def _mutated_modules() -> list[str]:
    # paths in the checkout; imported under the installed package name
    return ["latent_atlas." + p.removesuffix(".py").replace("/", ".") for p in _config()["only_mutate"]]


def _imports(text: str, module: str) -> bool:
    package, _, name = module.rpartition(".")
    patterns = (rf"^\s*from {re.escape(module)} import ", rf"^\s*import {re.escape(module)}\b",
                rf"^\s*from {re.escape(package)} import [^\n]*\b{re.escape(name)}\b")
    return any(re.search(p, text, re.MULTILINE) for p in patterns)


def exercising_files() -> dict[str, list[str]]:
    """test file (relative path) -> the mutated modules it imports."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(SKIPPED_FOLDERS):
            continue
        text = path.read_text(encoding="utf-8")
        mods = [m for m in _mutated_modules() if _imports(text, m)]
        if mods:
            found[rel] = mods
    return found


def test_every_test_file_that_exercises_a_mutated_module_is_selected():
    selected = set(_config()["pytest_add_cli_args_test_selection"])
    missing = {f: mods for f, mods in exercising_files().items()
               if f not in selected and f not in EXCLUDED}
    assert not missing, ("add these to pytest_add_cli_args_test_selection in pyproject.toml "
                         f"(or to EXCLUDED here, with a reason): {missing}")


def test_the_selection_and_the_exclusions_name_files_that_exist():
    for rel in list(_config()["pytest_add_cli_args_test_selection"]) + list(EXCLUDED):
        assert (ROOT / rel).is_file(), rel
    # the scan itself finds what it should (so the first test cannot pass vacuously)
    found = exercising_files()
    assert "latent_atlas.explorer.core.analysis.comparison.metrics" in found["tests/core/test_metrics.py"]
    assert "latent_atlas.models.losses" in found["tests/models/test_loss_values.py"]


def test_fixtures_shared_by_a_selected_module_are_built_per_test_under_mutmut(monkeypatch):
    """A module-scoped fixture's calls count, for mutmut, only for the first test that asks
    for it: the other tests of the file would never run against a mutant of what the
    fixture calls (issue 25: seven mutants of the streamed compare table survived so,
    although a test of that file kills each of them). The selected files share fixtures
    through `tests.fixture_scope.shared` instead."""
    from tests.fixture_scope import shared

    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    assert shared("f", None) == "module"
    monkeypatch.setenv("MUTANT_UNDER_TEST", "latent_atlas.models.losses.x_corrupt__mutmut_1")
    assert shared("f", None) == "function"
    literal = re.compile(r"@pytest\.fixture\([^)]*scope=['\"](module|package|class)['\"]")
    offenders = [path for path in _config()["pytest_add_cli_args_test_selection"]
                 if literal.search((ROOT / path).read_text())]
    assert offenders == [], f"use scope=shared (tests/fixture_scope.py) in {offenders}"
