"""Stage 1 for columnar events (Parquet) whose columns have the event's types
(fields.py): only values are checked (names, countries, ranges, timestamps), into
the same typed row as events.py's; purpose, categories and destination are
checked once per signature (`signature_problem`, the row is `deferred`)."""

from __future__ import annotations

from ...ir import CheckedPolicy
from .dialects import Dialect, quote
from .events import INVALID_CONSENT, consent_age, consent_bits, fact_checks, names, purpose_cover, reads_consent_age
from .fields import AGE, BOOL, EXPORTER, CONSENT_SCHEMA, EVENT_SCHEMA, INT, STRING, STRINGS, SUBJECT_SCHEMA, TIME


def arrow_shape(schema) -> dict | None:
    """The event fields a columnar file holds, each as (kind, is-a-timestamp-column),
    or None when its columns are not the event's (it is then read as JSON)."""
    import pyarrow as pa

    def kind(arrow_type, wanted: str) -> tuple[str, bool] | None:
        if wanted == STRING and (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
            return STRING, False
        if wanted == INT and pa.types.is_integer(arrow_type):
            return INT, False
        if wanted == BOOL and pa.types.is_boolean(arrow_type):
            return BOOL, False
        if wanted == TIME and pa.types.is_timestamp(arrow_type):
            return TIME, True
        if wanted == TIME and (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
            return TIME, False
        if wanted == STRINGS and (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)) and (
                pa.types.is_string(arrow_type.value_type) or pa.types.is_large_string(arrow_type.value_type)):
            return STRINGS, False
        return None

    shape: dict = {}
    for field in schema:
        if field.name == "subject":
            if not pa.types.is_struct(field.type):
                return None
            subject: dict = {}
            for inner in field.type:
                if inner.name == "consents":
                    if not pa.types.is_list(inner.type) or not pa.types.is_struct(inner.type.value_type):
                        return None
                    consent = {}
                    for record_field in inner.type.value_type:
                        wanted = CONSENT_SCHEMA.get(record_field.name)
                        found = kind(record_field.type, wanted) if wanted else None
                        if found is None:
                            return None
                        consent[record_field.name] = found
                    if "purpose" not in consent or "given_at" not in consent:
                        return None
                    subject["consents"] = consent
                    continue
                wanted = SUBJECT_SCHEMA.get(inner.name)
                found = kind(inner.type, wanted) if wanted else None
                if found is None:
                    return None
                subject[inner.name] = found
            shape["subject"] = subject
            continue
        if field.name in ("recipient", "exporter"):  # values checked against the policy's: read as JSON
            return None
        wanted = EVENT_SCHEMA.get(field.name)
        found = kind(field.type, wanted) if wanted else None
        if found is None:
            return None
        shape[field.name] = found
    return shape


def typed_events_sql(policy: CheckedPolicy, source: str, shape: dict, dialect: Dialect, now_us: int) -> str:
    """stage 1 for columnar events whose columns have the event's types (see
    `arrow_shape`): only values are checked (names, countries, ranges, timestamps)."""
    d, n = dialect, names(policy)
    subject = shape.get("subject", {})
    consent_shape = subject.get("consents")

    def column(path: str, spec) -> str | None:
        return path if spec is not None else None

    def time_us(expr: str, spec) -> str:
        if spec is None:
            return "CAST(NULL AS BIGINT)"
        if spec[1]:  # a timestamp column: its instant, within events.md's range
            return f"CASE WHEN {d.time_in_range(d.epoch_us(expr))} THEN {d.epoch_us(expr)} END"
        return d.timestamp_us(expr)

    def time_ok(expr: str, spec) -> str:
        if spec is None:
            return "true"
        return f"({expr} IS NULL OR {time_us(expr, spec)} IS NOT NULL)"

    def known(value: str, values: list[str]) -> str:
        return d.one_of(value, values)

    def known_item(value: str, values: list[str]) -> str:  # inside a lambda: a short list scan is faster
        return d.contains(d.strings(values), value)

    null_str, null_list = d.null_string, d.strings([])
    purpose = column("purpose", shape.get("purpose")) or null_str
    categories = column("categories", shape.get("categories")) or f"CAST(NULL AS {d.string_list_type()})"
    destination = column("destination", shape.get("destination")) or null_str

    def sub(name: str, fallback: str) -> str:
        return f"subject.{name}" if name in subject else fallback

    checks = [  # after signature_problem's (purpose, categories, destination), checked per signature
        ("`subject.age`", f"({sub('age', 'NULL')} IS NULL OR {sub('age', 'NULL')} BETWEEN {AGE.minimum} AND {AGE.maximum})"),
        ("`subject.country`", f"({sub('country', 'NULL')} IS NULL OR {known(sub('country', null_str), n.countries)})"),
        ("`subject.objections`", d.all(f"coalesce({sub('objections', null_list)}, {null_list})", "x",
                                       known_item("x", n.purposes))),
        ("`collected_at`", time_ok("collected_at", shape.get("collected_at"))),
        ("`at`", time_ok(d.ident("at"), shape.get("at"))),
        ("`context`", "true" if "context" not in shape else
         # JSON text `null` is the field left out, as everywhere (spec section 6)
         f"(context IS NULL OR (lawful_context_problem IS NULL AND "
         f"coalesce({d.jtype(d.as_json('context'))}, {d.NULL}) IN ({d.OBJECT}, {d.NULL})))"),
        ("`collected_at` is later than `at`", f"({time_us('collected_at', shape.get('collected_at'))} IS NULL "
                                              f"OR {time_us('collected_at', shape.get('collected_at'))} <= lawful_at)"),
        *fact_checks(policy, d, "subject.kind" if "kind" in subject else None,
                     (d.as_json("context"), ()) if "context" in shape else None),
    ]
    scan = "0"
    if consent_shape is not None:
        def field(name: str, fallback: str) -> str:
            return f"c.{name}" if name in consent_shape else fallback

        record = {
            "purpose": "c.purpose",
            "given_at": time_us("c.given_at", consent_shape["given_at"]),
            "withdrawn_at": time_us(field("withdrawn_at", "NULL"), consent_shape.get("withdrawn_at")),
            "explicit": f"coalesce({field('explicit', 'NULL')}, false)",
            "parental": f"coalesce({field('parental', 'NULL')}, false)",
            "age": f"CAST({field('age', 'NULL')} AS BIGINT)",
        }
        valid_record = " AND ".join([
            known_item("c.purpose", n.purposes),
            *([f"(c.age IS NULL OR c.age BETWEEN {AGE.minimum} AND {AGE.maximum})"] if "age" in consent_shape else []),
            f"c.given_at IS NOT NULL AND {record['given_at']} IS NOT NULL",
            time_ok(field("withdrawn_at", "NULL"), consent_shape.get("withdrawn_at")),
        ])
        # one scan of the records: whether each is valid, and which consents are held
        scan = consent_bits(d, "subject.consents", record, "lawful_at", "lawful_cover",
                            invalid=f"NOT ({valid_record})")
        checks.append(("`subject.consents`", f"(lawful_scan & {INVALID_CONSENT}) = 0"))
    problem = "CASE " + " ".join(f"WHEN NOT coalesce({test}, false) THEN {quote(what)}"
                                 for what, test in checks) + " END"
    columns = {
        "purpose": purpose, "categories": categories, "destination": destination,
        "subject_id": sub("id", null_str), "subject_age": f"CAST({sub('age', 'NULL')} AS BIGINT)",
        "subject_country": sub("country", null_str), "subject_kind": sub("kind", null_str),
        "objections": f"coalesce({sub('objections', null_list)}, {null_list})",
        "safeguards": f"coalesce({column('safeguards', shape.get('safeguards')) or null_list}, {null_list})",
        "automated": f"coalesce({column('automated', shape.get('automated')) or 'NULL'}, false)",
        "collected_us": time_us("collected_at", shape.get("collected_at")),
        "at_us": f"coalesce({time_us(d.ident('at'), shape.get('at'))}, {int(now_us)})",
        "context": d.as_json("context") if "context" in shape else d.null_json,
        "recipient": null_str,  # a file with recipients is read as JSON (`arrow_shape`)
        "exporter": quote(EXPORTER.default),  # the same
    }
    columns["consent_bits"] = f"lawful_scan & {INVALID_CONSENT - 1}"
    if reads_consent_age(policy):
        columns["subject_consent_age"] = columns["subject_age"] if consent_shape is None else consent_age(
            d, "subject.consents", record, "lawful_at", "lawful_cover", columns["subject_age"])
    cover = purpose_cover(policy, purpose)
    at_us = columns.pop("at_us")
    raw = ("purpose", "categories", "destination")  # the signature: kept as read, checked later
    scanned = (f"(SELECT *, {scan} AS lawful_scan FROM (SELECT *, {at_us} AS lawful_at, {cover} AS "
               f"lawful_cover FROM {source}) AS timed)")
    return (f"SELECT eid, file, line_number, line, problem IS NULL AS valid, problem, true AS deferred, "
            + ", ".join(expr if name in raw and expr == name else
                        f"{expr} AS {name}" if name in raw else
                        f"CASE WHEN problem IS NULL THEN {expr} END AS {name}" for name, expr in columns.items())
            + f", CASE WHEN problem IS NULL THEN lawful_at END AS at_us FROM (SELECT *, {problem} AS problem "
            f"FROM {scanned} AS s) AS checked")


def signature_problem(policy: CheckedPolicy, dialect: Dialect) -> str:
    """Why the columns purpose, categories and destination (as read from a columnar
    file) do not make a valid event, or NULL: the first three of stage 1's checks,
    made once per signature instead of once per event (`deferred`)."""
    d, n = dialect, names(policy)
    checks = [
        ("`purpose`", d.one_of("purpose", n.based)),
        ("`categories`", f"(categories IS NOT NULL AND {d.length('categories')} > 0 AND "
                         f"{d.all('categories', 'x', d.contains(d.strings(n.categories), 'x'))})"),
        ("`destination`", d.one_of("destination", n.countries)),
    ]
    return "CASE " + " ".join(f"WHEN NOT coalesce({test}, false) THEN {quote(what)}"
                              for what, test in checks) + " END"
