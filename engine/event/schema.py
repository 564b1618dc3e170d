"""The JSON Schema of events (`lawful schema event [POLICY]`)."""

from __future__ import annotations

from ..core.countries import iso_codes
from . import fields
from .model import Event


def event_schema(policy=None) -> dict:
    """The JSON Schema of events (`lawful schema event`); with a policy, its names
    too: purposes that have a basis, categories, consent and objection purposes,
    recipients and ISO 3166-1 countries as enums, so a schema validator rejects unknown names."""
    schema = Event.model_json_schema()
    if policy is None:
        return schema
    vocabulary = policy.vocabulary
    names = {fields.BASED_PURPOSE: sorted(vocabulary.event_bases), fields.PURPOSE: vocabulary.purposes.names(),
             fields.CATEGORY: vocabulary.categories.names(), fields.COUNTRY: sorted(iso_codes()),
             fields.RECIPIENT: sorted(vocabulary.recipients)}
    for path, field in fields.walk():
        if field.names is not None:
            for node in _nodes(schema, path):
                (node["items"] if field.kind == fields.STRINGS else node)["enum"] = names[field.names]
    schema["description"] = f"Events for the policy {policy.name or ''} ({policy.digest})".replace("  ", " ")
    return schema


def _nodes(schema: dict, path: tuple[str, ...]) -> list[dict]:
    """The schemas a field's value may have (not `null`), through `$ref`s and the
    items of lists of objects."""
    defs = schema.get("$defs", {})

    def options(node: dict) -> list[dict]:
        found = [defs[o["$ref"].rsplit("/", 1)[1]] if "$ref" in o else o for o in node.get("anyOf", [node])]
        return [o for o in found if o.get("type") != "null"]

    holders, found = [schema], []
    for name in path:
        found = [option for holder in holders for option in options(holder["properties"][name])]
        holders = [options(o["items"])[0] if o.get("type") == "array" else o for o in found]
    return found
