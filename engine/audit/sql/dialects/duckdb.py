"""DuckDB's spelling of the audit's SQL: list functions, `lambda x:` and JSON
read with json_extract (a line's fields in one parse)."""

from __future__ import annotations

from .base import MAX_US, MIN_US, TIMESTAMP_PATTERN, Dialect, offset_us, quote


class DuckDBDialect(Dialect):
    name = "duckdb"
    null_string = "CAST(NULL AS VARCHAR)"
    null_json = "CAST(NULL AS JSON)"
    INT_TYPES = "('BIGINT', 'UBIGINT')"
    NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"

    def strings(self, values) -> str:
        return "[" + ", ".join(quote(v) for v in values) + "]::VARCHAR[]"

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

    def has_text(self, text: str, part: str) -> str:
        return f"contains({text}, {part})"

    def bit_or_all(self, items: str) -> str:
        return f"coalesce(list_bit_or({items}), 0)"

    def min_of(self, items: str) -> str:
        return f"list_min({items})"

    def max_of(self, items: str) -> str:
        return f"list_max({items})"

    def int_div(self, left: str, right: str) -> str:
        return f"({left} // {right})"

    def hash(self, values: list[str]) -> str:
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
        return f"({items})[{index} + 1]"

    def empty_reasons(self) -> str:
        return ("[]::STRUCT(kind VARCHAR, rule VARCHAR, location VARCHAR, category VARCHAR, "
                "message VARCHAR)[]")

    def zip_categories(self, categories: str, permitted: str) -> str:
        return (f"list_transform(range(1, len({categories}) + 1), "
                f"lambda n: {{'c': {categories}[n], 'p': {permitted}[n]}})")

    def struct(self, fields: dict[str, str]) -> str:
        return "{" + ", ".join(f"{quote(k)}: {v}" for k, v in fields.items()) + "}"

    # JSON access: a JSON value, `path` a list of keys
    def json_path(self, path) -> str:
        return quote("$" + "".join(f".{_json_key(p)}" for p in path))

    def jtype(self, doc: str, path=()) -> str:
        return f"json_type({doc}, {self.json_path(path)})" if path else f"json_type({doc})"

    def jstring(self, doc: str, path=()) -> str:
        return f"json_extract_string({doc}, {self.json_path(path)})"

    def jvalue(self, doc: str, path=()) -> str:
        return f"json_extract({doc}, {self.json_path(path)})"

    def jitems(self, doc: str, path=()) -> str:
        items = f"json_extract({doc}, {quote('$' + ''.join(f'.{_json_key(p)}' for p in path) + '[*]')})"
        return f"coalesce({items}, []::JSON[])"

    def jkeys(self, doc: str, path=()) -> str:
        return f"json_keys({doc}, {self.json_path(path)})" if path else f"json_keys({doc})"

    def json_fields(self, doc: str, keys: list[str], name: str) -> tuple[str | None, list[str]]:
        # every path extracted in one parse, into a list
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

    def matches(self, text: str, pattern: str) -> str:
        return f"regexp_full_match({text}, {quote(pattern)})"

    def let(self, value: str, var: str, body: str) -> str:
        return f"(list_transform([{value}], {self.lam(var, body)}))[1]"

    def timestamp_us(self, text: str) -> str:
        """As the base's, but the wall time is read by DuckDB's cast to TIMESTAMP
        (which ignores an offset and rejects a day the month lacks) once the pattern
        has matched, and the offset subtracted: a third of the digits' cost, the
        same instants (tests/test_audit_hostile.py compares both with the engine)."""
        instant = f"epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - {offset_us('ts')}"
        in_range = f"CASE WHEN us BETWEEN {MIN_US} AND {MAX_US} THEN us END"
        body = (f"CASE WHEN {self.matches('ts', TIMESTAMP_PATTERN)} AND NOT starts_with(ts, '0000') "
                f"THEN {self.let(instant, 'us', in_range)} END")
        return self.let(text, "ts", body)


def _json_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
