"""What every dialect shares: how policy text becomes a SQL literal (`quote`), the
`Dialect` interface (each operation the audit's SQL needs, spelled by
duckdb.py and spark.py) and what is written once for both from those spellings
(name sets, timestamps)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ....event.timestamps import TIMESTAMP_GRAMMAR

# events.md rule 6: the one grammar (the day of the month, the year 0000 and the
# range are checked apart)
TIMESTAMP_PATTERN = TIMESTAMP_GRAMMAR
MIN_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
SEPARATOR = "|"


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


class Dialect(ABC):
    """The SQL operations the audit is written in. A dialect spells the abstract
    ones; the others are built from them, the same for every dialect."""

    name: str
    null_string: str  # a NULL string
    null_json: str  # a NULL JSON value
    INT_TYPES: str  # SQL list of the jtype names of a JSON integer
    NUMBER_TYPES: str  # ... and of any JSON number
    STRING, BOOLEAN, ARRAY, OBJECT, NULL = "'VARCHAR'", "'BOOLEAN'", "'ARRAY'", "'OBJECT'", "'NULL'"  # jtype names

    # ---- lists and lambdas ------------------------------------------------------------------

    @abstractmethod
    def strings(self, values) -> str:
        """A list of string constants."""

    @abstractmethod
    def lam(self, var: str, body: str) -> str:
        """A lambda of `var`."""

    @abstractmethod
    def transform(self, items: str, var: str, body: str) -> str:
        """`body` for each element `var` of the list `items`."""

    @abstractmethod
    def filter(self, items: str, var: str, body: str) -> str:
        """The elements `var` of `items` for which `body` is true."""

    @abstractmethod
    def exists(self, items: str, var: str, body: str) -> str:
        """Whether `body` is true for an element (NULL counts as false)."""

    @abstractmethod
    def all(self, items: str, var: str, body: str) -> str:
        """Whether `body` is true for every element (NULL counts as false)."""

    @abstractmethod
    def contains(self, items: str, value: str) -> str:
        """Whether the list `items` holds `value`."""

    @abstractmethod
    def overlaps(self, left: str, right: str) -> str:
        """Whether two lists share an element."""

    @abstractmethod
    def length(self, items: str) -> str:
        """The number of elements of a list."""

    @abstractmethod
    def concat_lists(self, lists: list[str]) -> str:
        """The lists one after the other."""

    @abstractmethod
    def distinct_sorted(self, items: str) -> str:
        """The list's elements, sorted, each once."""

    @abstractmethod
    def array(self, items: list[str], kind: str = "VARCHAR") -> str:
        """A list of the SQL `items`, of type `kind` (VARCHAR, INTEGER, BIGINT; STRUCT:
        typed by its elements)."""

    @abstractmethod
    def element(self, items: str, index: str) -> str:
        """items[index] for a 0-based index."""

    @abstractmethod
    def bit_or_all(self, items: str) -> str:
        """The bitwise or of a list of integers (0 for an empty one)."""

    @abstractmethod
    def min_of(self, items: str) -> str:
        """The least element of a list of integers (NULL for an empty one)."""

    @abstractmethod
    def max_of(self, items: str) -> str:
        """The greatest element of a list of integers (NULL for an empty one)."""

    @abstractmethod
    def let(self, value: str, var: str, body: str) -> str:
        """`body` with `var` bound to `value`, computed once (a one-element list)."""

    # ---- scalars ----------------------------------------------------------------------------

    @abstractmethod
    def has_text(self, text: str, part: str) -> str:
        """Whether the string `part` occurs in `text`."""

    @abstractmethod
    def int_div(self, left: str, right: str) -> str:
        """Integer division."""

    @abstractmethod
    def hash(self, values: list[str]) -> str:
        """A 64-bit hash of the values together."""

    @abstractmethod
    def ident(self, name: str) -> str:
        """A quoted column name."""

    @abstractmethod
    def matches(self, text: str, pattern: str) -> str:
        """Whether the whole of `text` matches the regular expression `pattern`."""

    @abstractmethod
    def epoch_us(self, timestamp: str) -> str:
        """Microseconds since the epoch of a TIMESTAMP value."""

    @abstractmethod
    def timestamp_from_us(self, us: str) -> str:
        """The TIMESTAMP of microseconds since the epoch."""

    @abstractmethod
    def string_list_type(self) -> str:
        """The type of a list of strings."""

    # ---- reasons ----------------------------------------------------------------------------

    @abstractmethod
    def struct(self, fields: dict[str, str]) -> str:
        """A struct of the named SQL values."""

    @abstractmethod
    def empty_reasons(self) -> str:
        """An empty list of reasons (kind, rule, location, category, message)."""

    @abstractmethod
    def zip_categories(self, categories: str, permitted: str) -> str:
        """[(c, p)] pairs of each category and its first permit (or NULL)."""

    # ---- JSON: `doc` is a JSON value, `path` a list of keys ---------------------------------

    @abstractmethod
    def json_path(self, path) -> str:
        """The path literal of a list of keys."""

    @abstractmethod
    def jtype(self, doc: str, path=()) -> str:
        """The JSON type at path, by the names STRING .. NULL, INT_TYPES and
        NUMBER_TYPES (NULL when absent)."""

    @abstractmethod
    def jstring(self, doc: str, path=()) -> str:
        """The string at path."""

    @abstractmethod
    def jvalue(self, doc: str, path=()) -> str:
        """The JSON value at path."""

    @abstractmethod
    def jitems(self, doc: str, path=()) -> str:
        """The elements of the array at path, as JSON values (empty when absent)."""

    @abstractmethod
    def jkeys(self, doc: str, path=()) -> str:
        """The keys of the object at path (empty when absent)."""

    @abstractmethod
    def json_fields(self, doc: str, keys: list[str], name: str) -> tuple[str | None, list[str]]:
        """Each key's value in the JSON object `doc`: an expression to add first as
        column `name` (or None), and one expression per key."""

    @abstractmethod
    def jint(self, doc: str, path=()) -> str:
        """The integer at path."""

    @abstractmethod
    def jdouble(self, doc: str, path=()) -> str:
        """The number at path, as a DOUBLE."""

    @abstractmethod
    def jbool(self, doc: str, path=()) -> str:
        """The boolean at path."""

    @abstractmethod
    def json_text(self, value: str) -> str:
        """The JSON text of a JSON value."""

    @abstractmethod
    def to_json_text(self, value: str) -> str:
        """The JSON text of a SQL scalar."""

    @abstractmethod
    def as_json(self, text: str) -> str:
        """The JSON value of a text, NULL when it is not JSON."""

    # ---- the same in every dialect ----------------------------------------------------------

    def concat(self, *parts: str) -> str:
        return "concat(" + ", ".join(parts) + ")"

    def position(self, text: str, part: str) -> str:
        """1-based place of `part` in `text`, 0 when absent."""
        return f"instr({text}, {part})"

    def regexp_group(self, text: str, pattern: str, group: int) -> str:
        return f"regexp_extract({text}, {quote(pattern)}, {int(group)})"

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

    def timestamp_us(self, text: str) -> str:
        """Microseconds since the epoch (UTC) of a timestamp string, or NULL when it
        is not one by events.md rule 6: the pattern, a real day of the month, year
        0001-9999, offsets below 24 hours, the instant within 0001..9999 in UTC. The
        number is computed from the digits (days from the civil date), not by a
        cast, so that DuckDB and Spark agree exactly."""
        body = f"CASE WHEN {self.matches('ts', TIMESTAMP_PATTERN)} THEN {timestamp_digits_us(self, 'ts')} END"
        return self.let(text, "ts", body)

    def time_in_range(self, us: str) -> str:
        return f"({us} BETWEEN {MIN_US} AND {MAX_US})"


def offset_us(text: str) -> str:
    """SQL: the UTC offset of `text` (matching TIMESTAMP_PATTERN) in microseconds,
    0 for `Z` or none."""
    size = f"length({text})"
    sign = f"substr({text}, {size} - 5, 1)"
    return (f"CASE WHEN {size} > 19 AND {sign} IN ('+', '-') THEN (CASE WHEN {sign} = '-' THEN -1 ELSE 1 END) * "
            f"(CAST(substr({text}, {size} - 4, 2) AS BIGINT) * 60 + CAST(substr({text}, {size} - 1, 2) AS BIGINT))"
            f" * 60000000 ELSE 0 END")


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
    us = f"({seconds} * 1000000 + {fraction} - {offset_us(text)})"
    return (f"CASE WHEN {year} >= 1 AND {day} <= {month_days} AND {us} BETWEEN {MIN_US} AND {MAX_US} "
            f"THEN {us} END")


