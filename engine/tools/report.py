"""Findings for machines: the JSON contract, SARIF 2.1.0, GitHub workflow commands.

The JSON shape (version 1) is a stable contract:

    {"version": 1, "tool": "lawful",
     "policies": [{"path": str, "compiled": bool}],
     "findings": [{"policy", "code", "severity", "message", "file", "line", "column",
                   "end_line", "end_column", "help", "notes": [{"message", "location"}]}],
     "summary": {"errors": int, "warnings": int}}
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from ..core import __version__
from ..core.diagnostics import CODES, FIXES, Severity

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _summary(findings) -> dict:
    errors = sum(d.severity is Severity.ERROR for _, d in findings)
    return {"errors": errors, "warnings": len(findings) - errors}


def to_json(results) -> str:
    findings = [(r.path, d) for r in results for d in r.diagnostics]
    return json.dumps({
        "version": JSON_VERSION,
        "tool": "lawful",
        "policies": [{"path": r.path, "compiled": r.policy is not None} for r in results],
        "findings": [{"policy": path, **d.to_dict()} for path, d in findings],
        "summary": _summary(findings),
    }, indent=2, ensure_ascii=False)


def _uri(file: str) -> dict:
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def _physical(span) -> dict:
    line, column = span.source.position(span.start)
    end_line, end_column = span.source.position(max(span.end, span.start))
    region = {"startLine": line, "startColumn": column, "endLine": end_line,
              "endColumn": max(end_column, column + (1 if end_line == line else 0))}
    snippet = span.source.line_text(line)
    if snippet:
        region["snippet"] = {"text": snippet}
    return {"artifactLocation": _uri(span.file), "region": region}


def to_sarif(results) -> str:
    codes = sorted(CODES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [{
        "id": code,
        "shortDescription": {"text": CODES[code]},
        "help": {"text": FIXES.get(code, CODES[code])},
        "defaultConfiguration": {"level": "warning" if code.startswith("W") else "error"},
    } for code in codes]
    sarif_results = []
    for result in results:
        for diagnostic in result.diagnostics:
            text = diagnostic.message + (f" ({diagnostic.help})" if diagnostic.help else "")
            entry = {"ruleId": diagnostic.code, "ruleIndex": index[diagnostic.code],
                     "level": diagnostic.severity.value, "message": {"text": text}}
            if diagnostic.span is not None:
                entry["locations"] = [{"physicalLocation": _physical(diagnostic.span)}]
            related = [{"id": i, "message": {"text": note.message},
                        "physicalLocation": _physical(note.span)}
                       for i, note in enumerate(diagnostic.notes) if note.span is not None]
            if related:
                entry["relatedLocations"] = related
            sarif_results.append(entry)
    return json.dumps({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lawful", "version": __version__, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": sarif_results,
        }],
    }, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(results) -> str:
    """GitHub Actions workflow commands: one `::error` / `::warning` line a finding."""
    lines = []
    for result in results:
        for d in result.diagnostics:
            properties = []
            if d.span is not None:
                end_line, end_column = d.span.source.position(d.span.end)
                properties += [f"file={_escape_property(d.file)}", f"line={d.line}", f"col={d.column}",
                               f"endLine={end_line}", f"endColumn={end_column}"]
            properties.append(f"title={_escape_property(f'lawful {d.code}')}")
            message = d.message + (f"\nhelp: {d.help}" if d.help else "")
            lines.append(f"::{d.severity.value} {','.join(properties)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def fails(results, threshold: str) -> bool:
    levels = {"error": {Severity.ERROR}, "warning": {Severity.ERROR, Severity.WARNING}}[threshold]
    return any(d.severity in levels for r in results for d in r.diagnostics)
