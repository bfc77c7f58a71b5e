"""Every one-command case of issue 14 (see cases.py): exit code 2, one readable line, no
hang, bounded memory, and the files that must survive are unchanged."""

from __future__ import annotations

import pytest
from cases import CASES
from fuzzkit import assert_one_line_error, run_many


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Build every case's files, then run all the commands in one warm fork runner."""
    prepared = []
    for case in CASES:
        folder = tmp_path_factory.mktemp(case.id.replace(".", "_"))
        argv = case.setup(folder)
        before = {name: (folder / name).read_bytes() for name in case.unchanged}
        prepared.append((case, folder, argv, before))
    runs = run_many([argv for _, _, argv, _ in prepared])
    return {case.id: (run, folder, before)
            for (case, folder, _, before), run in zip(prepared, runs, strict=True)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input_gets_one_readable_line(case, outcomes):
    run, folder, before = outcomes[case.id]
    assert_one_line_error(run, *case.needles)
    for name, blob in before.items():
        assert (folder / name).read_bytes() == blob, f"{name} was changed"
