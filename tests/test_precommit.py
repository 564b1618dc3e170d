"""The pre-commit hooks, run for real by pre-commit against a scratch repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())

GOOD = "category contact\npurpose billing basis contract\npermit billing on contact to {DE}\n"
TESTED = GOOD + ('test "billing in Germany" {\n'
                 '  event {"purpose": "billing", "categories": ["contact"], "destination": "DE"}\n'
                 "  expect allow\n}\n")


def test_hook_definitions():
    assert [h["id"] for h in HOOKS] == ["lawful-fmt", "lawful-fmt-check", "lawful-lint", "lawful-test"]
    for hook in HOOKS:
        assert hook["language"] == "python" and hook["files"] == r"\.law$"
        assert hook["entry"].split()[0] == "lawful"
    from engine.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {h["entry"].split()[1] for h in HOOKS} <= set(commands)


RELEASE_TAG = "v" + tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory):
    """A snapshot of this working tree as a git repository pre-commit can clone."""
    source = tmp_path_factory.mktemp("lawful-repo")
    for name in ("engine", "grammar", "rules", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "_data"))
        else:
            shutil.copy(path, source / name)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "snapshot")
    # tagged as a release is (docs/ci.md): the hooks are used with `rev: v<version>` as written
    rev = RELEASE_TAG
    git(source, "tag", rev)
    return source, rev, tmp_path_factory.mktemp("pre-commit-home")


def test_the_documented_rev_is_the_release_tag_the_hooks_are_tested_with():
    """docs/ci.md's pre-commit example names `rev: v<version>`, the tag these tests use."""
    ci = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert f"    rev: {RELEASE_TAG}\n" in ci and f"@{RELEASE_TAG}" in ci


def run_hooks(tmp_path, hook_source, files: dict[str, str], hooks: str, changed: list[str] | None = None):
    source, rev, home = hook_source
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    for name, text in files.items():
        (project / "policies" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "policies" / name).write_text(text)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n{hooks}")
    git(project, "init", "-q")
    git(project, "add", "-A")
    which = ["--files", *changed] if changed is not None else ["--all-files"]
    result = subprocess.run([sys.executable, "-m", "pre_commit", "run", *which], cwd=project,
                            capture_output=True, text=True,
                            env={**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"})
    return result, project


def test_fmt_hook_rewrites_and_fails_then_passes(tmp_path, hook_source):
    result, project = run_hooks(tmp_path, hook_source, {"p.law": "category   contact\n"},
                                "      - id: lawful-fmt\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "reformatted policies/p.law" in result.stdout
    assert (project / "policies" / "p.law").read_text() == "category contact\n"


def test_lint_and_test_hooks_on_policy_folders(tmp_path, hook_source):
    hooks = ("      - id: lawful-fmt-check\n"
             "      - id: lawful-lint\n        args: [policies]\n"
             "      - id: lawful-test\n        args: [policies]\n")
    result, _ = run_hooks(tmp_path, hook_source, {"p.law": TESTED}, hooks)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == 3

    broken = TESTED.replace("expect allow", "expect deny") + 'obligation unused "x"\n'
    result, _ = run_hooks(tmp_path / "second", hook_source, {"p.law": broken}, hooks)
    assert result.returncode == 1
    assert "W0805" in result.stdout and "FAILED policies/p.law" in result.stdout


def test_lint_and_test_hooks_on_changed_files(tmp_path, hook_source):
    """With no `args`, the hooks get the changed files: each is linted and tested as
    part of its policy, and only its own warnings are reported."""
    shop = 'policy "shop"\n' + GOOD
    files = {"shop/rules.law": shop,
             "shop/tests.law": TESTED.split(GOOD, 1)[1],  # the test block alone: names from rules.law
             "lone.law": GOOD + 'obligation unused "x"\n'}
    hooks = "      - id: lawful-lint\n      - id: lawful-test\n"
    result, _ = run_hooks(tmp_path, hook_source, files, hooks, ["policies/shop/tests.law"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Passed") == 2
    result, _ = run_hooks(tmp_path / "second", hook_source, files, hooks, ["policies/lone.law"])
    assert result.returncode == 1 and "W0805" in result.stdout and "lone.law" in result.stdout
