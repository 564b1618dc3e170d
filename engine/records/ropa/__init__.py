"""The GDPR Art. 30 record of processing activities (`lawful ropa`), rendered
from a `Record` alone: Markdown, one self-contained HTML page, JSON (with its
JSON Schema), and the same workbook as XLSX and ODS. Every renderer is a pure
function: the same record gives the same text or bytes."""

from __future__ import annotations

from .data import json_schema, json_text
from .markdown import markdown
from .page import html
from .workbook import ods, xlsx

__all__ = ["html", "json_schema", "json_text", "markdown", "ods", "xlsx"]
