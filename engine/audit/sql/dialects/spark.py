"""Spark SQL's spelling of the audit's SQL: higher-order functions, `x -> ...`
lambdas and JSON parsed once into a VARIANT (Spark 4) read with variant_get."""

from __future__ import annotations

from .base import Dialect, quote


class SparkDialect(Dialect):
    name = "spark"
    null_string = "CAST(NULL AS STRING)"
    null_json = "CAST(NULL AS VARIANT)"
    INT_TYPES = "('BIGINT')"
    NUMBER_TYPES = "('BIGINT', 'DOUBLE')"

    def strings(self, values) -> str:
        return f"CAST(array({', '.join(quote(v) for v in values)}) AS ARRAY<STRING>)"

    def lam(self, var: str, body: str) -> str:
        return f"{var} -> {body}"

    def transform(self, items: str, var: str, body: str) -> str:
        return f"transform({items}, {self.lam(var, body)})"

    def filter(self, items: str, var: str, body: str) -> str:
        return f"filter({items}, {self.lam(var, body)})"

    def exists(self, items: str, var: str, body: str) -> str:
        return f"exists({items}, {self.lam(var, f'coalesce({body}, false)')})"

    def all(self, items: str, var: str, body: str) -> str:
        return f"forall({items}, {self.lam(var, f'coalesce({body}, false)')})"

    def contains(self, items: str, value: str) -> str:
        return f"array_contains({items}, {value})"

    def has_text(self, text: str, part: str) -> str:
        return f"(instr({text}, {part}) > 0)"

    def int_div(self, left: str, right: str) -> str:
        return f"({left} div {right})"

    def hash(self, values: list[str]) -> str:
        return f"xxhash64({', '.join(values)})"

    def bit_or_all(self, items: str) -> str:
        return f"coalesce(aggregate({items}, 0, {self.lam('(a, x)', 'a | x')}), 0)"

    def min_of(self, items: str) -> str:
        return f"array_min({items})"

    def max_of(self, items: str) -> str:
        return f"array_max({items})"

    def overlaps(self, left: str, right: str) -> str:
        return f"coalesce(arrays_overlap({left}, {right}), false)"

    def length(self, items: str) -> str:
        return f"size({items})"

    def concat_lists(self, lists: list[str]) -> str:
        return f"concat({', '.join(lists)})" if lists else self.strings([])

    def distinct_sorted(self, items: str) -> str:
        return f"array_sort(array_distinct({items}))"

    def array(self, items: list[str], kind: str = "VARCHAR") -> str:
        spark_kind = {"VARCHAR": "STRING", "INTEGER": "INT"}.get(kind, kind)
        if kind == "STRUCT":
            return f"array({', '.join(items)})"
        return f"CAST(array({', '.join(items)}) AS ARRAY<{spark_kind}>)"

    def element(self, items: str, index: str) -> str:
        return f"element_at({items}, CAST({index} AS INT) + 1)"

    def empty_reasons(self) -> str:
        return ("CAST(array() AS ARRAY<STRUCT<kind: STRING, rule: STRING, location: STRING, category: STRING, "
                "message: STRING>>)")

    def zip_categories(self, categories: str, permitted: str) -> str:
        return (f"transform({categories}, (c, n) -> named_struct('c', c, 'p', "
                f"element_at({permitted}, n + 1)))")

    def struct(self, fields: dict[str, str]) -> str:
        return "named_struct(" + ", ".join(f"{quote(k)}, {v}" for k, v in fields.items()) + ")"

    # JSON: parsed once into a VARIANT
    def json_path(self, path) -> str:
        return quote("$" + "".join(f".{p}" for p in path))

    def _at(self, doc: str, path) -> str:
        return f"variant_get({doc}, {self.json_path(path)}, 'variant')" if path else doc

    def jtype(self, doc: str, path=()) -> str:
        value = self._at(doc, path)
        kind = f"schema_of_variant({value})"
        return (f"CASE WHEN {value} IS NULL THEN NULL WHEN {kind} = 'VOID' THEN 'NULL' "
                f"WHEN {kind} = 'STRING' THEN 'VARCHAR' WHEN {kind} = 'BOOLEAN' THEN 'BOOLEAN' "
                f"WHEN {kind} IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT' "
                f"WHEN {kind} LIKE 'ARRAY%' THEN 'ARRAY' WHEN {kind} LIKE 'OBJECT%' THEN 'OBJECT' "
                f"ELSE 'DOUBLE' END")

    def json_fields(self, doc: str, keys: list[str], name: str) -> tuple[str | None, list[str]]:
        return None, [self._at(doc, (key,)) for key in keys]

    def jstring(self, doc: str, path=()) -> str:
        return f"try_variant_get({doc}, {self.json_path(path)}, 'string')"

    def jvalue(self, doc: str, path=()) -> str:
        return self._at(doc, path)

    def jitems(self, doc: str, path=()) -> str:
        return (f"coalesce(try_variant_get({doc}, {self.json_path(path)}, 'array<variant>'), "
                f"CAST(array() AS ARRAY<VARIANT>))")

    def jkeys(self, doc: str, path=()) -> str:
        return (f"coalesce(map_keys(try_variant_get({doc}, {self.json_path(path)}, 'map<string, variant>')), "
                f"CAST(array() AS ARRAY<STRING>))")

    def jint(self, doc: str, path=()) -> str:
        return f"try_variant_get({doc}, {self.json_path(path)}, 'bigint')"

    def jdouble(self, doc: str, path=()) -> str:
        return f"try_variant_get({doc}, {self.json_path(path)}, 'double')"

    def jbool(self, doc: str, path=()) -> str:
        return f"try_variant_get({doc}, {self.json_path(path)}, 'boolean')"

    def json_text(self, value: str) -> str:
        return f"to_json({value})"

    def to_json_text(self, value: str) -> str:
        text = f"to_json(array({value}))"
        return f"substring({text}, 2, length({text}) - 2)"

    def matches(self, text: str, pattern: str) -> str:
        # Java's `$` also matches before a final line break: `\z` is the very end
        return f"({text} RLIKE {quote('^(?:' + pattern + ')' + chr(92) + 'z')})"

    def let(self, value: str, var: str, body: str) -> str:
        return f"element_at(transform(array({value}), {self.lam(var, body)}), 1)"

    def epoch_us(self, timestamp: str) -> str:
        return f"unix_micros({timestamp})"

    def ident(self, name: str) -> str:
        return f"`{name}`"

    def timestamp_from_us(self, us: str) -> str:
        return f"timestamp_micros({us})"

    def string_list_type(self) -> str:
        return "ARRAY<STRING>"

    def as_json(self, text: str) -> str:
        return f"try_parse_json({text})"
