"""The Art. 30 record as JSON (`lawful ropa --format json`) and its JSON Schema,
published at docs/schema/ropa.schema.json."""

from __future__ import annotations

from ..model import SCHEMA_VERSION, Record

#: the schema's identifier: it names the version of the document it describes
SCHEMA_ID = f"urn:lawful:schema:ropa:{SCHEMA_VERSION}"


def json_text(record: Record) -> str:
    """The record as JSON: the model's fields in their declared order, indented by 2."""
    return record.model_dump_json(indent=2) + "\n"


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) every `json_text` document satisfies; it
    pins `schema_version`, so a reader can tell a document of another version."""
    schema = Record.model_json_schema()
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "Lawful record of processing activities (GDPR Art. 30)"}
    return head | {key: value for key, value in schema.items() if key not in head}
