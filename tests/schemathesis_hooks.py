"""Schemathesis hooks for the decision service's OpenAPI document (loaded through
$SCHEMATHESIS_HOOKS by tests/test_serve.py): JSON lines, a batch's second media
type, written as one JSON document per line."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, (bytes, str)):
        return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()
