"""Stage 1, events: each JSON line read into a typed row, checked the way
`engine.Event` checks it (types, unknown fields, names the policy knows, ISO
countries, timestamps). Timestamps become microseconds since the epoch (UTC),
durations microseconds; the subject's consents become one number of bits
(`consent_bits`). Columnar events are read by columnar.py into the same row."""

from __future__ import annotations

from dataclasses import dataclass

from ... import ir
from ...ir import CheckedPolicy
from ...core.countries import iso_codes
from .dialects import Dialect, quote
from .dialects.base import SEPARATOR
from .fields import AGE, CONSENT_KEYS, EVENT_KEYS, EXPORTER, SUBJECT_KEYS

CONSENT_BITS = {None: 1, "explicit": 2, "parental": 4}
INVALID_CONSENT = 8


def consent_bits(dialect: Dialect, items: str, record: dict[str, str], at: str, cover: str,
                 invalid: str | None = None) -> str:
    """One scan of the subject's consent records (`items`, each `c`; `record` gives
    each field's SQL): the bitwise or, over the records in force at `at` whose
    purpose is in `cover` (the event purpose's and its ancestors' names as one string,
    `|a|b|`: see purpose_cover), of CONSENT_BITS (any, explicit, parental): every
    consent test of the policy reads this one number. With `invalid` (SQL: the record
    `c` is not a valid one), the same scan also sets INVALID_CONSENT for an invalid
    record."""
    d = dialect
    in_force = (f"{record['given_at']} <= {at} AND ({record['withdrawn_at']} IS NULL OR "
                f"{record['withdrawn_at']} > {at}) AND {d.in_joined(record['purpose'], cover)}")
    first = f"WHEN coalesce({invalid}, true) THEN {INVALID_CONSENT} " if invalid else ""
    bits = (f"CASE {first}WHEN {in_force} THEN {CONSENT_BITS[None]} "
            f"+ CASE WHEN {record['explicit']} THEN {CONSENT_BITS['explicit']} ELSE 0 END "
            f"+ CASE WHEN {record['parental']} THEN {CONSENT_BITS['parental']} ELSE 0 END ELSE 0 END")
    return d.bit_or_all(d.transform(items, "c", bits))


def consent_age(dialect: Dialect, items: str, record: dict[str, str], at: str, cover: str,
                subject_age: str) -> str:
    """`subject.consent_age` (`reference.consent_age`): over the subject's own records
    (`items`, not parental) in force at `at` covering the purpose, the greatest `age`
    when every one gives one, never above `subject_age`; else `subject_age`."""
    d = dialect
    own = (f"{record['given_at']} <= {at} AND ({record['withdrawn_at']} IS NULL OR "
           f"{record['withdrawn_at']} > {at}) AND {d.in_joined(record['purpose'], cover)} "
           f"AND NOT {record['parental']}")
    ages = d.filter(d.transform(items, "c", f"CASE WHEN {own} THEN coalesce({record['age']}, -1) END"),
                    "y", "y IS NOT NULL")
    body = (f"CASE WHEN coalesce({d.min_of('v')}, -1) < 0 THEN {subject_age} "
            f"WHEN {subject_age} IS NULL THEN {d.max_of('v')} ELSE least({d.max_of('v')}, {subject_age}) END")
    return f"CAST({d.let(ages, 'v', body)} AS BIGINT)"


@dataclass
class Names:
    """The policy's names, as the SQL needs them."""

    purposes: list[str]  # every purpose (consents and objections may name any)
    based: list[str]  # purposes with a basis (an event's purpose must be one)
    categories: list[str]
    countries: list[str]


def names(policy: CheckedPolicy) -> Names:
    vocabulary = policy.vocabulary
    return Names(vocabulary.purposes.names(), sorted(vocabulary.event_bases),
                 vocabulary.categories.names(), sorted(iso_codes()))


def recipient_fact(policy: CheckedPolicy, dialect: Dialect, recipient: str, fact: str) -> str:
    """SQL of a fact of the declared recipient named by the column `recipient`
    (`country`, `role`: a string; `holds`: a list of strings), NULL when it names
    none. Used only where the policy declares recipients."""
    recipients = policy.vocabulary.recipients
    if not recipients:  # NULL, typed
        return f"CASE WHEN {recipient} IS NULL THEN NULL ELSE {dialect.strings([])} END" if fact == "holds" \
            else dialect.null_string
    cases = " ".join(
        f"WHEN {quote(name)} THEN "
        + (dialect.strings(sorted(r.holds)) if fact == "holds" else quote(getattr(r, fact)))
        for name, r in sorted(recipients.items()))
    return f"CASE {recipient} {cases} END"


def fact_admits(d: Dialect, type_: str, values, doc: str, path=()) -> str:
    """SQL: the JSON value at `path` of `doc` is what a fact declares (`ir.Fact.admits`):
    of its type exactly and, for `in`, one of its values."""
    kind = d.jtype(doc, path)
    if type_.startswith("list of "):
        return f"({kind} = {d.ARRAY} AND {d.all(d.jitems(doc, path), 'f', fact_admits(d, type_[8:], None, 'f'))})"
    if type_ == "integer":
        test = f"{kind} IN {d.INT_TYPES}"
        if values is not None:
            test += f" AND {d.jint(doc, path)} IN ({', '.join(str(int(v)) for v in sorted(values))})"
        return f"({test})"
    if type_ == "number":
        return f"({kind} IN {d.NUMBER_TYPES})"
    if type_ == "boolean":
        return f"({kind} = {d.BOOLEAN})"
    names = sorted(values) if values is not None else sorted(iso_codes()) if type_ == "country" else None
    test = f"{kind} = {d.STRING}"
    if names is not None:
        test += f" AND {d.one_of(d.jstring(doc, path), names)}"
    return f"({test})"


def fact_checks(policy: CheckedPolicy, d: Dialect, kind: tuple[str, tuple] | str | None,
                context: tuple[str, tuple] | None) -> list[tuple[str, str]]:
    """(what, SQL test) for each `fact` of the policy: its field absent, or holding
    what it declares. `context` is where `context` is read as JSON (doc, path);
    `kind` where `subject.kind` is, as JSON (doc, path) or as a column of strings;
    None where the event cannot hold them."""
    checks = []
    for fact in policy.vocabulary.facts:
        inner: tuple[str, ...] = fact.path[1:]  # the path under `context`; none for `subject.kind`
        where = context
        if fact.path == ("subject", "kind"):
            if isinstance(kind, str):  # a typed column: a string or NULL
                test = "true" if fact.values is None else d.one_of(kind, sorted(fact.values))
                checks.append((f"`{fact.name}`", f"({kind} IS NULL OR {test})"))
                continue
            where, inner = kind, ()
        if where is None:
            continue
        doc, path = where[0], where[1] + inner
        present = d.jtype(doc, path)
        # `null` is absent for a field of `subject`; inside `context` it is a value
        absent = f"coalesce({present}, {d.NULL}) = {d.NULL}" if fact.path[0] == "subject" else f"{present} IS NULL"
        checks.append((f"`{fact.name}`", f"({absent} OR {fact_admits(d, fact.type, fact.values, doc, path)})"))
    return checks


def split_json(dialect: Dialect, source: str, doc: str, prefix: str, keys: list[str]) -> str:
    """`source` with a column <prefix>_<key> per key: that field of the JSON object in
    column `doc` (NULL where absent), the object parsed once for all of them."""
    whole, fields = dialect.json_fields(doc, keys, f"{prefix}_all")
    parts = ", ".join(f"{field} AS {prefix}_{key}" for key, field in zip(keys, fields))
    if whole is not None:
        source = f"(SELECT *, {whole} AS {prefix}_all FROM {source} AS w)"
    return f"(SELECT *, {parts} FROM {source} AS x)"


def reads_consent_age(policy: CheckedPolicy) -> bool:
    """Whether a condition reads `subject.consent_age` (only then is it a column)."""
    return any(isinstance(node, ir.Field) and node.path == ("subject", "consent_age")
               for rule in policy.rules for root in (rule.when, rule.unless) for node in ir.walk(root))


def purpose_cover(policy: CheckedPolicy, purpose: str) -> str:
    """SQL of the event purpose's ancestors (itself included) less the markers, as one
    string `|a|b|`: a consent's purpose covers the event's when `|purpose|` is in it (a
    consent to a marker covers nothing)."""
    vocabulary = policy.vocabulary
    ancestors = vocabulary.purposes.ancestors
    return "CASE " + " ".join(
        f"WHEN {purpose} = {quote(p)} THEN "
        f"{quote(SEPARATOR + SEPARATOR.join(sorted(ancestors[p] - vocabulary.markers)) + SEPARATOR)}"
        for p in sorted(vocabulary.event_bases)) + " END"


def events_sql(policy: CheckedPolicy, source: str, dialect: Dialect, now_us: int) -> str:
    """SELECT over `source` (columns `eid`, `file`, `line_number`, `line`: the raw
    JSON text, `j`: it parsed, `lawful_problem`: what the reader found wrong with the
    text, see lines.py) giving `valid`, `problem` (why not) and the typed event
    columns."""
    d, n = dialect, names(policy)
    j = "j"
    s = ("subject",)

    def at(path) -> tuple[str, tuple]:
        """Where a path is read: the line is parsed once into its fields (j_<field>)
        and the subject's (j_subject_<field>), each a small JSON value."""
        path = tuple(path)
        if not path:
            return j, ()
        if path[0] == "subject" and len(path) > 1:
            return f"j_subject_{path[1]}", path[2:]
        return f"j_{path[0]}", path[1:]

    def absent_or_null(path) -> str:
        return f"(coalesce({d.jtype(*at(path))}, 'NULL') = 'NULL')"

    def is_type(path, kind: str) -> str:
        return f"({d.jtype(*at(path))} = {kind})"

    def known(value: str, values: list[str]) -> str:
        return d.one_of(value, values)

    def only_keys(path, allowed: list[str]) -> str:
        return d.all(d.jkeys(*at(path)), "k", d.contains(d.strings(allowed), "k"))

    def string_list(path, values: list[str] | None) -> str:
        element = f"{d.jtype('x')} = {d.STRING}"
        if values is not None:
            element = f"({element} AND {known(d.jstring('x'), values)})"
        return f"({is_type(path, d.ARRAY)} AND {d.all(d.jitems(*at(path)), 'x', element)})"

    def timestamp(doc: str, path) -> str:
        return f"({d.jtype(doc, path)} = {d.STRING} AND {d.timestamp_us(d.jstring(doc, path))} IS NOT NULL)"

    consent_ok = " AND ".join([
        f"{d.jtype('c')} = {d.OBJECT}",
        d.all(d.jkeys("c"), "k", d.contains(d.strings(CONSENT_KEYS), "k")),
        f"{d.jtype('c', ('purpose',))} = {d.STRING}", known(d.jstring("c", ("purpose",)), n.purposes),
        timestamp("c", ("given_at",)),
        f"(coalesce({d.jtype('c', ('withdrawn_at',))}, 'NULL') = 'NULL' OR {timestamp('c', ('withdrawn_at',))})",
        f"(coalesce({d.jtype('c', ('explicit',))}, 'NULL') IN ('NULL', {d.BOOLEAN}))",
        f"(coalesce({d.jtype('c', ('parental',))}, 'NULL') IN ('NULL', {d.BOOLEAN}))",
        f"(coalesce({d.jtype('c', ('age',))}, 'NULL') = 'NULL' OR ({d.jtype('c', ('age',))} IN {d.INT_TYPES} "
        f"AND {d.jint('c', ('age',))} BETWEEN {AGE.minimum} AND {AGE.maximum}))",
    ])
    collected = d.timestamp_us(d.jstring(*at(("collected_at",))))
    recipients = sorted(policy.vocabulary.recipients)
    destination_ok = f"({is_type(('destination',), d.STRING)} AND {known(d.jstring(*at(('destination',))), n.countries)})"
    recipient_ok = absent_or_null(("recipient",))
    if recipients:  # a recipient gives the destination; one stated as well must be its country
        named = d.jstring(*at(("recipient",)))
        country = recipient_fact(policy, d, named, "country")
        recipient_ok = f"({recipient_ok} OR ({is_type(('recipient',), d.STRING)} AND {known(named, recipients)}))"
        destination_ok = (f"(CASE WHEN {absent_or_null(('recipient',))} THEN {destination_ok} "
                          f"WHEN {absent_or_null(('destination',))} THEN true "
                          f"ELSE {destination_ok} AND {d.jstring(*at(('destination',)))} = {country} END)")
    checks = [
        ("the line is not a JSON object", f"({j} IS NOT NULL AND {d.jtype(j)} = {d.OBJECT})"),
        ("an unknown field", only_keys((), EVENT_KEYS)),
        ("`purpose`", f"({is_type(('purpose',), d.STRING)} AND {known(d.jstring(*at(('purpose',))), n.based)})"),
        ("`categories`", f"({string_list(('categories',), n.categories)} AND "
                         f"{d.length(d.jitems(*at(('categories',))))} > 0)"),
        ("`recipient`", recipient_ok),
        ("`destination`", destination_ok),
        ("`subject`", f"({absent_or_null(s)} OR ({is_type(s, d.OBJECT)} AND {only_keys(s, SUBJECT_KEYS)}))"),
        ("`subject.id`", f"({absent_or_null(s + ('id',))} OR {is_type(s + ('id',), d.STRING)})"),
        ("`subject.kind`", f"({absent_or_null(s + ('kind',))} OR {is_type(s + ('kind',), d.STRING)})"),
        ("`subject.age`", f"({absent_or_null(s + ('age',))} OR ({d.jtype(*at(s + ('age',)))} IN {d.INT_TYPES} "
                          f"AND {d.jint(*at(s + ('age',)))} BETWEEN {AGE.minimum} AND {AGE.maximum}))"),
        ("`subject.country`", f"({absent_or_null(s + ('country',))} OR ({is_type(s + ('country',), d.STRING)} "
                              f"AND {known(d.jstring(*at(s + ('country',))), n.countries)}))"),
        ("`subject.consents`", f"({absent_or_null(s + ('consents',))} OR ({is_type(s + ('consents',), d.ARRAY)} AND "
                               f"{d.all(d.jitems(*at(s + ('consents',))), 'c', consent_ok)}))"),
        ("`subject.objections`", f"({absent_or_null(s + ('objections',))} OR "
                                 f"{string_list(s + ('objections',), n.purposes)})"),
        ("`safeguards`", f"({absent_or_null(('safeguards',))} OR {string_list(('safeguards',), None)})"),
        ("`automated`", f"({absent_or_null(('automated',))} OR {is_type(('automated',), d.BOOLEAN)})"),
        ("`exporter`", f"({absent_or_null(('exporter',))} OR ({is_type(('exporter',), d.STRING)} AND "
                       f"{known(d.jstring(*at(('exporter',))), list(EXPORTER.choices))}))"),
        ("`collected_at`", f"({absent_or_null(('collected_at',))} OR {timestamp(*at(('collected_at',)))})"),
        ("`at`", f"({absent_or_null(('at',))} OR {timestamp(*at(('at',)))})"),
        ("`context`", f"({absent_or_null(('context',))} OR {is_type(('context',), d.OBJECT)})"),
        ("`collected_at` is later than `at`", f"({collected} IS NULL OR {collected} <= lawful_at)"),
        *fact_checks(policy, d, at(s + ("kind",)), at(("context",))),
    ]
    problem = "coalesce(lawful_problem, CASE " + " ".join(f"WHEN NOT coalesce({test}, false) THEN {quote(what)}"
                                                          for what, test in checks) + " END)"
    consent = d.struct({
        "purpose": d.jstring("c", ("purpose",)),
        "given_at": d.timestamp_us(d.jstring("c", ("given_at",))),
        "withdrawn_at": d.timestamp_us(d.jstring("c", ("withdrawn_at",))),
        "explicit": f"coalesce({d.jbool('c', ('explicit',))}, false)",
        "parental": f"coalesce({d.jbool('c', ('parental',))}, false)",
        "age": d.jint("c", ("age",)),
    })
    columns = {
        "purpose": d.jstring(*at(("purpose",))),
        "categories": d.transform(d.jitems(*at(("categories",))), "x", d.jstring("x")),
        "destination": d.jstring(*at(("destination",))),
        "subject_id": d.jstring(*at(s + ("id",))),
        "subject_age": d.jint(*at(s + ("age",))),
        "subject_country": d.jstring(*at(s + ("country",))),
        "subject_kind": d.jstring(*at(s + ("kind",))),
        "objections": d.transform(d.jitems(*at(s + ("objections",))), "x", d.jstring("x")),
        "safeguards": d.transform(d.jitems(*at(("safeguards",))), "x", d.jstring("x")),
        "automated": f"coalesce({d.jbool(*at(('automated',)))}, false)",
        "exporter": f"coalesce({d.jstring(*at(('exporter',)))}, {quote(EXPORTER.default)})",
        "collected_us": d.timestamp_us(d.jstring(*at(("collected_at",)))),
        "at_us": f"coalesce({d.timestamp_us(d.jstring(*at(('at',))))}, {int(now_us)})",
        "context": d.jvalue(*at(("context",))),
    }
    columns["recipient"] = d.jstring(*at(("recipient",)))
    if recipients:
        columns["destination"] = (f"coalesce({columns['destination']}, "
                                  f"{recipient_fact(policy, d, columns['recipient'], 'country')})")
        if any(r.holds for r in policy.vocabulary.recipients.values()):
            columns["safeguards"] = d.distinct_sorted(d.concat_lists([
                f"coalesce({columns['safeguards']}, {d.strings([])})",
                f"coalesce({recipient_fact(policy, d, columns['recipient'], 'holds')}, {d.strings([])})"]))
    cover = purpose_cover(policy, columns["purpose"])
    columns["consent_bits"] = consent_bits(
        d, d.transform(d.jitems(*at(s + ("consents",))), "c", consent), {k: f"c.{k}" for k in CONSENT_KEYS},
        "lawful_at", "lawful_cover")
    if reads_consent_age(policy):
        columns["subject_consent_age"] = consent_age(
            d, d.transform(d.jitems(*at(s + ("consents",))), "c", consent), {k: f"c.{k}" for k in CONSENT_KEYS},
            "lawful_at", "lawful_cover", columns["subject_age"])
    at_us = columns.pop("at_us")
    fields = split_json(d, source, j, "j", EVENT_KEYS)
    fields = split_json(d, fields, "j_subject", "j_subject", SUBJECT_KEYS)
    return (f"SELECT eid, file, line_number, line, problem IS NULL AS valid, problem, false AS deferred, "
            + ", ".join(f"CASE WHEN problem IS NULL THEN {expr} END AS {name}" for name, expr in columns.items())
            + f", CASE WHEN problem IS NULL THEN lawful_at END AS at_us FROM (SELECT *, {problem} AS problem "
            f"FROM (SELECT *, {at_us} AS lawful_at, {cover} AS lawful_cover FROM {fields}) AS timed) AS checked")
