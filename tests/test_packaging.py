"""The wheel works outside the repository: grammar and rules travel inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _site_packages(python: str) -> list[str]:
    """The site-packages folders of an interpreter (the running one: a venv)."""
    out = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib')); "
                          "print(sysconfig.get_path('platlib'))"], capture_output=True, text=True, check=True)
    return sorted(set(out.stdout.split()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel, install it in a fresh virtual environment, and let that
    environment import the dependencies from the *running* environment's
    site-packages (a path file: no network needed). `system_site_packages` would
    give it the base interpreter's instead, which on a fresh machine has none of
    them; and folders named by a path file are not scanned for path files, so the
    running environment's editable install of the checkout does not leak in."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    wheels = list((work / "dist").glob("lawful-*.whl"))
    assert len(wheels) == 1
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / "bin" / "python"
    [own] = _site_packages(str(python))
    Path(own, "_running_environment.pth").write_text("\n".join(_site_packages(sys.executable)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheels[0])], check=True, capture_output=True)
    return env_dir, wheels[0]


def test_wheel_contains_grammar_and_rules(installed):
    import zipfile

    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "engine/_data/grammar/policy.lark" in names
    assert "engine/_data/rules/gdpr/regions.law" in names
    assert "engine/_data/rules/gdpr_national/de/genetic.law" in names  # the national layers (`use gdpr.de`)
    assert "engine/_data/rules/examples/shop/shop.law" in names
    assert "engine/py.typed" in names  # applications that type-check see the annotations
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)  # Apache-2.0, as declared


def test_installed_cli_runs_from_another_directory(installed, tmp_path):
    env_dir, _ = installed
    policy = tmp_path / "p.law"
    policy.write_text("use gdpr\ncategory contact\npurpose billing basis contract\n"
                      "permit billing on contact to eea\n")
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"purpose": "billing", "categories": ["contact"], "destination": "IS"}))
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    result = subprocess.run([str(env_dir / "bin" / "lawful"), "eval", "p.law", "e.json", "--json"],
                            cwd=tmp_path, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["effect"] == "allow"
    # the library's rules travel too: a transfer to the US with no safeguard is denied
    event.write_text(json.dumps({"purpose": "billing", "categories": ["contact"], "destination": "US"}))
    result = subprocess.run([str(env_dir / "bin" / "lawful"), "eval", "p.law", "e.json", "--json"],
                            cwd=tmp_path, capture_output=True, text=True, env=environment)
    reasons = json.loads(result.stdout)["reasons"]
    assert "gdpr_transfers" in [r["rule"] for r in reasons]
    assert any(r["location"] and r["location"].startswith("<gdpr>/transfers.law") for r in reasons)
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                            "import engine, engine.core.resources as r; print(engine.__file__); "
                            "print(r.data_dir('grammar')); print(r.data_dir('rules'))"],
                           cwd=tmp_path, capture_output=True, text=True, env=environment, check=True)
    package, grammar, rules = where.stdout.split()
    assert str(env_dir) in package and str(env_dir) in grammar and str(env_dir) in rules
