"""The event is described once (engine/event/fields.py): the hand-written model
and its JSON Schema equal the description, and every table that knows the
event's shape is the one computed from it."""

from __future__ import annotations

import re

import pydantic
import pytest

from engine.check.declarations import FIELD_ROOTS
import engine.check.expressions as expressions
from engine.decide import fast, reference
from engine.event import fields, model
from engine.event.schema import event_schema
from engine.event.timestamps import TIMESTAMP_PATTERN
from engine.tools import highlight, repl
from helpers import event, policy

MODELS = {(): model.Event, ("subject",): model.Subject, ("subject", "consents"): model.ConsentRecord}
SCHEMA = model.Event.model_json_schema()


def described_objects():
    """(path, fields) for the event and each object in it."""
    yield (), fields.EVENT
    for path, field in fields.walk():
        if field.fields:
            yield path, field.fields


OBJECTS = [pytest.param(path, described, id=".".join(path) or "event") for path, described in described_objects()]

@pytest.mark.parametrize("path, described", OBJECTS)
def test_the_model_has_the_described_fields_requirements_and_defaults(path, described):
    found = MODELS[path].model_fields
    assert list(found) == [f.name for f in described]
    for field in described:
        info = found[field.name]
        assert info.is_required() == field.required, field.name
        if not field.required:
            default = info.get_default(call_default_factory=True)
            if isinstance(default, pydantic.BaseModel):
                default = default.model_dump()
            assert default == field.default_value(), field.name
    assert MODELS[path].model_config["extra"] == "forbid"


def _value(prop: dict) -> dict:
    """A property's schema less its `null` option."""
    [value] = [o for o in prop.get("anyOf", [prop]) if o != {"type": "null"}]
    return value


def _schema_of(path, schema=SCHEMA):
    """The schema of the object at `path` (the event's, the subject's, a consent's)."""
    node = schema
    for name in path:
        option = _value(node["properties"][name])
        option = option.get("items", option)
        node = schema["$defs"][option["$ref"].rsplit("/", 1)[1]] if "$ref" in option else option
    return node


KIND_SCHEMA = {
    fields.STRING: {"type": "string"},
    fields.INT: {"type": "integer"},
    fields.BOOL: {"type": "boolean"},
    fields.TIMESTAMP: {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN},
    fields.STRINGS: {"type": "array", "items": {"type": "string"}},
    fields.JSON: {"type": "object", "additionalProperties": True},
}


@pytest.mark.parametrize("path, described", OBJECTS)
def test_the_json_schema_has_the_described_fields_kinds_bounds_and_defaults(path, described):
    node = _schema_of(path)
    assert node["type"] == "object" and node["additionalProperties"] is False
    assert list(node["properties"]) == [f.name for f in described]
    assert node.get("required", []) == [f.name for f in described if f.required]
    for field in described:
        prop = node["properties"][field.name]
        assert ({"type": "null"} in prop.get("anyOf", [])) == (not field.required), field.name  # null is absent
        value = _value(prop)
        if not field.required:
            assert prop["default"] == field.default_value(), field.name
        if field.kind == fields.OBJECT:
            assert value == {"$ref": f"#/$defs/{MODELS[(*path, field.name)].__name__}"}
        elif field.kind == fields.OBJECTS:
            assert value == {"type": "array", "items": {"$ref": f"#/$defs/{MODELS[(*path, field.name)].__name__}"}}
        else:
            expected = dict(KIND_SCHEMA[field.kind])
            bounds = {"minimum": field.minimum, "maximum": field.maximum, "minItems": field.min_items,
                      "enum": list(field.choices) or None}
            expected.update({k: v for k, v in bounds.items() if v is not None})
            assert {k: v for k, v in value.items() if k not in ("title", "description")} == expected, field.name


def test_the_age_bound_is_the_description_s_and_the_model_enforces_it():
    age = fields.at("subject", "age")
    assert (age.minimum, age.maximum) == (0, fields.MAX_AGE) and model.MAX_AGE == fields.MAX_AGE
    assert (fast.MIN_AGE, fast.MAX_AGE) == (age.minimum, age.maximum)
    assert model.Subject(age=age.maximum).age == age.maximum
    for outside in (age.minimum - 1, age.maximum + 1):
        with pytest.raises(pydantic.ValidationError):
            model.Subject(age=outside)


@pytest.mark.parametrize("age, valid", [(0, True), (fields.MAX_AGE, True), (-1, False), (fields.MAX_AGE + 1, False)])
def test_the_fast_path_and_the_reference_agree_at_the_age_bounds(age, valid):
    checked = policy("permit billing on contact.email when subject.age >= 0\n")
    data = event(subject={"age": age})
    assert checked.evaluate(data).allowed == checked.evaluate_reference(data).allowed == valid


def test_the_fast_path_s_key_sets_are_the_description_s():
    assert fast.EVENT_KEYS == {f.name for f in fields.EVENT}
    assert fast.SUBJECT_KEYS == {f.name for f in fields.SUBJECT}
    assert fast.CONSENT_KEYS == {f.name for f in fields.CONSENT}


def test_the_fast_path_reads_the_required_fields_first():
    """`facts` reads purpose, categories and destination (or the recipient that gives
    it) before anything, and counts the rest against them: they must be the required
    fields, and the one field another can stand for."""
    assert [f.name for f in fields.EVENT if f.required] == ["purpose", "categories"]
    assert [(f.name, f.given_by) for f in fields.EVENT if f.given_by] == [("destination", "recipient")]
    assert {"required": ["destination"]} in SCHEMA["anyOf"] and {"required": ["recipient"]} in SCHEMA["anyOf"]


def test_the_fast_path_s_facts_default_to_the_description_s_defaults():
    for name in ("safeguards", "automated", "context", "exporter"):
        assert fast.Facts.__dict__[name] == type(fast.Facts.__dict__[name])(fields.at(name).default_value())
    for name in ("id", "age", "country", "kind"):
        assert getattr(fast.Facts, name) is fields.at("subject", name).default is None
    assert list(fast.Facts.consents) == fields.at("subject", "consents").default_value()
    assert list(fast.Facts.objections) == fields.at("subject", "objections").default_value()
    assert fast.Facts.collected_at is fields.at("collected_at").default is None


def test_the_reference_converts_every_described_timestamp():
    assert reference._TIMESTAMPS == {"at", "collected_at", "given_at", "withdrawn_at"}


def test_the_checker_s_fields_are_what_conditions_read():
    """The field table of spec section 5, read from the description."""
    assert expressions.SCALAR_FIELDS == {
        ("destination",): "country", ("safeguards",): "set:string", ("automated",): "bool",
        ("data_age",): "duration", ("subject", "age"): "int", ("subject", "country"): "country",
        ("subject", "kind"): "string", ("subject", "id"): "string", ("subject", "consent_age"): "int",
        ("recipient",): "string",
        ("recipient", "role"): "string", ("recipient", "country"): "country",
        ("recipient", "holds"): "set:string", ("exporter",): "string"}
    assert expressions.CHOICES == {("exporter",): ("controller", "subject")}
    assert expressions.OPEN_FIELDS == {("context",): "any"}
    assert expressions.FIELD_NAMES == sorted(".".join(p) for p in expressions.SCALAR_FIELDS) + ["context.KEY"]
    keywords = {f.name: f.reads for f in (*fields.EVENT, *fields.DERIVED) if f.keyword}
    assert keywords == {"purpose": "purpose", "basis": "basis"}


def test_the_reserved_roots_are_the_roots_of_what_conditions_read():
    roots = {"destination", "safeguards", "automated", "data_age", "subject", "context", "recipient",
             "exporter"}  # spec section 2
    assert FIELD_ROOTS == fields.roots() == roots
    assert set(highlight.FIELDS) == roots


def test_the_repl_completes_every_described_key_and_readable_name():
    keys = {name for _, f in fields.walk() for name in [f.name]}
    assert set(repl.EVENT_FIELDS) == keys and len(repl.EVENT_FIELDS) == len(keys)
    assert set(repl.EXPRESSION_FIELDS) == {".".join(p) for p in expressions.SCALAR_FIELDS} | {"context."}
    assert repl.FIELD_DOCS["subject.age"] == fields.at("subject", "age").doc
    assert repl.FIELD_DOCS['"given_at"'] == fields.at("subject", "consents", "given_at").doc


def test_every_field_has_a_one_line_doc():
    for field in [f for _, f in fields.walk()] + list(fields.DERIVED):
        assert field.doc and "\n" not in field.doc and field.kind in fields.KINDS


def test_the_policy_schema_restricts_every_described_name():
    checked = policy("permit billing on contact.email\n")
    schema = event_schema(checked)
    vocabulary = checked.vocabulary
    expected = {fields.BASED_PURPOSE: sorted(vocabulary.bases), fields.PURPOSE: vocabulary.purposes.names(),
                fields.CATEGORY: vocabulary.categories.names(), fields.RECIPIENT: []}
    named = [(path, f) for path, f in fields.walk() if f.names]
    assert len(named) == 7
    for path, field in named:
        value = _value(_schema_of(path[:-1], schema)["properties"][path[-1]])
        enum = value["items"]["enum"] if field.kind == fields.STRINGS else value["enum"]
        if field.names == fields.COUNTRY:
            assert "DE" in enum and len(enum) > 200
        else:
            assert enum == expected[field.names]


@pytest.mark.parametrize("where, data, problem", [
    ("purpose", {"purpose": "nothing"}, "`purpose`: the policy has no purpose `nothing`"),
    ("categories", {"categories": ["contact.email", "nope"]}, "`categories[1]`: the policy has no category `nope`"),
    ("destination", {"destination": "XX"}, "`destination`: `XX` is not an ISO 3166-1 country code"),
    ("subject.country", {"subject": {"country": "XX"}}, "`subject.country`: `XX` is not an ISO 3166-1"),
    ("consent", {"subject": {"consents": [{"purpose": "nope", "given_at": "2026-01-01T00:00:00Z"}]}},
     "`subject.consents[0].purpose`: the policy has no purpose `nope`"),
    ("objection", {"subject": {"objections": ["billing", "nope"]}},
     "`subject.objections[1]`: the policy has no purpose `nope`"),
])
def test_every_described_name_is_checked_against_the_policy(where, data, problem):
    checked = policy("permit billing on contact.email\n")
    decision = checked.evaluate(event(**data))
    assert not decision.allowed and any(problem in r.message for r in decision.reasons), decision.reasons


def test_a_purpose_without_a_basis_is_named():
    checked = policy("purpose lab.trial basis consent\npermit billing on contact.email\n")  # `lab` is implied
    decision = checked.evaluate(event(purpose="lab"))
    assert any("`purpose`: `lab` has no basis" in r.message for r in decision.reasons), decision.reasons


def test_a_marker_is_no_event_purpose_but_consents_and_objections_may_name_it():
    checked = policy("purpose promo basis consent marker\npurpose promo.sms\npermit billing on contact.email\n")
    schema = event_schema(checked)
    assert "promo" not in _value(schema["properties"]["purpose"])["enum"]
    assert "promo.sms" in _value(schema["properties"]["purpose"])["enum"]
    assert "promo" in _value(_schema_of(("subject", "consents"), schema)["properties"]["purpose"])["enum"]
    decision = checked.evaluate(event(purpose="promo"))
    assert [r.message for r in decision.reasons] == [
        "`purpose`: `promo` is a marker, a group of purposes: an event is for one of the purposes in it"]
    named = checked.evaluate(event(subject={"consents": [{"purpose": "promo", "given_at": "2026-01-01T00:00:00Z"}],
                                            "objections": ["promo"]}))
    assert not any(r.kind == "invalid-event" for r in named.reasons)


def test_the_e0404_fix_names_only_fields_conditions_read():
    """engine.core cannot import the description (an earlier phase): its text is held to it here."""
    from engine.core.diagnostics import FIXES

    named = set(re.findall(r"`([a-z_.A-Z]+)`", FIXES["E0404"]))
    assert named and named <= set(expressions.FIELD_NAMES)
