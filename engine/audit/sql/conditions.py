"""Rules as SQL: each rule's target (purposes, categories, destinations) expanded
through the hierarchies into name sets once, here, and its `when`/`unless` into a
boolean expression over stage 1's columns. Errors are SQL NULL: SQL's
three-valued `and`/`or`/`not` is the reference's absorption (`false and error`
is false, `true or error` is true); tables are CASE lookups or one substring
search; consent tests read `consent_bits`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from ... import ir
from ...ir import CheckedPolicy
from .dialects import Dialect, quote
from .dialects.base import SEPARATOR
from .events import CONSENT_BITS, recipient_fact

COSTLY_SQL = 120  # characters: a condition this long is worth skipping where it cannot matter


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

    def expand(self, names: frozenset[str] | None, ancestors: Mapping[str, frozenset[str]]) -> list[str] | None:
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
            self.overlapping(rule.categories) if rule.effect != "permit" else
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
        if isinstance(node, ir.Present):
            return self.present(node.operand), "bool"
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
        if head == "exporter":
            return "exporter", "string"
        if head == "recipient":  # NULL without a recipient: an error, as in the reference
            if len(node.path) == 1:
                return "recipient", "string"
            fact = node.path[1]
            return recipient_fact(self.policy, self.d, "recipient", fact), "strings" if fact == "holds" else "string"
        if head == "data_age":
            return "(at_us - collected_us)", "duration"  # NULL without collected_at: an error
        if head == "subject":
            attribute = node.path[1]
            return f"subject_{attribute}", "int" if attribute in ("age", "consent_age") else "string"
        return ("context", node.path[1:]), "json"

    def present(self, node: ir.Node) -> str:
        """`has FIELD`: a subject column or `collected_us` not NULL, a context key
        held (a JSON null included: it is a JSON value, absence is SQL NULL)."""
        assert isinstance(node, ir.Field)  # the checker builds no other
        if node.path[0] == "data_age":
            return "(collected_us IS NOT NULL)"
        value, kind = self.field(node)
        if kind == "json":
            return f"({self.d.jvalue(*value)} IS NOT NULL)"
        return f"({value} IS NOT NULL)"

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
