"""The analysis on the command line: `lawful explain --remedies` and `lawful diff`
(golden text and Markdown, JSON fields, --fail-on exit codes, bad usage).

The policies compared are tests/analysis/shop-old (a copy of the example shop)
and tests/analysis/shop-new: delivery also to Switzerland (a wider `to`), usage
data kept 6 months instead of 13 (a shorter `retain`), analytics without the
`pseudonymize` obligation, and a new forbid of phone numbers for delivery.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.cli import main

SHOP = "rules/examples/shop"
EVENTS = Path("examples/shop/events")
HERE = Path("tests/analysis")
OLD, NEW = str(HERE / "shop-old"), str(HERE / "shop-new")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stable(text: str) -> str:
    """The digests shown change with any edit of the policies (or of `use gdpr`)."""
    return re.sub(r"\(([0-9a-f]{12})\)", "(<digest>)", text)


# ---- explain --remedies ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "02-billing-to-us-denied",  # another destination, with the obligation it brings
    "05-newsletter-without-consent-denied",  # obtain a consent
    "17-support-us-without-safeguard-denied",  # a safeguard, a destination, or a derogation
    "10-newsletter-objected-denied",  # an objection to direct marketing: no lawful remedy
    "11-newsletter-age-unknown-denied",  # a parental consent, or supply the age
    "14-analytics-old-data-denied",  # retention exceeded: no lawful remedy
    "18-invalid-event-denied",
    "01-billing-allowed",
])
def test_explain_remedies_text(capsys, golden, name):
    code, out, err = run(capsys, "explain", SHOP, str(EVENTS / f"{name}.json"), "--remedies")
    assert code == 0 and err == ""
    explanation, _, remedies = out.rpartition("\n\n")  # the explanation, then the remedies
    assert explanation.startswith(("ALLOW", "DENY")) and "rules considered" in explanation
    golden(HERE / "remedies" / f"{name}.txt", remedies)


def test_explain_remedies_says_why_not_in_words(capsys):
    _, objected, _ = run(capsys, "explain", SHOP, str(EVENTS / "10-newsletter-objected-denied.json"), "--remedies")
    assert "no lawful remedy" in objected
    assert "rule gdpr_direct_marketing_objection · GDPR Art. 21(2), 21(3) · <gdpr>/objection.law:26:1" in objected
    _, consent, _ = run(capsys, "explain", SHOP, str(EVENTS / "05-newsletter-without-consent-denied.json"),
                        "--remedies")
    assert "  1. obtain a consent" in consent and "no lawful remedy" not in consent
    _, age, _ = run(capsys, "explain", SHOP, str(EVENTS / "11-newsletter-age-unknown-denied.json"), "--remedies")
    assert "missing facts" in age and "supply `subject.age`" in age
    _, allowed, _ = run(capsys, "explain", SHOP, str(EVENTS / "01-billing-allowed.json"), "--remedies")
    assert "allowed: the event needs no remedy" in allowed


def test_explain_without_remedies_is_unchanged(capsys):
    _, out, _ = run(capsys, "explain", SHOP, str(EVENTS / "05-newsletter-without-consent-denied.json"))
    assert "remed" not in out


def test_explain_remedies_json(capsys):
    code, out, _ = run(capsys, "explain", SHOP, str(EVENTS / "11-newsletter-age-unknown-denied.json"),
                       "--remedies", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"decision", "event_valid", "consent_required", "rules", "remedies"}
    remedies = data["remedies"]
    assert remedies["allowed"] is False and remedies["valid"] is True and remedies["no_remedy"] is False
    assert [[a["kind"] for a in r["actions"]] for r in remedies["remedies"]] == [["obtain-consent"]]
    assert remedies["remedies"][0]["actions"][0]["consent"] == "parental"
    assert [f["field"] for f in remedies["facts"]] == ["subject.age"]
    assert remedies["digest"] == data["decision"]["digest"]
    _, plain, _ = run(capsys, "explain", SHOP, str(EVENTS / "11-newsletter-age-unknown-denied.json"), "--json")
    assert "remedies" not in json.loads(plain)


def test_explain_remedies_json_no_remedy(capsys):
    _, out, _ = run(capsys, "explain", SHOP, str(EVENTS / "10-newsletter-objected-denied.json"),
                    "--remedies", "--json")
    remedies = json.loads(out)["remedies"]
    assert remedies["no_remedy"] is True and remedies["remedies"] == []
    assert remedies["blocked_by"][0]["rule"] == "gdpr_direct_marketing_objection"
    assert remedies["blocked_by"][0]["cite"] == "GDPR Art. 21(2), 21(3)"


# ---- diff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("form,suffix", [("text", "txt"), ("markdown", "md")])
def test_diff_golden(capsys, golden, form, suffix):
    code, out, err = run(capsys, "diff", OLD, NEW, "--format", form)
    assert code == 0 and err == ""  # no --fail-on: a diff is a report
    golden(HERE / f"diff.{suffix}", stable(out))


def test_diff_json(capsys):
    code, out, _ = run(capsys, "diff", OLD, NEW, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["exact"] is True
    assert data["old"]["name"] == data["new"]["name"] == "acme-shop"
    assert data["old"]["digest"] != data["new"]["digest"]
    assert data["counts"] == {"allow-to-deny": 2, "deny-to-allow": 1, "obligation-added": 0,
                              "obligation-removed": 1}
    opened = next(c for c in data["changes"] if c["kind"] == "deny-to-allow")
    assert opened["example"]["destination"] == "CH" and opened["verified"] is True
    assert opened["old"]["effect"] == "deny" and opened["new"]["effect"] == "allow"
    removed = next(c for c in data["changes"] if c["kind"] == "obligation-removed")
    assert removed["obligation"] == "pseudonymize"


def test_diff_of_a_policy_with_itself_is_empty(capsys):
    code, out, _ = run(capsys, "diff", OLD, OLD, "--fail-on", "any")
    assert code == 0 and out.endswith(": no decision changes\n")


@pytest.mark.parametrize("kinds,expected", [
    ("deny-to-allow", 1), ("allow-to-deny", 1), ("obligations", 1), ("obligation-added", 0),
    ("any", 1), ("obligation-added, deny-to-allow", 1),
])
def test_diff_fail_on(capsys, kinds, expected):
    code, _, err = run(capsys, "diff", OLD, NEW, "--fail-on", kinds)
    assert code == expected
    assert ("--fail-on" in err) == bool(expected)


def test_diff_fail_on_deny_to_allow_passes_a_stricter_policy(capsys, tmp_path):
    text = (HERE / "shop-old" / "shop.law").read_text(encoding="utf-8")
    stricter = text.replace("retain usage for 13 months", "retain usage for 6 months") + (
        '\nrule no_phone_delivery:\nforbid delivery on contact.phone\n  because "Couriers get no phone numbers"\n')
    (tmp_path / "shop.law").write_text(stricter, encoding="utf-8")
    code, out, err = run(capsys, "diff", OLD, str(tmp_path), "--fail-on", "deny-to-allow")
    assert code == 0 and err == "" and "2 allow-to-deny" in out
    code, _, err = run(capsys, "diff", OLD, str(tmp_path), "--fail-on", "allow-to-deny")
    assert code == 1 and "2 allow-to-deny (--fail-on allow-to-deny)" in err
    code, _, _ = run(capsys, "diff", str(tmp_path), OLD, "--fail-on", "deny-to-allow")  # the other way: wider
    assert code == 1


@pytest.mark.parametrize("argv,message", [
    (["diff", OLD, "missing/"], "error[E0001]: `missing/` does not exist"),
    (["diff", OLD], "the following arguments are required: NEW"),
    (["diff", OLD, NEW, "--fail-on", "stricter"], "`stricter` is not a kind of change"),
    (["diff", OLD, NEW, "--fail-on", ""], "is not a kind of change"),
    (["diff", OLD, NEW, "--format", "html"], "invalid choice: 'html'"),
])
def test_diff_usage_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_diff_of_a_policy_that_does_not_compile_exits_2_with_its_diagnostics(capsys, tmp_path):
    bad = tmp_path / "bad.law"
    bad.write_text("category contact\npermit billing on contact\n")
    code, out, err = run(capsys, "diff", OLD, str(bad))
    assert code == 2 and out == ""
    assert "error[E0201]: undefined purpose `billing`" in err and "^^^^^^^" in err


@pytest.mark.parametrize("what", ["remedies", "diff"])
def test_json_output_follows_its_published_schema(capsys, what):
    """`lawful schema remedies` and `lawful schema diff` print the JSON Schemas of
    `explain --remedies --json` (its `remedies`) and `diff --format json`: real
    output validates, and the schemas are closed (an unknown key is an error)."""
    import jsonschema

    code, text, _ = run(capsys, "schema", what)
    schema = json.loads(text)
    assert code == 0 and schema["title"] == what.capitalize()
    outputs = []
    if what == "remedies":
        for event in sorted(EVENTS.glob("*.json")):
            _, out, _ = run(capsys, "explain", SHOP, str(event), "--remedies", "--json")
            outputs.append(json.loads(out)["remedies"])
    else:
        _, out, _ = run(capsys, "diff", OLD, NEW, "--format", "json")
        outputs.append(json.loads(out))
    for output in outputs:
        jsonschema.validate(output, schema)
    outputs[0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(outputs[0], schema)
