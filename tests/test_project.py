"""A repository of policies, through the real command line: discovery, excludes,
.gitignore, configuration, and the options CI uses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.cli import main
from engine.tools.project import Discovery, TestFilter, enabled, load_config

ROOT = Path(__file__).resolve().parent.parent

SHOP_RULES = """policy "shop"

category contact
purpose billing basis contract
permit billing on contact to {DE}
"""
SHOP_TESTS = """test "billing in Germany" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "DE"}
  expect allow
}

test "billing in France" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "FR"}
  expect deny
}
"""
#: a single-file policy with two warnings: an unused obligation (W0805) and region (W0803)
LONE = """category contact
purpose billing basis contract
region nowhere = {FR}
obligation unused "never used"
permit billing on contact to {DE}

test "lone billing" {
  event {"purpose": "billing", "categories": ["contact"], "destination": "DE"}
  expect allow
}
"""
#: a policy directory with a subfolder, and an unused region in the subfolder's file
HR_MAIN = """policy "hr"

category staff
purpose payroll basis contract
permit payroll on staff to {DE}
"""
HR_EXTRA = """region unused_region = {FR}

test "payroll in Germany" {
  event {"purpose": "payroll", "categories": ["staff"], "destination": "DE"}
  expect allow
}
"""
BROKEN = "permit nothing\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Three policies (a policy directory of two files, a single file, a directory with
    a subfolder), a virtual environment holding .law files, a .gitignore'd folder, and
    a lawful.toml; the current directory is the repository."""
    root = tmp_path / "repo"
    files = {
        "policies/shop/rules.law": SHOP_RULES,
        "policies/shop/tests.law": SHOP_TESTS,
        "policies/lone.law": LONE,
        "policies/hr/main.law": HR_MAIN,
        "policies/hr/more/extra.law": HR_EXTRA,
        ".venv/lib/python3/site-packages/engine/_data/rules/x.law": BROKEN,
        "env/lib/copy.law": BROKEN,  # a virtual environment by another name
        "generated/out.law": BROKEN,  # ignored by git
        "vendor/third.law": BROKEN,  # excluded by the configuration
        "build/b.law": BROKEN,  # excluded by default
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("generated/\n")
    (root / "lawful.toml").write_text(
        'extend-exclude = ["vendor/"]\n'
        "\n"
        "[lint]\n"
        'ignore = ["W0803"]\n'
        '\n[lint.per-file-ignores]\n'
        '"policies/lone.law" = ["W0805"]\n')
    monkeypatch.chdir(root)
    return root


# ---- discovery ---------------------------------------------------------------------------


def test_discovery_finds_the_three_policies_and_skips_the_rest(repo):
    targets = Discovery(load_config()).policies(["."])
    assert [(t.name, t.files) for t in targets] == [
        ("policies/hr", ["policies/hr/main.law", "policies/hr/more/extra.law"]),
        ("policies/lone.law", ["policies/lone.law"]),
        ("policies/shop", ["policies/shop/rules.law", "policies/shop/tests.law"]),
    ]
    assert all(t.only is None for t in targets)


def test_exclude_and_extend_exclude_on_the_command_line(repo, capsys):
    """As ruff: --extend-exclude adds to the configured patterns, --exclude replaces
    the `exclude` list (so `build/` is read again; the default still skips venvs)."""
    code, out, _ = run(capsys, "test", ".", "--extend-exclude", "policies/lone.law,policies/hr", "-v")
    assert code == 0 and "billing in France" in out
    assert "lone billing" not in out and "payroll" not in out
    code, out, _ = run(capsys, "lint", ".", "--exclude", "nothing", "--format", "json")
    files = {f["file"] for f in json.loads(out)["findings"]}
    assert "build/b.law" in files and not any(f.startswith((".venv", "env/")) for f in files)
    code, out, _ = run(capsys, "lint", ".", "--show-config", "--extend-exclude", "x/")
    assert '"vendor/", "x/"' in out and "command line" in out


def test_a_policy_directory_inside_another_is_its_own(repo):
    (repo / "policies/hr/inner").mkdir()
    (repo / "policies/hr/inner/p.law").write_text('policy "inner"\ncategory c\n')
    names = [t.name for t in Discovery(load_config()).policies(["policies"])]
    assert names == ["policies/hr", "policies/hr/inner", "policies/lone.law", "policies/shop"]
    hr = Discovery(load_config()).policies(["policies/hr"])[0]
    assert "policies/hr/inner/p.law" not in hr.files


def test_lint_of_the_repository_applies_the_configuration(repo, capsys):
    # W0803 is ignored everywhere, W0805 in lone.law: nothing is left
    code, out, _ = run(capsys, "lint", ".")
    assert code == 0 and out == "no findings in .\n"
    code, out, _ = run(capsys, "lint", ".", "--format", "json")
    assert [p["path"] for p in json.loads(out)["policies"]] == ["policies/hr", "policies/lone.law",
                                                                "policies/shop"]


def test_lint_select_and_ignore_on_the_command_line(repo, capsys):
    code, out, _ = run(capsys, "lint", ".", "--select", "W08", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["findings"] == []  # --select replaces, the ignores stay
    (repo / "lawful.toml").write_text('extend-exclude = ["vendor/"]\n')
    code, out, _ = run(capsys, "lint", ".", "--format", "json")
    codes = sorted((f["code"], f["file"]) for f in json.loads(out)["findings"])
    assert code == 1 and codes == [("W0803", "policies/hr/more/extra.law"), ("W0803", "policies/lone.law"),
                                   ("W0805", "policies/lone.law")]
    code, out, _ = run(capsys, "lint", ".", "--ignore", "W0803,W0805")
    assert code == 0 and out.startswith("no findings")
    code, out, _ = run(capsys, "lint", ".", "--select", "W0805", "--format", "json")
    assert [f["code"] for f in json.loads(out)["findings"]] == ["W0805"]
    code, _, err = run(capsys, "lint", ".", "--select", "W9999")
    assert code == 2 and "--select: `W9999` is no diagnostic code" in err
    code, _, err = run(capsys, "lint", ".", "--ignore", "E0201")
    assert code == 2 and "cannot name errors" in err


def test_statistics_and_exit_zero(repo, capsys):
    (repo / "lawful.toml").write_text('extend-exclude = ["vendor/"]\n')
    code, out, _ = run(capsys, "lint", ".", "--statistics")
    assert code == 1
    assert out.splitlines() == ["    2  W0803  " + out.splitlines()[0].split("W0803  ")[1],
                                "    1  W0805  " + out.splitlines()[1].split("W0805  ")[1],
                                "3 finding(s) in 3 policies"]
    code, out, _ = run(capsys, "lint", ".", "--statistics", "--format", "json")
    assert [(s["code"], s["count"]) for s in json.loads(out)] == [("W0803", 2), ("W0805", 1)]
    code, out, _ = run(capsys, "lint", ".", "--exit-zero")
    assert code == 0 and "warning[W0805]" in out
    (repo / "policies/lone.law").write_text(BROKEN)
    assert main(["lint", ".", "--exit-zero"]) == 0
    assert main(["lint", "."]) == 1
    capsys.readouterr()


def test_a_named_file_reports_only_its_own_warnings(repo, capsys):
    (repo / "lawful.toml").write_text('extend-exclude = ["vendor/"]\n')
    # extra.law is linted as part of policies/hr (its names are defined in main.law)
    code, out, _ = run(capsys, "lint", "policies/hr/more/extra.law", "--format", "json")
    data = json.loads(out)
    assert code == 1 and [p["path"] for p in data["policies"]] == ["policies/hr"]
    assert [(f["code"], f["file"]) for f in data["findings"]] == [("W0803", "policies/hr/more/extra.law")]
    code, out, _ = run(capsys, "lint", "policies/hr/main.law")
    assert code == 0 and out == "no findings in policies/hr/main.law\n"
    # an error elsewhere in the policy is reported: the policy does not compile
    (repo / "policies/hr/main.law").write_text(HR_MAIN + "permit nothing\n")
    code, out, _ = run(capsys, "lint", "policies/hr/more/extra.law")
    assert code == 1 and "E0201" in out and "policies/hr/main.law:6" in out


def test_named_paths_are_taken_as_given_unless_force_exclude(repo, capsys):
    code, out, _ = run(capsys, "lint", "vendor/third.law")
    assert code == 1 and "E0201" in out
    code, _, err = run(capsys, "lint", "vendor/third.law", "--force-exclude")
    assert code == 0 and "no policies found" in err
    code, _, _ = run(capsys, "lint", "generated/out.law", "policies/shop/rules.law", "--force-exclude")
    assert code == 0


def test_test_runs_every_policy_with_k_and_verbose(repo, capsys):
    code, out, _ = run(capsys, "test", ".")
    lines = out.splitlines()
    assert code == 0
    assert lines[:3] == ["policies/hr .", "policies/lone.law .", "policies/shop .."]
    assert lines[-1].startswith("4 passed, 0 failed in ")
    code, out, _ = run(capsys, "test", ".", "-k", "germany and not payroll", "-v")
    assert code == 0
    assert out.splitlines()[0] == "PASSED policies/shop/tests.law:1:1  billing in Germany"
    assert out.splitlines()[-1].startswith("1 passed, 0 failed, 3 deselected in ")
    code, out, _ = run(capsys, "test", ".", "-k", "lone.law")  # the file matches too
    assert code == 0 and out.splitlines()[-1].startswith("1 passed, 0 failed, 3 deselected")
    code, _, err = run(capsys, "test", ".", "-k", "germany and")
    assert code == 2 and "-k: " in err


def test_test_of_a_named_file_runs_its_whole_policy(repo, capsys):
    code, out, _ = run(capsys, "test", "policies/shop/rules.law")
    assert code == 0 and out.splitlines()[0] == "policies/shop .."


def test_junit_has_one_testsuite_per_policy(repo, capsys):
    (repo / "policies/shop/tests.law").write_text(SHOP_TESTS.replace("expect deny", "expect allow"))
    code, _, _ = run(capsys, "test", ".", "--junit", "report.xml")
    assert code == 1
    suites = ET.parse(repo / "report.xml").getroot()
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("policies/hr", "1", "0"), ("policies/lone.law", "1", "0"), ("policies/shop", "2", "1")]
    assert suites.get("tests") == "4" and suites.get("failures") == "1"


def test_test_json_output(repo, capsys):
    code, out, _ = run(capsys, "test", ".", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["version"] == 1
    assert [p["path"] for p in data["policies"]] == ["policies/hr", "policies/lone.law", "policies/shop"]
    test = data["policies"][2]["tests"][1]
    assert test["name"] == "billing in France" and test["passed"] and test["effect"] == "deny"
    assert test["file"] == "policies/shop/tests.law" and test["line"] == 6
    assert data["summary"] == {**data["summary"], "passed": 4, "failed": 0, "deselected": 0}


# ---- fmt ------------------------------------------------------------------------------------


def test_fmt_reads_stdin_and_writes_stdout(repo, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("category   contact\n"))
    code, out, _ = run(capsys, "fmt", "-")
    assert code == 0 and out == "category contact\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO("category   contact\n"))
    code, out, _ = run(capsys, "fmt", "-", "--check")
    assert code == 1 and out == ""
    monkeypatch.setattr(sys, "stdin", io.StringIO("category contact\n"))
    assert main(["fmt", "-", "--check"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("category Contact\n"))
    code, out, err = run(capsys, "fmt", "-")
    assert code == 2 and out == "" and "<stdin>:1" in err


def test_fmt_check_and_diff_together(repo, capsys):
    (repo / "policies/shop/rules.law").write_text(SHOP_RULES.replace("category contact", "category   contact"))
    code, out, err = run(capsys, "fmt", "--check", "--diff", ".")
    assert code == 1
    assert "--- a/policies/shop/rules.law" in out and "+category contact" in out
    assert err == "would reformat policies/shop/rules.law\n"
    assert "category   contact" in (repo / "policies/shop/rules.law").read_text()  # unchanged
    # the excluded, ignored and venv folders are not formatted
    (repo / "vendor/third.law").write_text("category   x\n")
    assert main(["fmt", "."]) == 0
    assert (repo / "vendor/third.law").read_text() == "category   x\n"
    assert main(["fmt", "--check", "."]) == 0


# ---- configuration --------------------------------------------------------------------------


def test_show_config_names_where_each_setting_came_from(repo, capsys):
    code, out, _ = run(capsys, "lint", "--show-config", ".", "--select", "W08")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"# configuration: {repo / 'lawful.toml'}"
    assert 'extend-exclude = ["vendor/"]  # lawful.toml:1' in lines
    assert 'ignore = ["W0803"]  # lawful.toml:4' in lines
    assert 'select = ["W08"]  # command line' in lines
    assert 'fail-on = "warning"  # default' in lines
    code, out, _ = run(capsys, "test", "--show-config", "--coverage")  # no path needed here
    assert code == 0 and "coverage = true  # command line" in out.splitlines()
    code, _, err = run(capsys, "test")
    assert code == 2 and "needs a path" in err


def test_config_is_found_walking_up_and_pyproject_needs_its_table(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo / "policies" / "hr")
    assert load_config().file == repo / "lawful.toml"
    (repo / "policies" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config().file == repo / "lawful.toml"  # passed over: no [tool.lawful]
    (repo / "policies" / "pyproject.toml").write_text('[tool.lawful.lint]\nfail-on = "error"\n')
    config = load_config()
    assert config.file == repo / "policies" / "pyproject.toml" and config["lint.fail-on"] == "error"
    assert config.origin["lint.fail-on"] == "pyproject.toml:2"


@pytest.mark.parametrize("text, message", [
    ('[lint]\nselct = ["W08"]\n', "lawful.toml:2: `lint.selct` is not a configuration key (did you mean `select`?)"),
    ('exclude = "build"\n', "lawful.toml:1: `exclude` must be a list of strings"),
    ('[lint]\nfail-on = "info"\n', 'lawful.toml:2: `lint.fail-on` must be "error" or "warning"'),
    ('\n[lint]\nignore = ["X1"]\n', "lawful.toml:3: `lint.ignore` `X1` is no diagnostic code or prefix"),
    ('[lint.per-file-ignores]\n"a.law" = "W08"\n', "lawful.toml:1: `lint.per-file-ignores` `a.law`: must be"),
    ("lint = 3\n", "lawful.toml:1: `lint` must be a table"),
    ("[lint\n", "lawful.toml:1:6: not valid TOML"),
])
def test_bad_configuration_is_a_located_usage_error(repo, capsys, text, message):
    (repo / "lawful.toml").write_text(text)
    for command in (["lint", "."], ["test", "."], ["fmt", "--check", "."]):
        code, _, err = run(capsys, *command)
        assert code == 2 and message in err and "Traceback" not in err, err


def test_pyproject_errors_name_the_tool_table(repo, capsys):
    (repo / "lawful.toml").unlink()
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.lawful]\npaths = [1]\n')
    code, _, err = run(capsys, "lint", ".")
    assert code == 2 and "pyproject.toml:5: `tool.lawful.paths` must be a list of strings" in err


def test_config_paths_make_a_folder_one_policy(repo, capsys):
    (repo / "lib").mkdir()
    (repo / "lib/a.law").write_text("category c\n")
    (repo / "lib/b.law").write_text("purpose p basis contract\npermit p on c to {DE}\n")
    assert [t.name for t in Discovery(load_config()).policies(["lib"])] == ["lib/a.law", "lib/b.law"]
    (repo / "lawful.toml").write_text('paths = ["lib"]\n')
    [target] = Discovery(load_config()).policies(["lib"])
    assert target.name == "lib" and target.files == ["lib/a.law", "lib/b.law"]
    assert main(["lint", "lib"]) == 0
    capsys.readouterr()


def test_selection_follows_the_most_specific_prefix():
    assert enabled("W0805", [], [])
    assert not enabled("W0805", [], ["W08"])
    assert enabled("W0805", ["W0805"], ["W08"])
    assert not enabled("W0805", ["W08"], ["W0805"])
    assert not enabled("W0901", ["W08"], [])
    assert not enabled("W0805", ["W08"], ["W08"])


def test_k_expressions():
    keep = TestFilter("(germany or france) and not billing")
    assert keep("payroll in Germany", "p.law") and not keep("billing in Germany", "p.law")
    assert not keep("payroll in Spain", "p.law")
    for bad in ("", "a and", "(a", "a )", "or b"):
        with pytest.raises(ValueError):
            TestFilter(bad)


# ---- this repository ------------------------------------------------------------------------


def test_this_repository_is_clean_through_the_installed_command():
    for command in (["lint", "."], ["test", "."], ["fmt", "--check", "."]):
        done = subprocess.run([sys.executable, "-m", "engine", *command], cwd=ROOT, capture_output=True,
                              text=True)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    targets = Discovery(load_config(ROOT), ROOT).policies([str(ROOT)])
    names = [Path(t.name).relative_to(ROOT).as_posix() for t in targets]
    assert names == ["rules/examples/health", "rules/examples/identity", "rules/examples/shop", "rules/gdpr", "rules/gdpr_national/de",
                     "rules/gdpr_national_tests/de", "rules/gdpr_tests"]


def test_test_json_output_follows_its_published_schema(repo, capsys):
    """`lawful test --format json` is a contract: `lawful schema test-report` prints its
    JSON Schema, and real output (passing and failing tests) validates against it."""
    import jsonschema

    code, schema_text, _ = run(capsys, "schema", "test-report")
    schema = json.loads(schema_text)
    assert code == 0 and schema["title"] == "TestReport"
    (repo / "policies/shop/tests.law").write_text(SHOP_TESTS.replace("expect deny", "expect allow"))
    code, out, _ = run(capsys, "test", ".", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["summary"]["failed"] == 1
    jsonschema.validate(report, schema)
    report["summary"]["surprise"] = 1  # the schema is closed: an unknown key is an error
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema)
