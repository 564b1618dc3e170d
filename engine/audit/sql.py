"""A policy as column expressions: the relational backend of `lawful audit`.

The same meaning as the reference evaluator, set at a time instead of event at a
time. Two stages, both plain SQL text over one table:

1. **events** (`events_sql`): each input line's JSON is checked the way
   `engine.Event` checks it (types, unknown fields, names the policy knows, ISO
   countries, timestamps) and read into typed columns. Timestamps become
   microseconds since the epoch (UTC), durations microseconds.
2. **decisions** (`decisions_sql`): every rule's target becomes membership in
   name sets expanded through the hierarchies once, here (no joins per row are
   needed for `is`); regions are sets; tables are CASE lookups; consent
   validity and objections are list functions over the subject's records.

Errors in conditions are SQL NULL: SQL's three-valued `and`/`or`/`not` is the
reference's absorption (`false and error` is false, `true or error` is true), so
a forbid applies when its condition is true *or NULL* (fail closed) and a permit
only when it is true.

`Dialect` holds what differs between DuckDB and Spark SQL (list functions,
lambdas, JSON access). Nothing from the policy reaches the SQL text except
through `quote` (string literals) and integers: names are data, never syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .. import ir
from ..check import RESERVED_LABEL, CheckedPolicy
from ..core.countries import iso_codes

# events.md rule 6 (the day of the month, the year 0000 and the range are checked apart)
TIMESTAMP_PATTERN = ("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                     "([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?")
MIN_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
EVENT_KEYS = ["purpose", "categories", "destination", "subject", "safeguards", "automated",
              "collected_at", "at", "context"]
SUBJECT_KEYS = ["id", "age", "country", "kind", "consents", "objections"]
CONSENT_KEYS = ["purpose", "given_at", "withdrawn_at", "explicit", "parental"]
SEPARATOR = "|"
CONSENT_BITS = {None: 1, "explicit": 2, "parental": 4}
INVALID_CONSENT = 8
COSTLY_SQL = 120  # characters: a condition this long is worth skipping where it cannot matter


SPELLED = "'\\\x00"  # characters a literal never holds: a quote, a backslash, NUL


def quote(text: str) -> str:
    """A SQL string literal (the only way policy text enters the SQL), spelled the
    same for DuckDB and Spark and exact for every string: a quote, a backslash or a
    NUL becomes chr(39)/chr(92)/chr(0) in a concat(), since the two dialects escape
    differently inside literals (and neither can hold NUL in one)."""
    if not any(char in text for char in SPELLED):
        return "'" + text + "'"
    parts, current = [], ""
    for char in text:
        if char in SPELLED:
            if current:
                parts.append("'" + current + "'")
            parts.append(f"chr({ord(char)})")
            current = ""
        else:
            current += char
    if current:
        parts.append("'" + current + "'")
    return "concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]


class Dialect:
    """DuckDB's spelling; SparkDialect overrides what differs."""

    name = "duckdb"

    def strings(self, values) -> str:
        return "[" + ", ".join(quote(v) for v in values) + "]::VARCHAR[]"

    null_string = "CAST(NULL AS VARCHAR)"
    null_json = "CAST(NULL AS JSON)"

    def lam(self, var: str, body: str) -> str:
        return f"lambda {var}: {body}"

    def transform(self, items: str, var: str, body: str) -> str:
        return f"list_transform({items}, {self.lam(var, body)})"

    def filter(self, items: str, var: str, body: str) -> str:
        return f"list_filter({items}, {self.lam(var, body)})"

    def exists(self, items: str, var: str, body: str) -> str:
        return f"(len(list_filter({items}, {self.lam(var, f'coalesce({body}, false)')})) > 0)"

    def all(self, items: str, var: str, body: str) -> str:
        return f"(len(list_filter({items}, {self.lam(var, f'NOT coalesce({body}, false)')})) = 0)"

    def among(self, value: str, names: list[str]) -> str:
        """value IN (names...): false for an empty list."""
        return self.one_of(value, names) if names else "false"

    def one_of(self, value: str, names) -> str:
        """Whether the string `value` is one of the constant `names` (NULL for NULL).
        A long set is one string with the names between separators, searched for
        `|value|` (names and value without a separator): one substring search,
        which stays fast wherever it is evaluated, where a long list or IN is
        scanned element by element once it is under a CASE, an OR or a lambda."""
        names = sorted(set(names))
        if not names:
            return f"CASE WHEN {value} IS NULL THEN NULL ELSE false END"
        if len(names) <= 8 or any(SEPARATOR in n for n in names):
            return self.contains(self.strings(names), value)
        return self.in_joined(value, quote(SEPARATOR + SEPARATOR.join(names) + SEPARATOR))

    def in_joined(self, value: str, joined: str) -> str:
        """Whether the string `value` is one of the names in `joined` (SQL of a string
        `|a|b|c|`, names without a separator): exact, as `value` may not hold one."""
        bar = quote(SEPARATOR)
        return f"(NOT {self.has_text(value, bar)} AND {self.has_text(joined, f'({bar} || {value} || {bar})')})"

    def has_text(self, text: str, part: str) -> str:
        return f"contains({text}, {part})"

    def position(self, text: str, part: str) -> str:
        """1-based place of `part` in `text`, 0 when absent."""
        return f"instr({text}, {part})"

    def bit_or_all(self, items: str) -> str:
        """The bitwise or of a list of integers (0 for an empty one)."""
        return f"coalesce(list_bit_or({items}), 0)"

    def int_div(self, left: str, right: str) -> str:
        return f"({left} // {right})"

    def hash(self, values: list[str]) -> str:
        """A 64-bit hash of the values together."""
        return f"hash({', '.join(values)})"

    def contains(self, items: str, value: str) -> str:
        return f"list_contains({items}, {value})"

    def overlaps(self, left: str, right: str) -> str:
        return f"list_has_any({left}, {right})"

    def length(self, items: str) -> str:
        return f"len({items})"

    def concat_lists(self, lists: list[str]) -> str:
        return f"flatten([{', '.join(lists)}])" if lists else "[]::VARCHAR[]"

    def distinct_sorted(self, items: str) -> str:
        return f"list_sort(list_distinct({items}))"

    def array(self, items: list[str], kind: str = "VARCHAR") -> str:
        if kind == "STRUCT":  # typed by its elements
            return "[" + ", ".join(items) + "]"
        return "[" + ", ".join(items) + f"]::{kind}[]" if items else f"[]::{kind}[]"

    def element(self, items: str, index: str) -> str:
        """items[index] for a 0-based index."""
        return f"({items})[{index} + 1]"

    def concat(self, *parts: str) -> str:
        return "concat(" + ", ".join(parts) + ")"

    def empty_reasons(self) -> str:
        return ("[]::STRUCT(kind VARCHAR, rule VARCHAR, location VARCHAR, category VARCHAR, "
                "message VARCHAR)[]")

    def zip_categories(self, categories: str, permitted: str) -> str:
        """[(c, p)] pairs of each category and its first permit (or NULL)."""
        return (f"list_transform(range(1, len({categories}) + 1), "
                f"lambda n: {{'c': {categories}[n], 'p': {permitted}[n]}})")

    def struct(self, fields: dict[str, str]) -> str:
        return "{" + ", ".join(f"{quote(k)}: {v}" for k, v in fields.items()) + "}"

    # JSON access: `doc` is a JSON value, `path` a list of keys
    def json_path(self, path) -> str:
        return quote("$" + "".join(f".{_json_key(p)}" for p in path))

    def jtype(self, doc: str, path=()) -> str:
        return f"json_type({doc}, {self.json_path(path)})" if path else f"json_type({doc})"

    def jstring(self, doc: str, path=()) -> str:
        return f"json_extract_string({doc}, {self.json_path(path)})"

    def jvalue(self, doc: str, path=()) -> str:
        return f"json_extract({doc}, {self.json_path(path)})"

    def jitems(self, doc: str, path=()) -> str:
        """The elements of the array at path, as JSON values (empty when absent)."""
        items = f"json_extract({doc}, {quote('$' + ''.join(f'.{_json_key(p)}' for p in path) + '[*]')})"
        return f"coalesce({items}, []::JSON[])"

    def jkeys(self, doc: str, path=()) -> str:
        return f"json_keys({doc}, {self.json_path(path)})" if path else f"json_keys({doc})"

    def json_fields(self, doc: str, keys: list[str], name: str) -> tuple[str | None, list[str]]:
        """Each key's value in the JSON object `doc`: an expression to add first as
        column `name` (or None), and one expression per key. DuckDB extracts every
        path in one parse, into a list."""
        paths = "[" + ", ".join(self.json_path((key,)) for key in keys) + "]"
        return f"json_extract({doc}, {paths})", [f"{name}[{i + 1}]" for i in range(len(keys))]

    def jint(self, doc: str, path=()) -> str:
        return f"TRY_CAST({self.jstring(doc, path)} AS BIGINT)"

    def jdouble(self, doc: str, path=()) -> str:
        return f"TRY_CAST({self.jstring(doc, path)} AS DOUBLE)"

    def jbool(self, doc: str, path=()) -> str:
        return f"({self.jstring(doc, path)} = 'true')"

    def json_text(self, value: str) -> str:
        return f"CAST({value} AS VARCHAR)"

    def to_json_text(self, value: str) -> str:
        return f"CAST(to_json({value}) AS VARCHAR)"

    INT_TYPES = "('BIGINT', 'UBIGINT')"
    NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"
    STRING, BOOLEAN, ARRAY, OBJECT, NULL = "'VARCHAR'", "'BOOLEAN'", "'ARRAY'", "'OBJECT'", "'NULL'"

    def ident(self, name: str) -> str:
        return f'"{name}"'

    def epoch_us(self, timestamp: str) -> str:
        return f"epoch_us({timestamp})"

    def string_list_type(self) -> str:
        return "VARCHAR[]"

    def as_json(self, text: str) -> str:
        return f"TRY_CAST({text} AS JSON)"

    def timestamp_from_us(self, us: str) -> str:
        return f"make_timestamp({us})"

    def regexp_group(self, text: str, pattern: str, group: int) -> str:
        return f"regexp_extract({text}, {quote(pattern)}, {int(group)})"

    def matches(self, text: str, pattern: str) -> str:
        """Whether the whole of `text` matches the regular expression `pattern`."""
        return f"regexp_full_match({text}, {quote(pattern)})"

    def timestamp_us(self, text: str) -> str:
        """Microseconds since the epoch (UTC) of a timestamp string, or NULL when it
        is not one by events.md rule 6: the pattern, a real day of the month, year
        0001-9999, offsets below 24 hours, the instant within 0001..9999 in UTC. The
        number is computed from the digits (days from the civil date), not by a
        cast, so that DuckDB and Spark agree exactly."""
        body = f"CASE WHEN {self.matches('ts', TIMESTAMP_PATTERN)} THEN {timestamp_digits_us(self, 'ts')} END"
        return self.let(text, "ts", body)

    def let(self, value: str, var: str, body: str) -> str:
        """`body` with `var` bound to `value`, computed once (a one-element list)."""
        return f"(list_transform([{value}], {self.lam(var, body)}))[1]"

    def time_in_range(self, us: str) -> str:
        return f"({us} BETWEEN {MIN_US} AND {MAX_US})"


def timestamp_digits_us(d: "Dialect", text: str) -> str:
    """SQL: the instant of `text` (already matching TIMESTAMP_PATTERN) in
    microseconds, NULL when the day does not exist or the instant is out of range."""
    def number(start: int, length: int) -> str:
        return f"CAST(substr({text}, {start}, {length}) AS BIGINT)"

    year, month, day = number(1, 4), number(6, 2), number(9, 2)
    leap = f"(({year} % 4 = 0 AND {year} % 100 <> 0) OR {year} % 400 = 0)"
    month_days = (f"CASE WHEN {month} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
                  f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
    shifted = f"({year} - CASE WHEN {month} <= 2 THEN 1 ELSE 0 END)"  # years from March
    era = d.int_div(shifted, "400")
    yoe = f"({shifted} - {era} * 400)"
    doy = f"({d.int_div(f'(153 * (({month} + 9) % 12) + 2)', '5')} + {day} - 1)"
    doe = f"({yoe} * 365 + {d.int_div(yoe, '4')} - {d.int_div(yoe, '100')} + {doy})"
    days = f"({era} * 146097 + {doe} - 719468)"
    seconds = f"({days} * 86400 + {number(12, 2)} * 3600 + {number(15, 2)} * 60 + {number(18, 2)})"
    fraction = (f"CASE WHEN substr({text}, 20, 1) = '.' THEN CAST(substr(concat("
                f"{d.regexp_group(text, '^.{19}[.]([0-9]+)', 1)}, '000000'), 1, 6) AS BIGINT) ELSE 0 END")
    size = f"length({text})"
    sign = f"substr({text}, {size} - 5, 1)"
    offset = (f"CASE WHEN {size} > 19 AND {sign} IN ('+', '-') THEN (CASE WHEN {sign} = '-' THEN -1 ELSE 1 END) * "
              f"(CAST(substr({text}, {size} - 4, 2) AS BIGINT) * 60 + CAST(substr({text}, {size} - 1, 2) AS BIGINT))"
              f" * 60000000 ELSE 0 END")
    us = f"({seconds} * 1000000 + {fraction} - {offset})"
    return (f"CASE WHEN {year} >= 1 AND {day} <= {month_days} AND {us} BETWEEN {MIN_US} AND {MAX_US} "
            f"THEN {us} END")


def _json_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- stage 1: events --------------------------------------------------------------------------


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


@dataclass
class Names:
    """The policy's names, as the SQL needs them."""

    purposes: list[str]  # every purpose (consents and objections may name any)
    based: list[str]  # purposes with a basis (an event's purpose must be one)
    categories: list[str]
    countries: list[str]


def names(policy: CheckedPolicy) -> Names:
    vocabulary = policy.vocabulary
    return Names(sorted(vocabulary.purposes.graph.nodes), sorted(vocabulary.bases),
                 sorted(vocabulary.categories.graph.nodes), sorted(iso_codes()))


def split_json(dialect: Dialect, source: str, doc: str, prefix: str, keys: list[str]) -> str:
    """`source` with a column <prefix>_<key> per key: that field of the JSON object in
    column `doc` (NULL where absent), the object parsed once for all of them."""
    whole, fields = dialect.json_fields(doc, keys, f"{prefix}_all")
    parts = ", ".join(f"{field} AS {prefix}_{key}" for key, field in zip(keys, fields))
    if whole is not None:
        source = f"(SELECT *, {whole} AS {prefix}_all FROM {source} AS w)"
    return f"(SELECT *, {parts} FROM {source} AS x)"


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
    ])
    collected = d.timestamp_us(d.jstring(*at(("collected_at",))))
    checks = [
        ("the line is not a JSON object", f"({j} IS NOT NULL AND {d.jtype(j)} = {d.OBJECT})"),
        ("an unknown field", only_keys((), EVENT_KEYS)),
        ("`purpose`", f"({is_type(('purpose',), d.STRING)} AND {known(d.jstring(*at(('purpose',))), n.based)})"),
        ("`categories`", f"({string_list(('categories',), n.categories)} AND "
                         f"{d.length(d.jitems(*at(('categories',))))} > 0)"),
        ("`destination`", f"({is_type(('destination',), d.STRING)} AND "
                          f"{known(d.jstring(*at(('destination',))), n.countries)})"),
        ("`subject`", f"({absent_or_null(s)} OR ({is_type(s, d.OBJECT)} AND {only_keys(s, SUBJECT_KEYS)}))"),
        ("`subject.id`", f"({absent_or_null(s + ('id',))} OR {is_type(s + ('id',), d.STRING)})"),
        ("`subject.kind`", f"({absent_or_null(s + ('kind',))} OR {is_type(s + ('kind',), d.STRING)})"),
        ("`subject.age`", f"({absent_or_null(s + ('age',))} OR ({d.jtype(*at(s + ('age',)))} IN {d.INT_TYPES} "
                          f"AND {d.jint(*at(s + ('age',)))} BETWEEN 0 AND 200))"),
        ("`subject.country`", f"({absent_or_null(s + ('country',))} OR ({is_type(s + ('country',), d.STRING)} "
                              f"AND {known(d.jstring(*at(s + ('country',))), n.countries)}))"),
        ("`subject.consents`", f"({absent_or_null(s + ('consents',))} OR ({is_type(s + ('consents',), d.ARRAY)} AND "
                               f"{d.all(d.jitems(*at(s + ('consents',))), 'c', consent_ok)}))"),
        ("`subject.objections`", f"({absent_or_null(s + ('objections',))} OR "
                                 f"{string_list(s + ('objections',), n.purposes)})"),
        ("`safeguards`", f"({absent_or_null(('safeguards',))} OR {string_list(('safeguards',), None)})"),
        ("`automated`", f"({absent_or_null(('automated',))} OR {is_type(('automated',), d.BOOLEAN)})"),
        ("`collected_at`", f"({absent_or_null(('collected_at',))} OR {timestamp(*at(('collected_at',)))})"),
        ("`at`", f"({absent_or_null(('at',))} OR {timestamp(*at(('at',)))})"),
        ("`context`", f"({absent_or_null(('context',))} OR {is_type(('context',), d.OBJECT)})"),
        ("`collected_at` is later than `at`", f"({collected} IS NULL OR {collected} <= lawful_at)"),
    ]
    problem = "coalesce(lawful_problem, CASE " + " ".join(f"WHEN NOT coalesce({test}, false) THEN {quote(what)}"
                                                          for what, test in checks) + " END)"
    consent = d.struct({
        "purpose": d.jstring("c", ("purpose",)),
        "given_at": d.timestamp_us(d.jstring("c", ("given_at",))),
        "withdrawn_at": d.timestamp_us(d.jstring("c", ("withdrawn_at",))),
        "explicit": f"coalesce({d.jbool('c', ('explicit',))}, false)",
        "parental": f"coalesce({d.jbool('c', ('parental',))}, false)",
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
        "collected_us": d.timestamp_us(d.jstring(*at(("collected_at",)))),
        "at_us": f"coalesce({d.timestamp_us(d.jstring(*at(('at',))))}, {int(now_us)})",
        "context": d.jvalue(*at(("context",))),
    }
    cover = purpose_cover(policy, columns["purpose"])
    columns["consent_bits"] = consent_bits(
        d, d.transform(d.jitems(*at(s + ("consents",))), "c", consent), {k: f"c.{k}" for k in CONSENT_KEYS},
        "lawful_at", "lawful_cover")
    at_us = columns.pop("at_us")
    fields = split_json(d, source, j, "j", EVENT_KEYS)
    fields = split_json(d, fields, "j_subject", "j_subject", SUBJECT_KEYS)
    return (f"SELECT eid, file, line_number, line, problem IS NULL AS valid, problem, false AS deferred, "
            + ", ".join(f"CASE WHEN problem IS NULL THEN {expr} END AS {name}" for name, expr in columns.items())
            + f", CASE WHEN problem IS NULL THEN lawful_at END AS at_us FROM (SELECT *, {problem} AS problem "
            f"FROM (SELECT *, {at_us} AS lawful_at, {cover} AS lawful_cover FROM {fields}) AS timed) AS checked")


# ---- stage 2: decisions ------------------------------------------------------------------------


@dataclass
class RuleSql:
    index: int
    effect: str
    label: str | None
    location: str | None
    purposes: list[str] | None  # None: every purpose
    categories: list[str] | None
    destinations: list[str] | None
    condition: str | None  # SQL, NULL meaning an error; None: unconditional
    obligations: tuple[str, ...]


class Compiler:
    def __init__(self, policy: CheckedPolicy, dialect: Dialect):
        """Conditions read stage 1's columns; consent tests read `consent_bits`."""
        self.policy, self.d = policy, dialect
        vocabulary = policy.vocabulary
        self.vocabulary = vocabulary
        self.purpose_ancestors = vocabulary.purposes.ancestors
        self.category_ancestors = vocabulary.categories.ancestors

    # ---- targets ----------------------------------------------------------------------------

    def expand(self, names: frozenset[str] | None, ancestors: dict) -> list[str] | None:
        if names is None:
            return None
        return sorted(n for n, up in ancestors.items() if up & names)

    def overlapping(self, names: frozenset[str] | None) -> list[str] | None:
        """The categories that overlap one of `names`: a descendant or an ancestor
        (each itself included). A forbid (residency and retain too) matches an event
        having one (spec §7.2); a permit only a descendant."""
        if names is None:
            return None
        above = set().union(*(self.category_ancestors.get(n, {n}) for n in names))
        return sorted(set(self.expand(names, self.category_ancestors) or ()) | above)

    def rules(self) -> list[RuleSql]:
        return [RuleSql(
            rule.index, rule.effect, rule.label, rule.location,
            self.expand(rule.purposes, self.purpose_ancestors),
            self.overlapping(rule.categories) if rule.effect == "forbid" else
            self.expand(rule.categories, self.category_ancestors),
            sorted(rule.destination) if rule.destination is not None else None,
            self.condition(rule), rule.obligations) for rule in self.policy.rules]

    # ---- conditions -------------------------------------------------------------------------

    def condition(self, rule: ir.CheckedRule) -> str | None:
        parts = []
        if rule.when is not None:
            parts.append(f"({self.truth(rule.when)})")
        if rule.unless is not None:
            parts.append(f"(NOT ({self.truth(rule.unless)}))")
        return " AND ".join(parts) if parts else None

    def truth(self, node: ir.Node) -> str:
        """A boolean SQL expression; NULL where the reference has an error."""
        if isinstance(node, (ir.And, ir.Or)):
            return self.junction(node)
        if isinstance(node, ir.Not):
            return f"NOT ({self.truth(node.operand)})"
        value, kind = self.value(node)
        if kind == "bool":
            return value
        if kind == "json":  # a context value used as a condition: must be true or false
            doc, path = value
            return f"CASE WHEN {self.d.jtype(doc, path)} = {self.d.BOOLEAN} THEN {self.d.jbool(doc, path)} END"
        return "CAST(NULL AS BOOLEAN)"  # not true or false: an error

    def junction(self, node) -> str:
        """`and`/`or`. SQL's three-valued logic is the reference's absorption, and both
        are commutative in it; when one side is much costlier, it is evaluated only
        where the cheaper side does not decide (false for `and`, true for `or`)."""
        left, right = self.truth(node.left), self.truth(node.right)
        word = "AND" if isinstance(node, ir.And) else "OR"
        both = f"({left}) {word} ({right})"
        cheap, costly = sorted((left, right), key=len)
        if len(costly) < COSTLY_SQL or len(costly) < 2 * len(cheap):
            return both
        decided = f"NOT ({cheap})" if word == "AND" else f"({cheap})"
        return f"CASE WHEN {decided} THEN {'false' if word == 'AND' else 'true'} ELSE {both} END"

    def value(self, node: ir.Node) -> tuple[Any, str]:
        """(SQL, kind): kind is int, string, bool, duration, strings (a list), json
        (a context value: (doc, path), typed only when read), or null."""
        d = self.d
        if isinstance(node, ir.Const):
            return self.constant(node.value)
        if isinstance(node, ir.Field):
            return self.field(node)
        if isinstance(node, ir.Consent):
            return self.consent(node.kind), "bool"
        if isinstance(node, ir.Objected):  # most subjects object to nothing: no list built then
            return (f"CASE WHEN {d.length('objections')} = 0 THEN false "
                    f"ELSE {d.overlaps('objections', 'ancestors')} END"), "bool"
        if isinstance(node, ir.PurposeIn):  # the event's purpose is one of the named one's descendants
            below = [p for p, up in self.purpose_ancestors.items() if node.purpose in up]
            held = d.one_of("purpose", below)
            return (f"NOT {held}" if node.negated else held), "bool"
        if isinstance(node, ir.Member):
            return self.member(node), "bool"
        if isinstance(node, ir.Compare):
            return self.compare(node), "bool"
        if isinstance(node, ir.Lookup):
            return self.lookup(node), "int"
        return self.truth(node), "bool"

    def constant(self, value: Any) -> tuple[Any, str]:
        if isinstance(value, bool):
            return ("true" if value else "false"), "bool"
        if isinstance(value, int):
            return str(value), "int"
        if isinstance(value, timedelta):
            return str(_us(value)), "duration"
        if isinstance(value, str):
            return quote(value), "string"
        if isinstance(value, (frozenset, list, tuple)):
            return value, "set"
        return "NULL", "null"

    def field(self, node: ir.Field) -> tuple[Any, str]:
        head = node.path[0]
        if head in ("purpose", "destination"):
            return head, "string"
        if head == "basis":
            return "basis", "string"
        if head == "safeguards":
            return "safeguards", "strings"
        if head == "automated":
            return "automated", "bool"
        if head == "data_age":
            return "(at_us - collected_us)", "duration"  # NULL without collected_at: an error
        if head == "subject":
            attribute = node.path[1]
            return f"subject_{attribute}", "int" if attribute == "age" else "string"
        return ("context", node.path[1:]), "json"

    def consent(self, kind: str | None) -> str:
        return f"((consent_bits & {CONSENT_BITS[kind]}) <> 0)"

    def scoped(self, rule: "RuleSql") -> str:
        """A rule's condition where its purpose and destination match, NULL elsewhere
        (where it is never read): most rows skip most conditions."""
        scope = []
        if rule.purposes is not None:
            scope.append(self.d.among("purpose", rule.purposes))
        if rule.destinations is not None:
            scope.append(self.d.among("destination", rule.destinations))
        return f"CASE WHEN {' AND '.join(scope)} THEN ({rule.condition}) END" if scope else f"({rule.condition})"

    def typed(self, value: tuple, kind: str, want: str) -> str | None:
        """The SQL of a context value read as `want` (NULL unless it is one); None
        when `want` cannot be held by a JSON value."""
        d = self.d
        doc, path = value
        if want in ("int", "number"):
            return f"CASE WHEN {d.jtype(doc, path)} IN {d.NUMBER_TYPES} THEN {d.jdouble(doc, path)} END"
        if want == "string":
            return f"CASE WHEN {d.jtype(doc, path)} = {d.STRING} THEN {d.jstring(doc, path)} END"
        if want == "bool":
            return f"CASE WHEN {d.jtype(doc, path)} = {d.BOOLEAN} THEN {d.jbool(doc, path)} END"
        return None

    def compare(self, node: ir.Compare) -> str:
        op = {"==": "=", "!=": "<>"}.get(node.op, node.op)
        (left, lkind), (right, rkind) = self.value(node.left), self.value(node.right)
        if lkind == "json" and rkind == "json":
            return self.compare_json(left, right, node.op)
        if lkind == "json" or rkind == "json":
            other = rkind if lkind == "json" else lkind
            want = {"int": "number", "string": "string", "bool": "bool"}.get(other)
            read = self.typed(left if lkind == "json" else right, "json", want) if want else None
            if read is None:
                return "CAST(NULL AS BOOLEAN)"
            if want != "number" and node.op not in ("==", "!="):
                return "CAST(NULL AS BOOLEAN)"  # strings and booleans have no order
            left, right = (read, right) if lkind == "json" else (left, read)
            return f"({left} {op} {right})"
        if lkind in ("set", "strings") or rkind in ("set", "strings"):
            return "CAST(NULL AS BOOLEAN)"
        return f"({left} {op} {right})"

    def compare_json(self, left: tuple, right: tuple, op: str) -> str:
        d = self.d
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        numbers = f"({self.typed(left, 'json', 'number')} {sql_op} {self.typed(right, 'json', 'number')})"
        if op not in ("==", "!="):
            return numbers
        same_kind = (f"(CASE WHEN {d.jtype(*left)} IN {d.NUMBER_TYPES} THEN 'n' ELSE {d.jtype(*left)} END) = "
                     f"(CASE WHEN {d.jtype(*right)} IN {d.NUMBER_TYPES} THEN 'n' ELSE {d.jtype(*right)} END)")
        equal = (f"CASE WHEN {d.jtype(*left)} IN {d.NUMBER_TYPES} THEN {numbers.replace('<>', '=')} "
                 f"ELSE {d.json_text(d.jvalue(*left))} = {d.json_text(d.jvalue(*right))} END")
        result = f"CASE WHEN {d.jtype(*left)} IS NULL OR {d.jtype(*right)} IS NULL THEN NULL " \
                 f"WHEN NOT ({same_kind}) THEN NULL ELSE {equal} END"
        return result if op == "==" else f"NOT ({result})"

    def member(self, node: ir.Member) -> str:
        d = self.d
        (left, lkind), (right, rkind) = self.value(node.left), self.value(node.right)
        if rkind == "set":
            values = sorted(right, key=lambda v: (type(v).__name__, v))
            strings = [v for v in values if isinstance(v, str)]
            numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            bools = [v for v in values if isinstance(v, bool)]
            if lkind == "json":
                cases = []
                if strings:
                    cases.append(f"WHEN {d.jtype(*left)} = {d.STRING} THEN "
                                 f"{d.one_of(d.jstring(*left), strings)}")
                if numbers:
                    cases.append(f"WHEN {d.jtype(*left)} IN {d.NUMBER_TYPES} THEN "
                                 f"{d.jdouble(*left)} IN ({', '.join(str(v) for v in numbers)})")
                cases.append(f"WHEN {d.jtype(*left)} IN ({d.STRING}, {d.BOOLEAN}) OR "
                             f"{d.jtype(*left)} IN {d.NUMBER_TYPES} THEN "
                             + (f"{d.jbool(*left)} IN ({', '.join('true' if b else 'false' for b in bools)}) "
                                f"AND {d.jtype(*left)} = {d.BOOLEAN}" if bools else "false"))
                held = "CASE " + " ".join(cases) + " END"
            elif lkind == "string":
                held = d.one_of(left, strings) if strings else f"({left} IS NULL AND NULL) OR false"
                held = f"CASE WHEN {left} IS NULL THEN NULL ELSE {held} END"
            elif lkind == "int":
                held = (f"CASE WHEN {left} IS NULL THEN NULL ELSE {left} IN "
                        f"({', '.join(str(v) for v in numbers)}) END") if numbers else \
                    f"CASE WHEN {left} IS NULL THEN NULL ELSE false END"
            elif lkind == "bool":
                held = (f"{left} IN ({', '.join('true' if b else 'false' for b in bools)})"
                        if bools else f"CASE WHEN {left} IS NULL THEN NULL ELSE false END")
            else:
                held = "CAST(NULL AS BOOLEAN)"
        elif rkind == "strings":  # `x in safeguards`
            if lkind == "string":
                held = f"CASE WHEN {left} IS NULL THEN NULL ELSE {d.contains(right, left)} END"
            elif lkind == "json":
                held = (f"CASE WHEN {d.jtype(*left)} = {d.STRING} THEN {d.contains(right, d.jstring(*left))} "
                        f"WHEN {d.jtype(*left)} IN {d.NUMBER_TYPES} OR {d.jtype(*left)} = {d.BOOLEAN} "
                        f"THEN false END")
            else:
                held = "false" if lkind in ("int", "bool", "duration") else "CAST(NULL AS BOOLEAN)"
                if lkind in ("int", "bool"):
                    held = f"CASE WHEN {left} IS NULL THEN NULL ELSE false END"
        elif rkind == "json":  # `x in context.list`: compare JSON texts of scalars
            doc, path = right
            if lkind == "json":
                element = f"CASE WHEN {d.jtype(*left)} IN ({d.STRING}, {d.BOOLEAN}) OR {d.jtype(*left)} IN " \
                          f"{d.NUMBER_TYPES} THEN {d.json_text(d.jvalue(*left))} END"
            elif lkind in ("string", "int", "bool"):
                element = d.to_json_text(left)
            else:
                element = "NULL"
            items = d.transform(d.jitems(doc, path), "e", d.json_text("e"))
            held = (f"CASE WHEN coalesce({d.jtype(doc, path)}, '') <> {d.ARRAY} THEN NULL "
                    f"WHEN {element} IS NULL THEN NULL ELSE {d.contains(items, element)} END")
        else:
            held = "CAST(NULL AS BOOLEAN)"
        return f"NOT ({held})" if node.negated else f"({held})"

    def lookup(self, node: ir.Lookup) -> str:
        d = self.d
        table = self.vocabulary.tables[node.table]
        key, kind = self.value(node.key)
        if kind == "json":
            key = self.typed(key, "json", "string")
        elif kind != "string":
            return "CAST(NULL AS BIGINT)"
        default = "NULL" if table.default is None else str(int(table.default))
        entries = sorted(table.entries.items())
        if not entries or any(SEPARATOR in k for k, _ in entries):
            branches = " ".join(f"WHEN {key} = {quote(k)} THEN {int(v)}" for k, v in entries)
            return f"CAST(CASE WHEN {key} IS NULL THEN NULL {branches} ELSE {default} END AS BIGINT)"
        # one substring search: the key's place in |k1|k2|…| indexes a list holding each
        # value where its key starts (0, not found, holds NULL: the default)
        joined = SEPARATOR + SEPARATOR.join(k for k, _ in entries) + SEPARATOR
        values: list[str] = ["NULL"] * (len(joined) + 1)
        place = 1
        for k, v in entries:
            values[place] = str(int(v))
            place += len(k) + 1
        found = (f"CASE WHEN {d.has_text(key, quote(SEPARATOR))} THEN 0 ELSE "
                 f"{d.position(quote(joined), f'({quote(SEPARATOR)} || {key} || {quote(SEPARATOR)})')} END")
        value = d.element(d.array(values, "BIGINT"), found)
        return f"CAST(CASE WHEN {key} IS NULL THEN NULL ELSE coalesce({value}, {default}) END AS BIGINT)"


def _us(duration: timedelta) -> int:
    return (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds


def purpose_columns(policy: CheckedPolicy, dialect: Dialect) -> tuple[str, str]:
    """SQL of the event purpose's lawful basis and of its ancestors (itself included)."""
    vocabulary = policy.vocabulary
    purposes = sorted(vocabulary.bases)
    basis = "CASE " + " ".join(f"WHEN purpose = {quote(p)} THEN {quote(vocabulary.bases[p])}"
                               for p in purposes) + " END"
    ancestors = "CASE " + " ".join(
        f"WHEN purpose = {quote(p)} THEN {dialect.strings(sorted(vocabulary.purposes.ancestors[p]))}"
        for p in purposes) + " END"
    return basis, ancestors


def purpose_cover(policy: CheckedPolicy, purpose: str) -> str:
    """SQL of the event purpose's ancestors (itself included) as one string `|a|b|`:
    a consent's purpose covers the event's when `|purpose|` is in it."""
    ancestors = policy.vocabulary.purposes.ancestors
    return "CASE " + " ".join(
        f"WHEN {purpose} = {quote(p)} THEN {quote(SEPARATOR + SEPARATOR.join(sorted(ancestors[p])) + SEPARATOR)}"
        for p in sorted(policy.vocabulary.bases)) + " END"


FACT_COLUMNS = ["eid", "file", "line_number", "line", "valid", "problem", "deferred", "purpose", "categories",
                "destination", "subject_id", "at_us"]


def facts_sql(policy: CheckedPolicy, events: str, dialect: Dialect) -> tuple[str, list[str]]:
    """SELECT over `events` (stage 1) keeping FACT_COLUMNS and adding what the
    decision reads from each event: each condition's value where its rule's purpose
    and destination match (h<rule>; NULL for an error or elsewhere) and, for a
    purpose based on consent, whether a valid consent is held. Returns it and the
    names of the columns that, with purpose, categories, destination and problem,
    decide the event: its signature."""
    basis, ancestors = purpose_columns(policy, dialect)
    compiler = Compiler(policy, dialect)
    rules = [r for r in compiler.rules() if r.condition is not None]
    with_basis = f"SELECT *, {basis} AS basis, {ancestors} AS ancestors FROM {events}"
    columns = [f"{compiler.scoped(r)} AS h{r.index}" for r in rules]
    columns.append(f"CASE WHEN basis = 'consent' THEN {compiler.consent(None)} END AS consent_held")
    return (f"SELECT {', '.join(FACT_COLUMNS)}, {', '.join(columns)} FROM ({with_basis}) AS b",
            [f"h{r.index}" for r in rules] + ["consent_held"])


PACK = 31  # three-valued facts per BIGINT: base-4 digits, 4**31 < 2**63


def packed_facts(signature: list[str]) -> list[tuple[str, str]]:
    """(SQL, name) of the BIGINT columns packing the three-valued `signature`
    columns (NULL 0, true 1, false 2), 31 to a column: a short, exact key."""
    columns = []
    for start in range(0, len(signature), PACK):
        digits = [f"CAST(CASE WHEN {name} IS NULL THEN 0 WHEN {name} THEN 1 ELSE 2 END AS BIGINT) * "
                  f"CAST({4 ** i} AS BIGINT)"
                  for i, name in enumerate(signature[start:start + PACK])]
        columns.append((f"CAST({' + '.join(digits)} AS BIGINT)", f"k{start // PACK}"))
    return columns


def unpacked_facts(signature: list[str], dialect: Dialect) -> list[tuple[str, str]]:
    """(SQL, name) giving back each `signature` column from `packed_facts`' columns."""
    columns = []
    for position, name in enumerate(signature):
        key, digit = f"k{position // PACK}", position % PACK
        value = f"({dialect.int_div(key, str(4 ** digit))} % 4)"
        columns.append((f"CASE {value} WHEN 1 THEN true WHEN 2 THEN false END", name))
    return columns


def decisions_sql(policy: CheckedPolicy, events: str, dialect: Dialect) -> str:
    """SELECT over `events` (valid, problem, purpose, categories, destination and
    facts_sql's h<rule> and consent_held) giving: `effect`, `forbidden` (rule
    indexes), `no_consent`, `permitted` (per category, the first covering permit's
    index or NULL), `obligations` — valid events only; invalid ones have effect deny
    and their `problem`."""
    d = dialect
    compiler = Compiler(policy, dialect)
    rules = compiler.rules()
    basis, ancestors = purpose_columns(policy, dialect)

    def targets(rule: RuleSql, category: str | None) -> list[str]:
        parts = []
        if rule.purposes is not None:
            parts.append(d.among("purpose", rule.purposes))
        if rule.destinations is not None:
            parts.append(d.among("destination", rule.destinations))
        if rule.categories is not None:
            parts.append(d.among(category, rule.categories) if category else
                         d.overlaps("categories", d.strings(rule.categories)))
        return parts

    holds = {r.index: f"h{r.index}" for r in rules if r.condition is not None}

    def forbid_applies(rule: RuleSql) -> str:
        parts = targets(rule, None)
        if rule.condition is not None:
            parts.append(f"coalesce({holds[rule.index]}, true)")
        return " AND ".join(parts) or "true"

    def permit_covers(rule: RuleSql, category: str) -> str:
        parts = targets(rule, category)
        if rule.condition is not None:
            parts.append(f"coalesce({holds[rule.index]}, false)")
        return " AND ".join(parts) or "true"

    forbids = [r for r in rules if r.effect == "forbid"]
    permits = [r for r in rules if r.effect == "permit"]
    forbidden = d.filter(d.array([f"CASE WHEN {forbid_applies(r)} THEN {r.index} END" for r in forbids], "INTEGER"),
                         "x", "x IS NOT NULL")
    first_permit = ("CASE " + " ".join(f"WHEN {permit_covers(r, 'c')} THEN {r.index}" for r in permits)
                    + " END") if permits else "CAST(NULL AS INTEGER)"
    permitted = d.transform("categories", "c", first_permit)
    # obligations: the union over every permit that covers a category. Each such permit
    # is one boolean; with few of them, every combination is a constant list (cheap),
    # else the lists are concatenated per event
    granting = [r for r in permits if r.obligations]
    grants = {r.index: f"g{r.index}" for r in granting}
    grant_columns = "".join(f", {d.exists('categories', 'c', permit_covers(r, 'c'))} AS g{r.index}"
                            for r in granting)
    if len(granting) <= 5:
        cases = []
        for mask in range((1 << len(granting)) - 1, 0, -1):
            chosen = [r for bit, r in enumerate(granting) if mask >> bit & 1]
            test = " AND ".join(grants[r.index] for r in chosen)
            cases.append(f"WHEN {test} THEN {d.strings(sorted({o for r in chosen for o in r.obligations}))}")
        obligations = ("CASE " + " ".join(cases) + f" ELSE {d.strings([])} END") if cases else d.strings([])
    else:
        obligations = d.distinct_sorted(d.concat_lists([
            f"CASE WHEN {grants[r.index]} THEN {d.strings(sorted(r.obligations))} ELSE {d.strings([])} END"
            for r in granting]))
    any_forbid = " OR ".join(f"({forbid_applies(r)})" for r in forbids) or "false"
    base = f"SELECT *, {basis} AS basis, {ancestors} AS ancestors FROM {events}"
    consent = "consent_held"
    with_conditions = f"SELECT *{grant_columns} FROM ({base}) AS b"
    decided = (f"SELECT *, {forbidden} AS forbidden, (basis = 'consent' AND NOT {consent}) AS no_consent, "
               f"{permitted} AS permitted, ({any_forbid}) AS any_forbid FROM ({with_conditions}) AS w")
    return (f"SELECT *, "
            f"CASE WHEN NOT valid OR any_forbid OR no_consent OR "
            f"{d.exists('permitted', 'p', 'p IS NULL')} THEN 'deny' ELSE 'allow' END AS effect, "
            f"CASE WHEN valid AND NOT any_forbid AND NOT no_consent AND NOT "
            f"{d.exists('permitted', 'p', 'p IS NULL')} THEN {obligations} ELSE {d.strings([])} END "
            f"AS obligations FROM ({decided}) AS x")


__all__ = ["Dialect", "decisions_sql", "events_sql", "quote", "RESERVED_LABEL"]


def reasons_sql(policy: CheckedPolicy, decided: str, dialect: Dialect) -> str:
    """SELECT over `decided` (from decisions_sql joined with the events) adding
    `reasons`: a list of (kind, rule, location, category, message) in the
    reference's order — forbids in policy order, the consent rule, then each
    category not covered; for an allow, the permit covering each category."""
    d = dialect
    rules = policy.rules
    labels = d.array([quote(r.label) if r.label else "NULL" for r in rules])
    locations = d.array([quote(r.location) if r.location else "NULL" for r in rules])
    forbid_messages = d.array([quote(r.because or f"forbidden by {r.name}") for r in rules])
    permit_messages = d.array([quote(r.because or f"permitted by {r.name}") for r in rules])
    from ..decide.reference import CONSENT_CITE

    def reason(kind: str, rule: str, location: str, category: str, message: str) -> str:
        return d.struct({"kind": quote(kind), "rule": rule, "location": location,
                         "category": category, "message": message})

    null = d.null_string
    forbidden = d.transform("forbidden", "i", reason(
        "forbidden", d.element(labels, "i"), d.element(locations, "i"), null, d.element(forbid_messages, "i")))
    no_consent = reason("no-consent", quote(RESERVED_LABEL), null, null, d.concat(
        quote("the purpose `"), "purpose",
        quote("` is based on consent, and the subject holds no valid consent covering it")))
    consent = f"CASE WHEN no_consent THEN {d.array([no_consent], 'STRUCT')} ELSE {d.empty_reasons()} END"
    pairs = d.zip_categories("categories", "permitted")
    uncovered = d.transform(d.filter(pairs, "q", "q.p IS NULL"), "q", reason(
        "not-permitted", null, null, "q.c",
        d.concat(quote("no permit covers the category `"), "q.c", quote("` for the purpose `"), "purpose",
                 quote("` to `"), "destination", quote("`"))))
    covered = d.transform(pairs, "q", reason(
        "permitted", d.element(labels, "q.p"), d.element(locations, "q.p"), "q.c",
        d.concat(quote("`"), "q.c", quote("`: "), d.element(permit_messages, "q.p"))))
    invalid = d.array([reason("invalid-event", null, null, null,
                              d.concat(quote("the event is not valid: "), "coalesce(problem, '')"))], "STRUCT")
    _ = CONSENT_CITE
    return (f"SELECT *, CASE WHEN NOT valid THEN {invalid} "
            f"WHEN effect = 'deny' THEN {d.concat_lists([forbidden, consent, uncovered])} "
            f"ELSE {covered} END AS reasons FROM {decided}")


# ---- stage 1, typed: columnar events (Parquet) --------------------------------------------------

STRING, INT, BOOL, TIME, STRINGS = "string", "int", "bool", "time", "strings"
EVENT_SCHEMA = {"purpose": STRING, "categories": STRINGS, "destination": STRING, "safeguards": STRINGS,
                "automated": BOOL, "collected_at": TIME, "at": TIME, "context": STRING}
SUBJECT_SCHEMA = {"id": STRING, "age": INT, "country": STRING, "kind": STRING, "objections": STRINGS}
CONSENT_SCHEMA = {"purpose": STRING, "given_at": TIME, "withdrawn_at": TIME, "explicit": BOOL, "parental": BOOL}


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
        ("`subject.age`", f"({sub('age', 'NULL')} IS NULL OR {sub('age', 'NULL')} BETWEEN 0 AND 200)"),
        ("`subject.country`", f"({sub('country', 'NULL')} IS NULL OR {known(sub('country', null_str), n.countries)})"),
        ("`subject.objections`", d.all(f"coalesce({sub('objections', null_list)}, {null_list})", "x",
                                       known_item("x", n.purposes))),
        ("`collected_at`", time_ok("collected_at", shape.get("collected_at"))),
        ("`at`", time_ok(d.ident("at"), shape.get("at"))),
        ("`context`", "true" if "context" not in shape else
         f"(context IS NULL OR (lawful_context_problem IS NULL AND {d.jtype(d.as_json('context'))} = "
         f"{d.OBJECT}))"),
        ("`collected_at` is later than `at`", f"({time_us('collected_at', shape.get('collected_at'))} IS NULL "
                                              f"OR {time_us('collected_at', shape.get('collected_at'))} <= lawful_at)"),
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
        }
        valid_record = " AND ".join([
            known_item("c.purpose", n.purposes),
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
    }
    columns["consent_bits"] = f"lawful_scan & {INVALID_CONSENT - 1}"
    cover = purpose_cover(policy, purpose)
    at = columns.pop("at_us")
    raw = ("purpose", "categories", "destination")  # the signature: kept as read, checked later
    scanned = (f"(SELECT *, {scan} AS lawful_scan FROM (SELECT *, {at} AS lawful_at, {cover} AS "
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
