"""Hypothesis strategies: JSON-like junk, and valid-ish events for a vocabulary."""

from __future__ import annotations

from hypothesis import strategies as st

PURPOSES = ["billing", "marketing", "marketing.email", "analytics"]
CATEGORIES = ["contact", "contact.email", "contact.phone", "health", "usage"]
COUNTRIES = ["DE", "FR", "US", "IS", "JP", "BR"]
TIMES = ["2025-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "2026-11-23T09:00:00Z",
         "2027-01-01T00:00:00Z"]

json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(
    allow_nan=False, allow_infinity=False) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@st.composite
def consents(draw):
    record = {"purpose": draw(st.sampled_from(PURPOSES)), "given_at": draw(st.sampled_from(TIMES))}
    if draw(st.booleans()):
        record["withdrawn_at"] = draw(st.sampled_from(TIMES))
    for flag in ("explicit", "parental"):
        if draw(st.booleans()):
            record[flag] = draw(st.booleans())
    return record


@st.composite
def events(draw, omit: tuple[str, ...] = ()):
    """Valid events for tests/helpers.BASE-like vocabularies; `omit` drops fields."""
    subject = {}
    for key, strategy in (("age", st.integers(0, 90)), ("country", st.sampled_from(COUNTRIES)),
                          ("kind", st.sampled_from(["customer", "employee"])),
                          ("id", st.sampled_from(["u-1", "u-2"]))):
        if key not in omit and draw(st.booleans()) or f"subject.{key}" in ():
            subject[key] = draw(strategy)
    subject["consents"] = draw(st.lists(consents(), max_size=2))
    subject["objections"] = draw(st.lists(st.sampled_from(PURPOSES), max_size=2, unique=True))
    event = {
        "purpose": draw(st.sampled_from(PURPOSES)),
        "categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True)),
        "destination": draw(st.sampled_from(COUNTRIES)),
        "subject": subject,
        "safeguards": draw(st.lists(st.sampled_from(["scc", "bcr", "dpf"]), max_size=2, unique=True)),
        "automated": draw(st.booleans()),
        "at": draw(st.sampled_from(TIMES)),
        "context": draw(st.dictionaries(st.sampled_from(["tier", "ground", "n"]),
                                        st.sampled_from(["gold", "h", 3, True, None]), max_size=2)),
    }
    if draw(st.booleans()):
        event["collected_at"] = draw(st.sampled_from(TIMES))
    for field in omit:
        if field.startswith("subject."):
            event["subject"].pop(field.split(".", 1)[1], None)
        elif field.startswith("context."):
            event["context"].pop(field.split(".", 1)[1], None)
        else:
            event.pop(field, None)
    return event


@st.composite
def mutated_events(draw):
    """A valid event with one field replaced by arbitrary JSON, or one removed."""
    event = draw(events())
    key = draw(st.sampled_from(sorted(event) + ["subject.age", "subject.consents", "extra"]))
    value = draw(json_values)
    if "." in key:
        outer, inner = key.split(".")
        event[outer][inner] = value
    elif draw(st.booleans()):
        event[key] = value
    else:
        event.pop(key, None)
    return event


CONDITIONS = [
    "subject.age >= 18", "subject.age < 16", "consent", "explicit consent", "parental consent",
    "objected", "destination in home", 'context.tier == "gold"', "context.n > 2",
    '"scc" in safeguards', "automated", "data_age > 90 days", "basis == consent",
    "purpose in marketing", 'subject.kind == "customer"', "age[subject.country] <= subject.age",
]


@st.composite
def conditions(draw, depth: int = 2):
    atom = st.sampled_from(CONDITIONS)
    if depth == 0 or draw(st.booleans()):
        return draw(atom)
    left, right = draw(conditions(depth - 1)), draw(conditions(depth - 1))
    return draw(st.sampled_from([f"({left}) and ({right})", f"({left}) or ({right})", f"not ({left})"]))


@st.composite
def rules(draw, effect: str | None = None):
    effect = effect or draw(st.sampled_from(["permit", "forbid"]))
    purposes = draw(st.sampled_from(["*"] + PURPOSES))
    text = f"{effect} {purposes}"
    if draw(st.booleans()):
        text += " on " + ", ".join(draw(st.lists(st.sampled_from(CATEGORIES), min_size=1,
                                                  max_size=2, unique=True)))
    if draw(st.booleans()):
        text += " to " + draw(st.sampled_from(["home", "home + {US}", "{JP}"]))
    if draw(st.booleans()):
        text += f" when {draw(conditions())}"
    if draw(st.booleans()):
        text += f" unless {draw(conditions(1))}"
    return text
