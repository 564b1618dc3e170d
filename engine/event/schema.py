"""The JSON Schema of events (`lawful schema event [POLICY]`)."""

from __future__ import annotations

from ..core.countries import iso_codes
from .model import Event


def event_schema(policy=None) -> dict:
    """The JSON Schema of events (`lawful schema event`); with a policy, its names
    too: purposes that have a basis, categories, consent and objection purposes,
    and ISO 3166-1 countries as enums, so a schema validator rejects unknown names."""
    schema = Event.model_json_schema()
    if policy is None:
        return schema
    vocabulary = policy.vocabulary
    properties, defs = schema["properties"], schema["$defs"]
    countries = sorted(iso_codes())

    def restrict(node: dict, names: list[str]) -> None:
        for option in node.get("anyOf", [node]):
            if option.get("type") == "string":
                option["enum"] = names

    restrict(properties["purpose"], sorted(vocabulary.bases))
    properties["categories"]["items"]["enum"] = vocabulary.categories.names()
    restrict(properties["destination"], countries)
    restrict(defs["Subject"]["properties"]["country"], countries)
    defs["ConsentRecord"]["properties"]["purpose"]["enum"] = vocabulary.purposes.names()
    for option in defs["Subject"]["properties"]["objections"]["anyOf"]:
        if option.get("type") == "array":
            option["items"]["enum"] = vocabulary.purposes.names()
    schema["description"] = f"Events for the policy {policy.name or ''} ({policy.digest})".replace("  ", " ")
    return schema
