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
    if draw(st.booleans()):  # the subject's age when they gave it
        record["age"] = draw(st.integers(0, 90))
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
                                        st.sampled_from(["gold", "h", 3, True, None, {"level": 2}]),
                                        max_size=2)),
    }
    if draw(st.booleans()):  # collected no later than `at` (else the event is invalid)
        event["collected_at"] = draw(st.sampled_from([t for t in TIMES if t <= event["at"]]))
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
    "has subject.age", "not has context.tier", "has context.n", "has data_age", "has context.tier.level",
    "has subject.country and subject.country in home",
    'recipient.role == "processor"', '"dpf" in recipient.holds', "recipient.country in home",
    'exporter == "subject"',
    "subject.consent_age < 16", "subject.consent_age >= age[subject.country]",
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


# ---- whole policies, for differential testing -------------------------------------------

VOCABULARY = """category contact.email
category contact.phone
category health
category usage
category biometric is health, contact
purpose billing basis contract
purpose marketing basis consent
purpose marketing.email
purpose analytics basis legitimate_interest
purpose fraud is analytics
purpose ads is marketing, analytics basis consent
region home = {DE, FR}
region wide = home + {US, JP} - {FR}
table age default 16 { FR: 15, DE: 16 }
table strict_age { DE: 18 }
obligation o1 "first"
obligation o2 "second"
recipient cloud processor in US holds "dpf"
recipient partner controller in DE
recipient twin joint_controller in JP holds "scc", "bcr"
"""

#: the recipients VOCABULARY declares, and names it does not
RECIPIENTS = ["cloud", "partner", "twin"]
NOT_RECIPIENTS = ["nobody", "", "Cloud", 3, None, ["cloud"]]

SUGAR = [
    "require explicit consent for marketing on contact",
    "require subject.age >= strict_age[subject.country] for * on health when automated",
    "residency health in home",
    "residency * in wide",
    "retain usage for 30 days",
    "require consent or basis != consent for *",
    'forbid * when recipient == "partner" and not consent',
    'permit * to {US} when recipient in {"cloud", "twin"}',
    'require "scc" in safeguards for analytics when recipient.role != "controller"',
]

#: rules that read the policy's controller (a constant the checker folds), for a policy
#: that declares one: compared with event fields, in a region, in a table's key
CONTROLLED = [
    "permit * when destination == controller.country",
    "forbid * on health when controller.country in home and not explicit consent",
    'require consent for marketing when controller == "acme" and subject.country != controller.country',
    "forbid analytics to wide when controller.country not in home",
    "permit billing when subject.age >= age[controller.country]",
    'oblige o1 for * when recipient.country != controller.country or controller != "acme"',
]


#: `fact` declarations that every condition of CONDITIONS type-checks with, by field
#: (one declaration a field)
FACTS = {
    "subject.kind": ['fact subject.kind in {"customer", "minor"}', "fact subject.kind is string"],
    "tier": ['fact context.tier in {"gold", "silver"}', "fact context.tier is string"],
    "n": ["fact context.n is integer", "fact context.n in {1, 3}", "fact context.n is number"],
    "ground": ["fact context.ground is boolean"],
    "tags": ["fact context.tags is list of string", "fact context.tags is list of country"],
    "order": ["fact context.order.total is number", "fact context.order.total in {3}"],
    "origin": ["fact context.origin is country", "fact context.origin in {DE, FR}"],
}

#: context values that the FACTS tell apart (added to some events' context)
FACT_VALUES = {"tier": ["gold", "silver", "Gold", "gold ", "g\u043eld", 3, None],
               "n": [1, 3, 1.5, "3", True], "ground": [True, False, "yes", 0],
               "tags": [[], ["a"], ["DE"], ["a", 1], "a"], "order": [{"total": 3}, {"total": 2.5}, {"total": "3"}, 3, {}],
               "origin": ["DE", "XX", "de", 1]}


@st.composite
def policies(draw):
    texts = [draw(st.sampled_from(FACTS[field]))
             for field in draw(st.lists(st.sampled_from(sorted(FACTS)), max_size=3, unique=True))]
    for index in range(draw(st.integers(1, 7))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            text = draw(st.sampled_from(SUGAR))
        elif kind == 1:  # an oblige: a forbid's target and conditions, adding obligations
            text = "oblige " + ", ".join(draw(st.lists(st.sampled_from(["o1", "o2"]), min_size=1,
                                                       max_size=2, unique=True)))
            text += " for " + draw(rules("forbid")).removeprefix("forbid ")
        else:
            text = draw(rules())
            if text.startswith("permit") and draw(st.booleans()):
                text += " with " + ", ".join(draw(st.lists(st.sampled_from(["o1", "o2"]), min_size=1,
                                                           max_size=2, unique=True)))
        if draw(st.booleans()):
            text = f"rule r{index}: " + text
        texts.append(text)
    vocabulary = VOCABULARY
    if draw(st.booleans()):  # a controller, and rules that read it
        vocabulary += f"controller {draw(st.sampled_from(['acme', 'other']))} in {draw(st.sampled_from(['DE', 'US', 'JP']))}\n"
        texts += draw(st.lists(st.sampled_from(CONTROLLED), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):  # `marketing` a marker: no event for it, a consent to it covers nothing
        vocabulary = vocabulary.replace("purpose marketing basis consent\n",
                                        "purpose marketing basis consent marker\n")
    return vocabulary + "\n".join(texts) + "\n"


ODD_TIMES = ["2026-11-23T09:00:00", "2026-11-23T10:00:00+01:00", "2026-11-23T09:00:00.5Z",
             "2026-11-23", 1700000000, "yesterday", None,
             # the edges of the one timestamp grammar (engine/event/)
             "2026-11-23t09:00:00z", "2026-11-23 09:00:00Z", "2026-11-23T24:00:00Z", "0000-01-01T00:00:00Z",
             "2026-11-23T09:00:00+99:99", "2026-11-23T09:00:00+24:00", "2026-11-23T09:00:00+23:59",
             "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "2026-02-29T00:00:00Z",
             "2024-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-23T09:00:60Z",
             "2026-11-23T09:00:00.1234567Z", "２０２６-11-23T09:00:00Z", "2026-11-23T09:00:00.5+01:00",
             1795000000.0, True, "2026-11-23T09:00:00Z\n"]

#: JSON-ish values that make an event invalid wherever they sit (engine/event/)
HOSTILE_VALUES = [float("nan"), float("inf"), -float("inf"), 10**15 + 1, -(10**15) - 1, 10**40,
                  "\ud800", "a\udfffb", ("DE",), frozenset({"x"}), {"x"}, b"DE", {1: "x"}, {("k",): 1},
                  {"\ud800": 1}]


@st.composite
def differential_events(draw):
    choice = draw(st.integers(0, 11))
    if choice == 0:
        return draw(json_values)
    if choice == 1:
        return draw(mutated_events())
    event = draw(events())
    event["purpose"] = draw(st.sampled_from(PURPOSES + ["fraud", "ads", "ads"]))
    event["categories"] = draw(st.lists(st.sampled_from(CATEGORIES + ["biometric"]), min_size=1,
                                        max_size=3))
    if choice == 2:
        event["at"] = draw(st.sampled_from(ODD_TIMES))
    if choice == 3 and event["subject"]["consents"]:
        event["subject"]["consents"][0]["given_at"] = draw(st.sampled_from(ODD_TIMES))
    if choice == 4:
        event.pop("at", None)
    if choice == 5:
        event["destination"] = draw(st.sampled_from(["XX", "de", "", "EU", "D|E"]))
    if choice == 6:
        event["categories"] = draw(st.sampled_from([[], ["contact|email"], ["Contact"]]))
    if draw(st.integers(0, 4)) == 0:  # who sends the data: its values, and some it cannot have
        event["exporter"] = draw(st.sampled_from(["controller", "subject", "subject", "Subject", 1, None]))
    if choice == 7:
        return draw(hostile_events(event))
    if choice in (8, 9, 10):  # a recipient: its country is the destination
        event["recipient"] = draw(st.sampled_from(RECIPIENTS))
        if choice == 8:
            event.pop("destination")
        elif choice == 9:  # stated too: the recipient's country (valid), or another (invalid)
            event["destination"] = draw(st.sampled_from(["US", "DE", "JP", "FR"]))
        else:
            event["recipient"] = draw(st.sampled_from(RECIPIENTS + NOT_RECIPIENTS))
            if draw(st.booleans()):
                event.pop("destination")
    if choice == 11:  # values the `fact` declarations of `policies` admit or not
        for key in draw(st.lists(st.sampled_from(sorted(FACT_VALUES)), min_size=1, max_size=3, unique=True)):
            event["context"][key] = draw(st.sampled_from(FACT_VALUES[key]))
        if draw(st.booleans()):
            event["subject"]["kind"] = draw(st.sampled_from(["minor", "Minor", "minor ", "m\u0456nor", 7]))
    return event


def _deep(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def hostile_events(draw, event=None):
    """A valid event with one hostile part (spec section 6 lists the classes):
    non-JSON values anywhere, nulls, duplicate keys, deep nesting, collected_at
    after at, tuples and sets where JSON has arrays."""
    from engine.event.values import loads

    event = event if event is not None else draw(events())
    kind = draw(st.integers(0, 7))
    paths = [("context", "x"), ("context", "n"), ("subject", "id"), ("subject", "kind"), ("subject", "age"),
             ("subject", "country"), ("safeguards",), ("categories",), ("destination",), ("purpose",),
             ("subject", "objections"), ("subject", "consents"), ("at",), ("collected_at",), ("automated",)]
    if kind <= 2:
        path = draw(st.sampled_from(paths))
        value = draw(st.sampled_from(HOSTILE_VALUES + [None, [None], [float("nan")], {"k": float("inf")}]))
        holder = event
        for key in path[:-1]:
            holder = holder.setdefault(key, {})
        holder[path[-1]] = value
        return event
    if kind == 3:  # a key twice, in the JSON text
        import json

        text = json.dumps(event)
        key = draw(st.sampled_from(["destination", "purpose", "at", "context"]))
        twice = draw(st.sampled_from(['"US"', '"DE"', '"2026-01-01T00:00:00Z"', "{}", "null"]))
        return loads(text[:-1] + f', "{key}": {twice}' + "}")
    if kind == 4:
        event["context"] = {"deep": _deep(draw(st.sampled_from([60, 61, 62, 63, 64, 200])))}
        return event
    if kind == 5:
        event["at"] = "2026-01-01T00:00:00Z"
        event["collected_at"] = draw(st.sampled_from(["2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00Z",
                                                      "2025-12-31T23:59:59Z", "2026-01-01T01:00:00+01:00",
                                                      "2026-01-01T00:30:00+01:00"]))
        return event
    if kind == 6:  # null for an optional field is absent
        for path in draw(st.lists(st.sampled_from(
                [("subject",), ("context",), ("safeguards",), ("automated",), ("at",), ("collected_at",),
                 ("subject", "consents"), ("subject", "objections"), ("subject", "age")]), max_size=3)):
            holder = event
            for key in path[:-1]:
                holder = holder.get(key) if isinstance(holder.get(key), dict) else {}
            holder[path[-1]] = None
        return event
    event["subject"]["consents"] = [{"purpose": "marketing", "given_at": "2025-01-01T00:00:00Z",
                                     draw(st.sampled_from(["explicit", "parental", "withdrawn_at"])): None}]
    return event
