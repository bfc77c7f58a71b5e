"""benchmarks/mutation.py's report: what a partial run's figure counts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module(tmp_path: Path, monkeypatch, equivalents: str):
    spec = importlib.util.spec_from_file_location("mutation_bench",
                                                  ROOT / "benchmarks" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)  # dataclasses look their module up
    spec.loader.exec_module(mod)
    eq = tmp_path / "equivalent.txt"
    eq.write_text(equivalents)
    read = mod.read_equivalents
    monkeypatch.setattr(mod, "read_equivalents", lambda: read(eq))
    monkeypatch.setattr(mod, "STAGE", tmp_path)
    return mod


def test_a_partial_run_counts_only_what_it_checked(tmp_path, capsys, monkeypatch):
    mod = _module(tmp_path, monkeypatch,
                  "# header\n\n[pkg.a.x_f]\n- x = 1\n+ x = 2\nwhy: the same\n")
    (tmp_path / "commit.txt").write_text("abc1234\n")
    M = mod.Mutant
    mutants = [M("pkg.a.x_f__mutmut_1", "killed", [], []),
               M("pkg.a.x_f__mutmut_2", "survived", ["x = 1"], ["x = 2"]),  # documented
               M("pkg.a.x_f__mutmut_3", "survived", ["y = 1"], ["y = 0"]),
               M("pkg.a.x_f__mutmut_4", "timeout", [], []),
               M("pkg.b.x_g__mutmut_1", "not checked", [], []),
               M("pkg.b.x_g__mutmut_2", "suspicious", ["z"], ["w"])]
    assert mod.report(mutants) == 1
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == (
        "mutants=5 killed=2 survived=2 equivalent=1 not_checked=1 commit=abc1234")
    assert "x_g__mutmut_1" not in out  # not checked is not a survivor
    assert mod.report(mutants, patterns=["pkg.a.*"]) == 1
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == (
        "mutants=4 killed=2 survived=1 equivalent=1 not_checked=0 commit=abc1234")
    assert "pkg.a.x_f__mutmut_3 (survived)" in out and "x_g" not in out


def test_a_whole_run_prints_the_plain_figure(tmp_path, capsys, monkeypatch):
    mod = _module(tmp_path, monkeypatch, "# header\n")
    mutants = [mod.Mutant("pkg.a.x_f__mutmut_1", "killed", [], [])]
    assert mod.report(mutants) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "mutants=1 killed=1 survived=0 equivalent=0")
