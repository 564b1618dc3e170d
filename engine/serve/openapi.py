"""The service's OpenAPI 3.1 document (`GET /openapi.json`), from the same pydantic
models the engine answers with; tests/test_serve.py validates real responses
against it, so it cannot drift from what the server sends."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..decide.decision import Decision
from ..event.schema import event_schema


class Problem(BaseModel):
    """A request answered without a decision (RFC 9457)."""

    model_config = ConfigDict(extra="forbid")
    type: str
    title: str
    status: int
    detail: str


class Truth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str


class RuleRecord(BaseModel):
    """How one rule fared against the event."""

    model_config = ConfigDict(extra="forbid")
    rule: str
    name: str | None
    effect: Literal["permit", "forbid", "oblige"]
    sugar: str | None
    text: str
    location: str | None
    matched: bool
    purpose_matches: bool
    categories: list[str]
    destination_matches: bool
    when: bool | Truth | None
    unless: bool | Truth | None
    applies: bool
    decided_by: Literal["purpose", "categories", "destination", "error", "when", "unless", "target"]
    because: str | None
    cite: str | None


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    required: Any
    held: Any
    marker_consents: list[str] | None = None


class Explanation(BaseModel):
    """The decision with how every rule fared (`lawful explain --json`)."""

    model_config = ConfigDict(extra="forbid")
    decision: Decision
    event_valid: bool
    consent_required: Consent | None
    rules: list[RuleRecord]


class Diagnostic(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    severity: str
    message: str
    file: str | None
    line: int | None
    column: int | None


class PolicyInfo(BaseModel):
    """The policy served."""

    model_config = ConfigDict(extra="forbid")
    name: str | None
    digest: str
    rules: int
    loaded_at: str
    checked_at: str
    watching: bool
    #: why the last reload failed (the policy above is still served); empty when it did not
    errors: list[Diagnostic]


class Reloaded(PolicyInfo):
    reloaded: bool


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["ok"]


class Ready(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["ready", "stopping"]
    digest: str | None = None
    reload_errors: int | None = None


def _schemas(policy) -> dict[str, Any]:
    from ..decide.analysis.remedies import Remedies

    found: dict[str, Any] = {}
    for model in (Decision, Explanation, Remedies, PolicyInfo, Reloaded, Problem, Health, Ready):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    event = event_schema(policy)
    for name, definition in event.pop("$defs", {}).items():
        found.setdefault(name, _refs(definition))
    found["Event"] = _refs(event)
    return found


def _refs(node: Any) -> Any:
    """`#/$defs/X` → `#/components/schemas/X`."""
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_refs(v) for v in node]
    return node


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict:
    return {"application/json": {"schema": _ref(name)}}


_PROBLEMS = {
    "401": "no bearer token, or one not accepted (when the server requires tokens)",
    "408": "the headers, or a pause in the body, took longer than the server's timeout",
    "413": "the body is larger than the server's limit",
    "415": "the body is not sent as JSON (or, for a batch, JSON lines)",
}


def _problems(answered: set[str], *codes: str) -> dict:
    codes = tuple(code for code in codes if code in answered)
    return {code: {"description": _PROBLEMS.get(code, "refused"), "content": {"application/problem+json":
                                                                              {"schema": _ref("Problem")}}}
            for code in codes}


def _event_body() -> dict:
    return {"required": True, "content": _json("Event"),
            "description": "One processing event. Any body is decided: one that is not an event, not JSON "
                           "or not UTF-8 is denied with its `invalid-event` reasons."}


def _decided(name: str, description: str) -> dict:
    return {"description": description, "content": _json(name), "headers": {
        "lawful-digest": {"schema": {"type": "string"}, "description": "the digest of the policy that decided"},
        "lawful-decided-at": {"schema": {"type": "string"}, "description": "the moment decided at"}}}


def document(policy=None, tokens: bool = False, reload: bool = False) -> dict[str, Any]:
    """The OpenAPI document of one server: with a policy, its events' names are enums;
    `tokens`: the server requires bearer tokens (else no operation asks for one, and
    none answers 401); `reload`: POST /v1/reload is on (admin tokens), else it is
    always answered 403."""
    from ..core import __version__

    answered = {"408", "413", "415"} | ({"401"} if tokens else set())

    def problems(*codes: str) -> dict:
        return _problems(answered, *codes)

    client: list[dict[str, list[str]]] = [{"bearer": []}] if tokens else []
    admin = {"security": [{"bearer": []}],
             "responses": {"200": {"description": "reloaded, or unchanged", "content": _json("Reloaded")},
                           "422": {"description": "the files do not compile: the policy before is still served",
                                   "content": _json("Reloaded")},
                           "403": {"description": "the token is not an admin token",
                                   "content": {"application/problem+json": {"schema": _ref("Problem")}}},
                           "401": {"description": _PROBLEMS["401"],
                                   "content": {"application/problem+json": {"schema": _ref("Problem")}}}}}
    off = {"security": [],
           "responses": {"403": {"description": "reloading over HTTP is off (the server was started without "
                                                "--allow-reload)",
                                 "content": {"application/problem+json": {"schema": _ref("Problem")}}}}}
    lines = {"schema": {"type": "string"}, "example": '{"purpose": "billing", ...}\n'}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lawful decision service", "version": __version__,
                 "description": "GDPR processing decisions, each with every reason (docs/serve.md)."},
        "components": {
            "schemas": _schemas(policy),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description":
                                           "required when the server is started with tokens"}}},
        "security": client,
        "paths": {
            "/v1/decide": {"post": {
                "operationId": "decide", "summary": "Decide one event", "requestBody": _event_body(),
                "responses": {"200": _decided("Decision", "the decision, allow or deny, with every reason"),
                              **problems("401", "408", "413", "415")}}},
            "/v1/decide/batch": {"post": {
                "operationId": "decideBatch", "summary": "Decide many events",
                "description": "A JSON array of events is answered with a JSON array of decisions; JSON "
                               "lines (application/x-ndjson) with JSON lines, one decision per line that is "
                               "not blank, written as the lines are read. A line that is not JSON is denied "
                               "naming its number; the others are decided as usual.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"type": "array", "items": _ref("Event")}},
                    "application/x-ndjson": lines}},
                "responses": {"200": {"description": "the decisions, in the order of the events", "content": {
                    "application/json": {"schema": {"type": "array", "items": _ref("Decision")}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}},
                    "400": {"description": "a JSON body that is not an array",
                            "content": {"application/problem+json": {"schema": _ref("Problem")}}},
                    **problems("401", "408", "413", "415")}}},
            "/v1/explain": {"post": {
                "operationId": "explain", "summary": "How every rule fared against one event",
                "requestBody": _event_body(),
                "responses": {"200": _decided("Explanation", "the decision and every rule's outcome"),
                              **problems("401", "408", "413", "415")}}},
            "/v1/remedies": {"post": {
                "operationId": "remedies", "summary": "What would make a denied event allowed",
                "requestBody": _event_body(),
                "responses": {"200": _decided("Remedies", "the minimal changes, each verified"),
                              **problems("401", "408", "413", "415")}}},
            "/v1/policy": {"get": {
                "operationId": "policy", "summary": "The policy served: name, digest, load time",
                "responses": {"200": {"description": "the policy", "content": _json("PolicyInfo")},
                              **problems("401")}}},
            "/v1/reload": {"post": {
                "operationId": "reload", "summary": "Read the policy's files again (admin, --allow-reload)",
                **(admin if reload else off)}},
            "/metrics": {"get": {
                "operationId": "metrics", "summary": "Prometheus metrics",
                "responses": {"200": {"description": "the Prometheus text format",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}},
                              **problems("401")}}},
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              **problems("401")}}},
            "/healthz": {"get": {
                "operationId": "health", "summary": "Liveness", "security": [],
                "responses": {"200": {"description": "the process answers", "content": _json("Health")}}}},
            "/readyz": {"get": {
                "operationId": "ready", "summary": "Readiness: a policy is served", "security": [],
                "responses": {"200": {"description": "ready", "content": _json("Ready")},
                              "503": {"description": "shutting down", "content": _json("Ready")}}}},
        },
    }
