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


def _conftest(request):
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", "").endswith(str(Path("tests", "conftest.py"))):
            return plugin
    raise AssertionError("tests/conftest.py is not loaded")


class _Item:
    def __init__(self, nodeid):
        self.nodeid = nodeid


def test_under_mutmut_the_covering_tests_run_fastest_first(request, tmp_path, monkeypatch):
    conftest = _conftest(request)
    items = [_Item("t.py::slow"), _Item("t.py::unknown"), _Item("t.py::fast"), _Item("t.py::mid")]
    (tmp_path / conftest.MUTMUT_STATS).write_text(
        '{"duration_by_test": {"t.py::slow": 20.0, "t.py::fast": 0.1, "t.py::mid": 2.0}}')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")  # mutmut's own runs keep their order
    conftest.pytest_collection_modifyitems(request.config, items)
    assert [i.nodeid for i in items] == ["t.py::slow", "t.py::unknown", "t.py::fast", "t.py::mid"]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "latent_atlas.models.losses.x_corrupt__mutmut_3")
    conftest.pytest_collection_modifyitems(request.config, items)
    assert [i.nodeid for i in items] == ["t.py::fast", "t.py::mid", "t.py::slow", "t.py::unknown"]


def test_without_mutmut_stats_the_order_is_kept(request, tmp_path, monkeypatch):
    conftest = _conftest(request)
    items = [_Item("t.py::b"), _Item("t.py::a")]
    monkeypatch.chdir(tmp_path)  # no stats file here
    monkeypatch.setenv("MUTANT_UNDER_TEST", "latent_atlas.models.losses.x_corrupt__mutmut_3")
    conftest.pytest_collection_modifyitems(request.config, items)
    assert [i.nodeid for i in items] == ["t.py::b", "t.py::a"]
