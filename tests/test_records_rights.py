"""The rights and the Art. 13(2)(e) statement each lawful basis gives a purpose
(engine/records/rights.py), checked basis by basis against the GDPR articles."""

from __future__ import annotations

import pytest

from engine.check.declarations import BASES
from engine.records.model import Right
from engine.records.rights import NAMES, basis_words, provision_for, rights_for

ORDER = ["access", "rectification", "erasure", "restriction", "portability", "objection", "automated",
         "withdrawal", "complaint"]

# basis -> the rights that apply (besides access, rectification, restriction and complaint,
# which always do): ICO's lawful-basis table and Arts. 7(3), 17(3)(b), 20(1)(a), 21(1)
APPLIES = {
    "consent": {"erasure", "portability", "withdrawal"},
    "contract": {"erasure", "portability"},
    "legal_obligation": set(),
    "vital_interest": {"erasure"},
    "public_task": {"objection"},
    "legitimate_interest": {"erasure", "objection"},
    None: {"erasure"},
}
ALWAYS = {"access", "rectification", "restriction", "complaint"}


def by_id(rights: list[Right]) -> dict[str, Right]:
    return {r.id: r for r in rights}


def test_every_basis_of_the_language_is_covered():
    assert set(BASES) == {b for b in APPLIES if b is not None}


@pytest.mark.parametrize("basis", list(APPLIES))
@pytest.mark.parametrize("automated", [False, True])
def test_each_right_once_in_article_order_with_a_name_and_text(basis, automated):
    rights = rights_for(basis, automated)
    assert [r.id for r in rights] == ORDER
    assert set(NAMES) == set(ORDER)
    assert all(r.text.strip() and r.article.startswith("Art. ") for r in rights)


@pytest.mark.parametrize("basis", list(APPLIES))
def test_which_rights_apply_per_basis(basis):
    applying = {r.id for r in rights_for(basis, automated=False) if r.applies}
    assert applying == ALWAYS | APPLIES[basis]


@pytest.mark.parametrize("basis", list(APPLIES))
def test_automated_decisions_apply_exactly_when_declared(basis):
    assert by_id(rights_for(basis, True))["automated"].applies
    off = by_id(rights_for(basis, False))["automated"]
    assert not off.applies and "No decision based solely on automated processing" in off.text
    on = by_id(rights_for(basis, True))["automated"].text
    assert "Art. 22(3)" in on and "contest" in on


def test_automated_decisions_say_which_art_22_2_exception_fits():
    assert "Art. 22(2)(a), (c)" in by_id(rights_for("contract", True))["automated"].text
    assert "authorised by law" in by_id(rights_for("legitimate_interest", True))["automated"].text


@pytest.mark.parametrize("basis, ground", [
    ("consent", "Art. 17(1)(b)"), ("contract", "Art. 17(1)(a)"), ("legitimate_interest", "Art. 17(1)(c)"),
    ("vital_interest", "Art. 17(1)(a)"), ("legal_obligation", "Art. 17(3)(b)"), ("public_task", "Art. 17(3)(b)"),
])
def test_erasure_names_the_ground_of_the_basis(basis, ground):
    erasure = by_id(rights_for(basis, False))["erasure"]
    assert ground in erasure.text and erasure.article == "Art. 17"


def test_erasure_under_a_legal_obligation_says_the_law_requires_keeping_it():
    text = by_id(rights_for("legal_obligation", False))["erasure"].text
    assert "cannot have this data erased while the law requires us to keep it" in text


@pytest.mark.parametrize("basis", list(APPLIES))
def test_objection_always_states_direct_marketing_as_unknown_here(basis):
    text = by_id(rights_for(basis, False))["objection"].text
    assert "direct marketing" in text and "Art. 21(2)" in text and "not stated here" in text


@pytest.mark.parametrize("basis", ["consent", "contract", "legal_obligation", "vital_interest"])
def test_objection_that_does_not_apply_says_which_basis_it_rests_on(basis):
    text = by_id(rights_for(basis, False))["objection"].text
    assert "Art. 21(1)" in text and basis_words(basis) in text


def test_restriction_mentions_a_pending_objection_only_where_objection_applies():
    assert "objection is checked" in by_id(rights_for("legitimate_interest", False))["restriction"].text
    assert "objection" not in by_id(rights_for("contract", False))["restriction"].text


@pytest.mark.parametrize("basis", ["legal_obligation", "vital_interest", "public_task", "legitimate_interest"])
def test_portability_that_does_not_apply_points_to_art_20_1_a(basis):
    text = by_id(rights_for(basis, False))["portability"].text
    assert "only to processing based on your consent or on a contract" in text


def test_withdrawal_only_for_consent_and_as_easy_as_giving():
    assert "as easily as you gave it" in by_id(rights_for("consent", False))["withdrawal"].text
    assert "does not rest on your consent" in by_id(rights_for("contract", False))["withdrawal"].text


@pytest.mark.parametrize("basis, words", [
    ("contract", ["necessary to enter into or perform the contract", "cannot conclude or perform"]),
    ("legal_obligation", ["statutory requirement", "cannot meet that obligation"]),
    ("consent", ["voluntary", "no detriment"]),
    ("legitimate_interest", ["not required by law or contract", "object"]),
    ("vital_interest", ["not required", "vital interests"]),
    ("public_task", ["not a contractual requirement", "depends on the law"]),
    (None, ["states no legal basis"]),
])
def test_provision_per_basis(basis, words):
    text = provision_for(basis)
    assert all(w in text for w in words), text


def test_an_unknown_basis_is_stated_as_written_and_gives_only_the_general_rights():
    rights = by_id(rights_for("custom_basis", False))
    assert "custom_basis" in rights["portability"].text
    assert {r.id for r in rights.values() if r.applies} == ALWAYS | {"erasure"}
    assert "states no legal basis" in provision_for("custom_basis")
