"""The fidelity suite's mutants stay applicable: each one's edits match the current code
exactly once, so a refactor cannot turn a mutant into a clean copy without notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.fidelity.__main__ import copy_project, main
from harness.fidelity.mutants import Edit, Mutant, MutantError, load_mutants

KINDS_REQUIRED = {
    "errors", "latency", "lost events", "duplicated events", "money", "stock", "alert rules",
    "probe journeys",
}  # fmt: skip


def test_mutants_cover_every_kind_of_regression() -> None:
    mutants = load_mutants()
    assert {m.kind for m in mutants} >= KINDS_REQUIRED
    assert len(mutants) >= 8


def test_every_mutant_applies_to_a_copy_of_the_project(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    for mutant in load_mutants():
        before = {e.file: (copy / e.file).read_text() for e in mutant.edits}
        mutant.apply(copy)
        for edit in mutant.edits:
            path = copy / edit.file
            assert path.read_text() != before[edit.file], mutant.name
            if path.suffix == ".py":
                compile(path.read_text(), str(path), "exec")  # still valid Python
        for file, text in before.items():  # the next mutant starts from clean code
            (copy / file).write_text(text)


def test_a_mutant_that_no_longer_matches_is_refused(tmp_path: Path) -> None:
    (tmp_path / "code.py").write_text("x = 1\nx = 1\n")
    twice = Mutant(
        name="twice", kind="errors", description="d",
        edits=[Edit(file="code.py", find="x = 1", replace="x = 2")],
    )  # fmt: skip
    with pytest.raises(MutantError, match=r"occurs 2 times in code\.py"):
        twice.apply(tmp_path)


def test_list_and_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(m.name in listed for m in load_mutants())
    assert main(["--mutants", "no-such-mutant", "--clean", "0"]) == 2
    assert "unknown mutants: no-such-mutant" in capsys.readouterr().err
