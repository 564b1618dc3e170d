"""The SQL the audit generates, kept as goldens so that a change to it is read in a
diff: each stage's SQL for the small policy tests/audit_sql/policy.law, per
dialect, in tests/audit_sql/<dialect>/<stage>.sql. After a change to the audit's
SQL, rewrite them and review the diff:

    python -m pytest tests/test_audit_sql.py --update-goldens

The SQL is one line; the goldens hold it laid out (`layout`: line breaks and
indentation only), and `unlayout` gives back the exact text, so a golden equal to
the output means the SQL is byte for byte the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import engine
from engine.audit import audit_plan
from engine.audit.sql import (DuckDBDialect, SparkDialect, arrow_shape, decisions_sql, events_sql, reasons_sql,
                              signature_problem, typed_events_sql)

HERE = Path("tests") / "audit_sql"  # relative (tests run from the root): no machine's path in a golden
NOW_US = 1_795_000_000_000_000
WIDTH = 100
KEYWORDS = (" WHEN ", " ELSE ", " AND ", " OR ", " FROM ", " WHERE ", " JOIN ", " ON ", " UNION ALL ")


def _chunks(sql: str) -> list:
    """`sql` as a tree: text (string literals kept whole) and groups, a group being
    a list of the text and groups between a `(` and its `)`."""
    root: list = []
    stack, text, quoted = [root], "", False
    for char in sql:
        if quoted or char == "'":
            text += char
            quoted = not quoted if char == "'" else quoted
            continue
        if char in "()":
            if text:
                stack[-1].append(text)
                text = ""
            if char == "(":
                stack[-1].append([])
                stack.append(stack[-1][-1])
            else:
                stack.pop()
            continue
        text += char
    if text:
        stack[-1].append(text)
    assert len(stack) == 1, "unbalanced parentheses"
    return root


def _flat(parts: list) -> str:
    return "".join(p if isinstance(p, str) else "(" + _flat(p) + ")" for p in parts)


def _split(parts: list, separator: str, space: int) -> list[list]:
    """`parts` cut where a text holds `separator` outside literals, at its space at
    index `space` (the space is dropped: a line break takes its place)."""
    pieces: list[list] = [[]]
    for part in parts:
        if not isinstance(part, str):
            pieces[-1].append(part)
            continue
        current, quoted, i = "", False, 0
        while i < len(part):
            if part[i] == "'":
                quoted = not quoted
            elif not quoted and part.startswith(separator, i) and (current or pieces[-1] or space):
                current += part[i:i + space]
                pieces[-1].append(current)
                pieces.append([])
                current, i = "", i + space + 1
                continue
            current += part[i]
            i += 1
        if current:
            pieces[-1].append(current)
    return pieces


def _render(parts: list, depth: int) -> str:
    """`parts` at paren depth `depth`, broken over lines where longer than WIDTH:
    after `,`, before a keyword, inside `(`…`)`."""
    if len(_flat(parts)) + 2 * depth <= WIDTH:
        return _flat(parts)
    indent = "\n" + "  " * depth
    lines = []
    for item in _split(parts, ", ", 1):
        pieces = [item]
        if len(_flat(item)) + 2 * depth > WIDTH:
            for keyword in KEYWORDS:
                pieces = [q for p in pieces for q in _split(p, keyword, 0)]
        lines.append(indent.join(_render_item(p, depth) for p in pieces))
    return indent.join(lines)


def _render_item(parts: list, depth: int) -> str:
    out = ""
    for part in parts:
        if isinstance(part, str):
            out += part
        elif len(_flat(part)) + 2 * depth + 2 <= WIDTH:
            out += "(" + _flat(part) + ")"
        else:
            out += "(\n" + "  " * (depth + 1) + _render(part, depth + 1) + "\n" + "  " * depth + ")"
    return out


def layout(sql: str) -> str:
    """`sql` (one line) over lines of at most about WIDTH characters: only line
    breaks and indentation are added (`unlayout` takes them away)."""
    assert "\n" not in sql
    return _render(_chunks(sql), 0) + "\n"


def unlayout(text: str) -> str:
    """The one-line SQL of `layout`'s text: a line break and its indentation (two
    spaces a parenthesis open) were a space, or nothing after `(` and before `)`."""
    lines = text[:-1].split("\n")
    out, depth = lines[0], 0
    for line in lines[1:]:
        depth = _depth(out)
        indent = "  " * (depth - 1 if line.strip(" ").startswith(")") else depth)
        assert line.startswith(indent), "not layout's indentation"
        line = line[len(indent):]
        out += ("" if out.endswith("(") or line.startswith(")") else " ") + line
    return out


def _depth(sql: str) -> int:
    depth, quoted = 0, False
    for char in sql:
        if char == "'":
            quoted = not quoted
        elif not quoted:
            depth += (char == "(") - (char == ")")
    return depth


def stages(dialect) -> dict[str, str]:
    """Each stage's SQL for tests/audit_sql/policy.law, over placeholder inputs."""
    import pyarrow as pa

    policy = engine.load_policy(HERE / "policy.law")
    checked = policy.checked
    time = pa.timestamp("us", tz="UTC")
    record = pa.struct([("purpose", pa.string()), ("given_at", time), ("withdrawn_at", time),
                        ("explicit", pa.bool_()), ("parental", pa.bool_())])
    subject = pa.struct([("id", pa.string()), ("age", pa.int64()), ("country", pa.string()),
                         ("kind", pa.string()), ("consents", pa.list_(record)), ("objections", pa.list_(pa.string()))])
    shape = arrow_shape(pa.schema([
        ("purpose", pa.string()), ("categories", pa.list_(pa.string())), ("destination", pa.string()),
        ("subject", subject), ("safeguards", pa.list_(pa.string())), ("automated", pa.bool_()),
        ("collected_at", time), ("at", time), ("context", pa.string())]))
    plan = audit_plan(policy, "SELECT * FROM lawful_rows", dialect, ["events.jsonl"], 0, NOW_US)
    return {
        "events": events_sql(checked, "lawful_lines", dialect, NOW_US),
        "columnar": typed_events_sql(checked, "lawful_columns", shape, dialect, NOW_US),
        "signature_problem": signature_problem(checked, dialect),
        "decisions": decisions_sql(checked, "lawful_signatures", dialect),
        "reasons": reasons_sql(checked, "lawful_decided", dialect),
        "facts": plan.facts,  # facts_sql, its packed keys and their hash
        "joined": plan.joined("lawful_facts", "lawful_outcomes", True),
    }


@pytest.mark.parametrize("dialect", [DuckDBDialect(), SparkDialect()], ids=lambda d: d.name)
def test_audit_sql_goldens(dialect, golden):
    made = stages(dialect)
    for stage, sql in made.items():
        text = layout(sql)
        assert unlayout(text) == sql, f"{stage}: the layout does not give back the SQL"
        golden(HERE / dialect.name / f"{stage}.sql", text)
    kept = {p.stem for p in (HERE / dialect.name).glob("*.sql")}
    assert kept == set(made), f"goldens without a stage: {sorted(kept - set(made))}"


@given(st.lists(st.sampled_from(["a", "b", " ", ",", ", ", "(", ")", "'x y'", "' ( '", " WHEN ", " AND ",
                                 "x" * 60]), max_size=40))
def test_layout_gives_back_the_sql(parts):
    sql = "".join(parts)
    assume(_depth(sql) == 0 and sql.count("'") % 2 == 0 and all(_depth(sql[:i]) >= 0 for i in range(len(sql))))
    assert unlayout(layout(sql)) == sql
