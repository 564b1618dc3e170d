"""Shared fixtures. Golden files: run `pytest --update-goldens` to rewrite them,
then review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent


# No Hypothesis deadline: the tests check decisions, never timings (those are in
# benchmarks/), and a loaded CI machine must not turn a slow example into a failure.
settings.register_profile("lawful", deadline=None)
settings.load_profile("lawful")


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files instead of comparing with them")


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    """Tests run from the repository root, so locations in goldens are stable."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def golden(request):
    update = request.config.getoption("--update-goldens")

    def check(path: Path, actual: str) -> None:
        path = (ROOT / path).resolve()
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path.relative_to(ROOT)}; run pytest --update-goldens")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{path.relative_to(ROOT)} differs from the output"

    return check
