"""What an audit says: a summary for machines (JSON), a report for people (HTML
with plotly charts), and what changes between two policies on the same events.

Every figure is computed by the engine that decided (SQL over the decisions
table), so a summary of billions of events never comes back to Python row by row.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from typing import Any

TOP = 10  # violations and changes listed with an example each


def summarise(result, policy, top: int = TOP) -> dict:
    """Counts in total and by rule, purpose, category, destination and day, and the
    top violations (a deny reason) with one example event each."""
    q = result.query
    total = q("SELECT count(*) AS events, sum(CASE WHEN effect = 'allow' THEN 1 ELSE 0 END) AS allow, "
              "sum(CASE WHEN effect = 'deny' THEN 1 ELSE 0 END) AS deny, "
              "sum(CASE WHEN valid THEN 0 ELSE 1 END) AS invalid, min(day) AS first_day, max(day) AS last_day "
              "FROM {decisions}")[0]

    def by(column: str, source: str = "{decisions}") -> list[dict]:
        return q(f"SELECT {column} AS name, sum(CASE WHEN effect = 'allow' THEN 1 ELSE 0 END) AS allow, "
                 f"sum(CASE WHEN effect = 'deny' THEN 1 ELSE 0 END) AS deny FROM {source} "
                 f"GROUP BY {column} ORDER BY count(*) DESC, {column}")

    explode = result.explode
    categories = f"(SELECT {explode('categories')} AS category, effect FROM {{decisions}} WHERE valid) AS c"
    reasons = (f"(SELECT eid, effect, {explode('reasons')} AS reason FROM {{decisions}}) AS r")
    rules = q("SELECT coalesce(reason.rule, reason.kind) AS name, reason.kind AS kind, "
              "sum(CASE WHEN effect = 'allow' THEN 1 ELSE 0 END) AS allow, "
              "sum(CASE WHEN effect = 'deny' THEN 1 ELSE 0 END) AS deny "
              f"FROM {reasons} GROUP BY coalesce(reason.rule, reason.kind), reason.kind "
              "ORDER BY count(*) DESC, name")
    violations = q("SELECT reason.kind AS kind, reason.rule AS rule, min(reason.location) AS location, "
                   "count(*) AS events, min(eid) AS example "
                   f"FROM {reasons} WHERE effect = 'deny' AND reason.kind <> 'permitted' "
                   "GROUP BY reason.kind, reason.rule ORDER BY count(*) DESC, kind, rule "
                   f"LIMIT {int(top)}")
    examples = {row["eid"]: row for row in q(
        "SELECT eid, file, line_number, line, problem FROM {decisions} WHERE eid IN ("
        + (", ".join(str(int(v["example"])) for v in violations) or "NULL") + ")")}
    for violation in violations:
        example = examples.get(violation["example"], {})
        violation["example"] = {"file": example.get("file"), "line": example.get("line_number"),
                                "event": _event_text(result, example)}
    return {
        "version": 1,
        "engine": result.engine,
        "policy": {"name": policy.name, "digest": policy.digest},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "events": int(total["events"] or 0), "allow": int(total["allow"] or 0),
        "deny": int(total["deny"] or 0), "invalid": int(total["invalid"] or 0),
        "first_day": _day(total["first_day"]), "last_day": _day(total["last_day"]),
        "by_rule": rules,
        "by_purpose": by("purpose"),
        "by_category": by("category", categories),
        "by_destination": by("destination"),
        "by_day": [{**row, "name": _day(row["name"])} for row in by("day")],
        "top_violations": violations,
    }


def _day(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)


def _event_text(result, example: dict) -> Any:
    """The example event as JSON (from its line, or its row for columnar input)."""
    line = example.get("line")
    if line:
        try:
            return json.loads(line)
        except ValueError:
            return line
    if example.get("file") is not None:
        return result.source_row(example["file"], example["line_number"])
    return None


def compare(new_result, old_result, top: int = TOP) -> dict:
    """What changes from the old policy's decisions to the new one's, event by event."""
    q = new_result.query
    old_table = old_result.table_name
    changes = q("SELECT o.effect AS old, n.effect AS new, count(*) AS events, min(n.eid) AS example "
                f"FROM {{decisions}} AS n JOIN {old_table} AS o ON n.eid = o.eid "
                "WHERE n.effect <> o.effect GROUP BY o.effect, n.effect ORDER BY count(*) DESC")
    explode = new_result.explode
    newly_denied = q(f"SELECT coalesce(r.reason.rule, r.reason.kind) AS rule, count(*) AS events, "
                     f"min(r.eid) AS example FROM (SELECT n.eid, {explode('n.reasons')} AS reason "
                     f"FROM {{decisions}} AS n JOIN {old_table} AS o ON n.eid = o.eid "
                     f"WHERE n.effect = 'deny' AND o.effect = 'allow') AS r "
                     f"GROUP BY coalesce(r.reason.rule, r.reason.kind) ORDER BY count(*) DESC, rule LIMIT {int(top)}")
    same = q(f"SELECT count(*) AS events FROM {{decisions}} AS n JOIN {old_table} AS o ON n.eid = o.eid "
             "WHERE n.effect = o.effect")[0]["events"]
    wanted = sorted({int(c["example"]) for c in changes + newly_denied})
    examples = {row["eid"]: row for row in q(
        "SELECT eid, file, line_number, line FROM {decisions} WHERE eid IN ("
        + (", ".join(map(str, wanted)) or "NULL") + ")")}
    for row in changes + newly_denied:
        example = examples.get(row["example"], {})
        row["example"] = {"file": example.get("file"), "line": example.get("line_number"),
                          "event": _event_text(new_result, example)}
    return {"unchanged": int(same or 0), "changes": changes, "newly_denied_by": newly_denied}


# ---- HTML -------------------------------------------------------------------------------------


def html_report(summary: dict, comparison: dict | None = None) -> str:
    """A self-contained page: plotly charts (plotly.js inlined once) and tables."""
    import plotly.graph_objects as go
    import plotly.io as pio

    figures = []

    def bars(rows: list[dict], title: str, limit: int = 25):
        rows = rows[:limit]
        names = [str(r["name"]) for r in rows]
        figure = go.Figure([go.Bar(name="allow", x=names, y=[r["allow"] for r in rows], marker_color="#2e7d32"),
                            go.Bar(name="deny", x=names, y=[r["deny"] for r in rows], marker_color="#c62828")])
        figure.update_layout(barmode="stack", title=title, height=380, margin=dict(l=40, r=20, t=50, b=100))
        figures.append(figure)

    days = summary["by_day"]
    timeline = go.Figure([
        go.Scatter(name="allow", x=[d["name"] for d in days], y=[d["allow"] for d in days], mode="lines+markers",
                   line_color="#2e7d32"),
        go.Scatter(name="deny", x=[d["name"] for d in days], y=[d["deny"] for d in days], mode="lines+markers",
                   line_color="#c62828")])
    timeline.update_layout(title="Decisions by day", height=360, margin=dict(l=40, r=20, t=50, b=40))
    figures.append(timeline)
    bars([r for r in summary["by_rule"] if r["deny"]], "Denies by rule or reason")
    bars(summary["by_purpose"], "By purpose")
    bars(summary["by_category"], "By category")
    bars(summary["by_destination"], "By destination")
    charts = [pio.to_html(figure, full_html=False, include_plotlyjs=(i == 0))
              for i, figure in enumerate(figures)]
    e = html.escape
    events = summary["events"]
    share = (lambda n: f"{100 * n / events:.1f}%") if events else (lambda n: "-")
    rows = "".join(
        f"<tr><td>{e(v['kind'])}</td><td>{e(str(v['rule'] or ''))}</td><td>{e(str(v['location'] or ''))}</td>"
        f"<td class=n>{v['events']:,}</td><td><small>{e(str(v['example']['file']))}:{v['example']['line']}"
        f"</small><pre>{e(json.dumps(v['example']['event'], indent=1, default=str))}</pre></td></tr>"
        for v in summary["top_violations"])
    compared = ""
    if comparison is not None:
        change_rows = "".join(
            f"<tr><td>{e(c['old'])} → {e(c['new'])}</td><td class=n>{c['events']:,}</td>"
            f"<td><pre>{e(json.dumps(c['example']['event'], indent=1, default=str))}</pre></td></tr>"
            for c in comparison["changes"])
        by_rule = "".join(f"<tr><td>{e(str(r['rule']))}</td><td class=n>{r['events']:,}</td></tr>"
                          for r in comparison["newly_denied_by"])
        compared = (f"<h2>Compared with the old policy</h2><p>{comparison['unchanged']:,} events decided the same."
                    f"</p><table><tr><th>change</th><th>events</th><th>example</th></tr>{change_rows}</table>"
                    f"<h3>Newly denied, by rule</h3><table><tr><th>rule</th><th>events</th></tr>{by_rule}</table>")
    policy = summary["policy"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lawful audit — {e(str(policy['name'] or 'policy'))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}td.n{{text-align:right}}
pre{{max-height:14rem;overflow:auto;background:#f6f6f6;padding:.5rem;font-size:.8rem}}
.k{{display:inline-block;margin-right:2rem}}.k b{{font-size:1.6rem;display:block}}</style></head><body>
<h1>Processing audit</h1>
<p>Policy <b>{e(str(policy['name'] or ''))}</b> <code>{e(policy['digest'])}</code>; engine {e(summary['engine'])};
events from {e(str(summary['first_day']))} to {e(str(summary['last_day']))}; made {e(summary['created'])}.</p>
<div><span class=k><b>{events:,}</b>events</span><span class=k><b>{summary['allow']:,}</b>allowed
({share(summary['allow'])})</span><span class=k><b>{summary['deny']:,}</b>denied ({share(summary['deny'])})</span>
<span class=k><b>{summary['invalid']:,}</b>unreadable or invalid</span></div>
<h2>Top violations</h2>
<table><tr><th>kind</th><th>rule</th><th>where</th><th>events</th><th>example event</th></tr>{rows}</table>
{compared}
<h2>Charts</h2>
{''.join(f'<div>{chart}</div>' for chart in charts)}
</body></html>
"""


__all__ = ["compare", "html_report", "summarise"]
