"""The scope of a fixture that a test module's tests share.

`shared` is "module" (built once per test file), except under mutmut. mutmut maps each
test to the functions it calls and, for a mutant, runs only the tests that call the
mutated function; a module fixture's calls count for the first test that requested it
alone, so the module's other tests (and what they check of the shared result) would
never run against a mutant of those functions. Under mutmut every test builds the
fixture itself and is mapped to what it checks.

    @pytest.fixture(scope=shared)
"""

from __future__ import annotations

import os


def shared(fixture_name: str, config) -> str:
    return "function" if os.environ.get("MUTANT_UNDER_TEST") else "module"
