"""The processing event, described once (spec section 6): every field, its kind,
whether it is required or its default, its bounds, the policy names it must
be, and whether a condition reads it and as which language type.

Everything else that knows the event's shape derives from this table: the
fast path's key sets and age bound (`decide.fast`), the names the reference
checks against the policy (`decide.reference`), the JSON Schema's enums for a
policy (`event.schema`), the checker's field types and reserved roots
(`check.expressions.SCALAR_FIELDS`, `check.declarations.FIELD_ROOTS`), the
REPL's completions and the highlighter's field words. The pydantic model
(`event.model`) is written by hand for its error messages and JSON Schema;
tests/test_fields.py holds it, and its schema, equal to this table. What a
valid JSON value is (depth, integer range, Unicode) is `event.values`; the
timestamp grammar is `event.timestamps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

#: The oldest a subject can be (`subject.age` is 0..MAX_AGE).
MAX_AGE = 200

# kinds of value
STRING = "string"
INT = "int"
BOOL = "bool"
TIMESTAMP = "timestamp"  # text of the one grammar (`event.timestamps`)
STRINGS = "strings"  # a list of strings
OBJECT = "object"  # an object with described fields (`fields`)
OBJECTS = "objects"  # a list of such objects
JSON = "json"  # an object of any JSON values, keys not described
DURATION = "duration"  # computed (`data_age`), never in the event's JSON
KINDS = (STRING, INT, BOOL, TIMESTAMP, STRINGS, OBJECT, OBJECTS, JSON, DURATION)

# names a value must be, of the policy or of ISO 3166-1
PURPOSE = "purpose"
BASED_PURPOSE = "based purpose"  # a purpose that has a basis
CATEGORY = "category"
COUNTRY = "country"
RECIPIENT = "recipient"

#: the default of an optional field with none: absent, so a rule that reads it fails closed
ABSENT = None
#: the default of an optional list or object: empty (`[]`, `{}`; an `OBJECT` with
#: each of its own fields at its default)
EMPTY = ()


@dataclass(frozen=True)
class Field:
    """One field of the event (or a name conditions read that the event does not
    hold, in `DERIVED`).

    - `default`: for an optional field, the value it has when left out (or
      `null`): `ABSENT`, a JSON scalar, or `EMPTY` for a list or an object.
    - `reads`: the language type a condition reads it as (`check.expressions`),
      None when no condition names it directly; `keyword` when the language
      names it by a keyword of its own grammar (`purpose`, `basis`), not a path.
    - `open`: a condition reads the keys under it (`context.KEY`), as `any`.
    - `choices`: the only values a string field may have.
    - `given_by`: an optional field that is required unless the event names the
      field given here, which then supplies it (`destination` from `recipient`).
    """

    name: str
    kind: str
    doc: str
    required: bool = False
    default: Any = ABSENT
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    names: str | None = None
    reads: str | None = None
    keyword: bool = False
    open: bool = False
    fields: tuple["Field", ...] = ()
    given_by: str | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        assert bool(self.fields) == (self.kind in (OBJECT, OBJECTS)), self.name
        assert not (self.required and self.default is not ABSENT), self.name

    def default_value(self) -> Any:
        """The default as the model holds it, a fresh JSON value."""
        if self.default is not EMPTY:
            return self.default
        if self.kind == OBJECT:
            return {f.name: f.default_value() for f in self.fields}
        return {} if self.kind == JSON else []

    def field(self, name: str) -> "Field":
        for child in self.fields:
            if child.name == name:
                return child
        raise KeyError(name)


CONSENT = (
    Field("purpose", STRING, "the purpose consented to", required=True, names=PURPOSE),
    Field("given_at", TIMESTAMP, "when the consent was given", required=True),
    Field("withdrawn_at", TIMESTAMP, "when it was withdrawn, if it was"),
    Field("explicit", BOOL, "an explicit consent (Art. 9(2)(a))", default=False),
    Field("parental", BOOL, "given by the holder of parental responsibility (Art. 8)", default=False),
    Field("age", INT, "the subject's age in years when the consent was given", minimum=0, maximum=MAX_AGE),
)

SUBJECT = (
    Field("id", STRING, "the subject's identifier", reads="string"),
    Field("age", INT, "the subject's age in years", minimum=0, maximum=MAX_AGE, reads="int"),
    Field("country", STRING, "where the subject lives (ISO 3166-1)", names=COUNTRY, reads="country"),
    Field("kind", STRING, "the kind of subject, such as `customer`", reads="string"),
    Field("consents", OBJECTS, "the consents the subject gave", default=EMPTY, fields=CONSENT),
    Field("objections", STRINGS, "purposes the subject objected to (Art. 21)", default=EMPTY, names=PURPOSE),
)

#: The event's fields, in the order of the spec.
EVENT = (
    Field("purpose", STRING, "the purpose of the processing", required=True, names=BASED_PURPOSE,
          reads="purpose", keyword=True),
    Field("categories", STRINGS, "the categories of data processed", required=True, min_items=1,
          names=CATEGORY),
    Field("destination", STRING, "where the data goes (ISO 3166-1); the recipient's country when left out",
          names=COUNTRY, reads="country", given_by="recipient"),
    Field("recipient", STRING, "the declared recipient the data goes to", names=RECIPIENT, reads="string"),
    Field("subject", OBJECT, "the data subject", default=EMPTY, fields=SUBJECT),
    Field("safeguards", STRINGS, "transfer safeguards in place, such as `scc`", default=EMPTY,
          reads="set:string"),
    Field("exporter", STRING, "who sends the data: the controller (or its processor), or the subject itself",
          default="controller", reads="string", choices=("controller", "subject")),
    Field("automated", BOOL, "a decision by automated means alone (Art. 22)", default=False, reads="bool"),
    Field("collected_at", TIMESTAMP, "when the data was collected"),
    Field("at", TIMESTAMP, "when the processing happens; defaults to the time of evaluation"),
    Field("context", JSON, "anything else the policy reads, as `context.KEY`", default=EMPTY, reads="any",
          open=True),
)

#: Names conditions read that the event does not hold: computed from its fields.
DERIVED = (
    Field("basis", STRING, "the lawful basis of the event's purpose", reads="basis", keyword=True),
    Field("data_age", DURATION, "how old the data is: `at` less `collected_at`", reads="duration"),
    Field("recipient.role", STRING, "the recipient's role: processor, controller or joint_controller",
          reads="string"),
    Field("recipient.country", STRING, "the country of the recipient's declaration", reads="country"),
    Field("recipient.holds", STRINGS, "the safeguards and certifications the recipient holds",
          reads="set:string"),
    Field("subject.consent_age", INT, "the subject's age when they gave the consent that counts: "
          "`subject.age`, or less when every valid covering consent of their own gives an earlier `age`",
          reads="int"),
)

#: Roots of fields added after 0.2: a declared name may start with one unless the
#: policy declares recipients (`check.declarations`), and a region so named is read
#: as the region, so older policies keep their names and meaning.
CONTEXTUAL_ROOTS = frozenset({"recipient", "exporter"})


# ---- views of the table ------------------------------------------------------------------


def walk(fields: tuple[Field, ...] = EVENT, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Field]]:
    """(path, field) for every field, depth first in the table's order; the fields
    of a list of objects have the list's path (`subject.consents.purpose`)."""
    for field in fields:
        here = (*path, field.name)
        yield here, field
        yield from walk(field.fields, here)


def keys(*path: str) -> frozenset[str]:
    """The keys an object of the event may hold: `keys()` the event's,
    `keys("subject")`, `keys("subject", "consents")` a consent's."""
    fields: tuple[Field, ...] = EVENT
    for name in path:
        fields = next(f for f in fields if f.name == name).fields
    return frozenset(f.name for f in fields)


def at(*path: str) -> Field:
    """The field at a path: `at("subject", "age")`."""
    fields: tuple[Field, ...] = EVENT
    found: Field | None = None
    for name in path:
        found = next(f for f in fields if f.name == name)
        fields = found.fields
    assert found is not None
    return found


def key_names() -> dict[str, str]:
    """Every key an event's objects may hold, once each, outermost first: key -> doc."""
    names: dict[str, str] = {}
    level = list(EVENT)
    while level:
        for field in level:
            names.setdefault(field.name, field.doc)
        level = [child for f in level for child in f.fields]
    return names


def readable() -> dict[tuple[str, ...], Field]:
    """What conditions read by a path (not by a keyword): path -> field. An `open`
    field stands for the keys under it."""
    found = {path: field for path, field in walk() if field.reads and not field.keyword}
    found.update({tuple(f.name.split(".")): f for f in DERIVED if f.reads and not f.keyword})
    return found


def optional() -> dict[tuple[str, ...], Field]:
    """What `has FIELD` tests: the paths conditions read that an event may leave
    out (no default), an `open` field standing for the keys under it. A field
    another supplies (`destination` from `recipient`) is always there."""
    return {path: field for path, field in readable().items()
            if not field.required and field.given_by is None and (field.default is ABSENT or field.open)}


def presence_names() -> dict[str, str]:
    """The names `has` takes, as written (`subject.age`, …, `context.KEY`) -> doc."""
    return {".".join(path) + (".KEY" if field.open else ""): field.doc for path, field in optional().items()}


def condition_names() -> dict[str, str]:
    """The names conditions read, as written (`subject.age`, …, `context.KEY`) -> doc."""
    return {".".join(path) + (".KEY" if field.open else ""): field.doc for path, field in readable().items()}


def roots() -> frozenset[str]:
    """The first parts of the paths conditions read: no declared name may start
    with one (`check.declarations`), and the highlighter marks them."""
    return frozenset(path[0] for path in readable())


def named(data: Mapping, fields: tuple[Field, ...] = EVENT,
          where: str = "") -> Iterator[tuple[str, Field, Any]]:
    """(where, field, value) for every value of a raw event that must be a name
    (`Field.names`), where the event is well-formed enough to find it; values are
    not checked, only found. `where` is the JSON path (`subject.consents[0].purpose`)."""
    for field in fields:
        if field.name not in data:
            continue
        value = data[field.name]
        here = f"{where}.{field.name}" if where else field.name
        if field.kind == OBJECT:
            if isinstance(value, Mapping):
                yield from named(value, field.fields, here)
        elif field.kind == OBJECTS:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, Mapping):
                        yield from named(item, field.fields, f"{here}[{index}]")
        elif field.names is not None:
            if field.kind == STRINGS:
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        yield f"{here}[{index}]", field, item
            else:
                yield here, field, value
