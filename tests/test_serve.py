"""`lawful serve` for real: uvicorn started as a subprocess, spoken to over loopback
with httpx and raw sockets. Every answer is validated against the server's own
OpenAPI document; decisions are compared with the library's."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.event.values import DuplicateKeys, loads
from engine.serve.app import TEND_SECONDS
from serving import ROOT, Server, lawful
from strategies import hostile_events

SHOP = "rules/examples/shop"
EVENTS = sorted((ROOT / "examples/shop/events").glob("*.json"))
BILLING = {"purpose": "billing", "categories": ["contact.email"], "destination": "DE",
           "subject": {"id": "u-1", "age": 30, "country": "DE"}}


@pytest.fixture(scope="module")
def shop() -> engine.Policy:
    return engine.load_policy(SHOP)


@pytest.fixture(scope="module")
def server():
    with Server([SHOP, "--timeout", "1.5", "--max-body", "65536"]) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    document = client.get("/openapi.json").json()
    jsonschema.Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    return document


def conforms(document: dict, path: str, method: str, response: httpx.Response) -> None:
    """The response is one the OpenAPI document describes, for its path, method,
    status and media type, and its body validates against the schema given."""
    answers = document["paths"][path][method]["responses"]
    assert str(response.status_code) in answers, (path, response.status_code, response.text)
    content = answers[str(response.status_code)]["content"]
    media = response.headers["content-type"].split(";")[0].strip()
    assert media in content, (path, media)
    schema = {**content[media]["schema"], "components": document["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    if media == "application/x-ndjson":
        line = {"$ref": "#/components/schemas/Decision", "components": document["components"]}
        for text in response.text.splitlines():
            jsonschema.Draft202012Validator(line).validate(json.loads(text))
    elif media.endswith("json"):
        validator.validate(response.json())


def post(client, path: str, body, media: str = "application/json", **options) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, content=content, headers={"content-type": media, **options.pop("headers", {})},
                       **options)


def without_at(event):
    """The event as the server decides it by default: the caller's `at` dropped
    (in place, so a `DuplicateKeys` stays one)."""
    if isinstance(event, dict):
        event.pop("at", None)
    return event


def wire(value) -> str:
    """JSON text for a hostile Python value, as a caller in another language would
    send it: sets and tuples as arrays, bytes and odd keys as strings, duplicate
    keys written twice, NaN and lone surrogates as Python's json writes them."""
    if isinstance(value, DuplicateKeys):
        parts = [f"{json.dumps(str(k))}: {wire(v)}" for k, v in value.items()]
        parts += [f"{json.dumps(k)}: {wire(value[k])}" for k in value.duplicates]
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k if isinstance(k, str) else str(k))}: {wire(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(wire(v) for v in (sorted(value, key=repr) if isinstance(value, (set, frozenset))
                                                 else value)) + "]"
    if isinstance(value, bytes):
        return json.dumps(value.decode("latin-1"))
    return json.dumps(value)


def summary(decision: dict) -> tuple:
    """What a decision says, without the texts that name the moment decided at."""
    return (decision["effect"], decision["digest"], tuple(decision["obligations"]),
            tuple((r["kind"], r["rule"], r["category"], r["cite"]) for r in decision["reasons"]))


# ---- deciding --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_each_example_event_is_decided_as_the_library_decides_it(client, openapi, shop, path):
    text = path.read_text()
    response = post(client, "/v1/decide", text)
    conforms(openapi, "/v1/decide", "post", response)
    assert response.headers["lawful-digest"] == shop.digest
    # the server decides at its own clock: the event's `at` is not used
    expected = shop.evaluate(without_at(loads(text)))
    assert summary(response.json()) == summary(json.loads(expected.to_json()))


def test_the_decision_is_the_library_decision_json(client, shop):
    response = post(client, "/v1/decide", BILLING)
    assert response.status_code == 200
    assert response.json() == json.loads(shop.evaluate(BILLING).to_json())
    assert response.json()["allowed"] is True
    decided = datetime.fromisoformat(response.headers["lawful-decided-at"].replace("Z", "+00:00"))
    assert abs((decided - datetime.now(timezone.utc)).total_seconds()) < 60


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_events_get_the_library_decision_never_a_500(client, openapi, shop, data):
    event = data.draw(hostile_events())
    text = wire(event)
    response = post(client, "/v1/decide", text.encode("utf-8", "surrogatepass"))
    conforms(openapi, "/v1/decide", "post", response)
    expected = shop.evaluate(without_at(loads(text)))
    assert summary(response.json()) == summary(json.loads(expected.to_json()))


@pytest.mark.parametrize("body, problem", [
    (b"", "not JSON"), (b"{", "not JSON"), (b"\xff\xfe{}", "not UTF-8"), (b"[" * 60_000, "nested too deeply"),
    (b"null", "object"), (b'"billing"', "object"), (b"[]", "object"), (b"NaN", "object"),
    (b'{"purpose": "billing", "purpose": "billing"}', "more than once"),
    ('{"purpose": "\ud800"}'.encode("utf-8", "surrogatepass"), "UTF-8"),
])
def test_a_body_that_is_not_an_event_is_a_deny_naming_why(client, openapi, body, problem):
    response = post(client, "/v1/decide", body)
    conforms(openapi, "/v1/decide", "post", response)
    decision = response.json()
    assert decision["effect"] == "deny" and decision["allowed"] is False
    assert {r["kind"] for r in decision["reasons"]} == {"invalid-event"}
    assert any(problem.lower() in r["message"].lower() for r in decision["reasons"]), decision


# ---- refusals that are not decisions ---------------------------------------------------------------


@pytest.mark.parametrize("media", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_not_sent_as_json_is_415(client, openapi, media):
    headers = {} if media is None else {"content-type": media}
    response = client.post("/v1/decide", content=json.dumps(BILLING), headers=headers)
    assert response.status_code == 415
    conforms(openapi, "/v1/decide", "post", response)
    assert "application/json" in response.json()["detail"]


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client):
    for media in ("application/json; charset=utf-8", "Application/JSON", "application/vnd.lawful+json"):
        assert post(client, "/v1/decide", BILLING, media).json()["allowed"] is True


def test_a_body_over_the_limit_is_413_whether_or_not_its_length_is_announced(server, openapi):
    big = json.dumps({**BILLING, "context": {"pad": "x" * 70_000}})
    with server.client() as c:
        response = post(c, "/v1/decide", big)
        assert response.status_code == 413
        conforms(openapi, "/v1/decide", "post", response)

    def chunks():
        for start in range(0, len(big), 10_000):
            yield big[start:start + 10_000].encode()

    with server.client() as c:  # chunked: no content-length, counted as it arrives
        response = c.post("/v1/decide", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert "65,536" in response.json()["detail"]


def test_unknown_paths_are_404_and_wrong_methods_405(client):
    assert client.get("/v1/nothing").status_code == 404
    response = client.get("/v1/decide")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert client.post("/healthz").status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_reload_is_off_unless_enabled(client):
    response = client.post("/v1/reload")
    assert response.status_code == 403
    assert "--allow-reload" in response.json()["detail"]


# ---- batches --------------------------------------------------------------------------------------


def test_a_json_array_batch_is_answered_in_order(client, openapi, shop):
    events = [json.loads(p.read_text()) for p in EVENTS] * 3
    response = post(client, "/v1/decide/batch", events)
    conforms(openapi, "/v1/decide/batch", "post", response)
    decisions = response.json()
    assert len(decisions) == len(events)
    assert [summary(d) for d in decisions] == [summary(json.loads(shop.evaluate(without_at(e)).to_json()))
                                               for e in events]
    assert post(client, "/v1/decide/batch", []).json() == []


@pytest.mark.parametrize("body", [b"{}", b'"x"', b"[", b"\xff"])
def test_a_json_batch_that_is_not_an_array_is_400(client, openapi, body):
    response = post(client, "/v1/decide/batch", body)
    assert response.status_code == 400
    conforms(openapi, "/v1/decide/batch", "post", response)


def test_json_lines_each_get_a_decision_broken_ones_named_by_line(client, openapi, shop):
    lines = [json.dumps(BILLING), "not json", "", "   ", json.dumps({"purpose": "billing"}),
             '{"purpose": "billing", "categories": ["contact.email"], "destination": "DE"}\r',
             b"\xff\xfe".decode("latin-1"), json.dumps(BILLING)]
    body = "\n".join(lines).encode("latin-1")
    response = post(client, "/v1/decide/batch", body, "application/x-ndjson")
    conforms(openapi, "/v1/decide/batch", "post", response)
    decisions = [json.loads(line) for line in response.text.splitlines()]
    assert len(decisions) == 6  # one per line that is not blank
    assert decisions[0]["allowed"] and decisions[5]["allowed"]
    assert decisions[1]["reasons"][0]["message"].startswith("line 2 is not JSON")
    assert {r["kind"] for r in decisions[2]["reasons"]} == {"invalid-event"}
    assert decisions[3]["allowed"]  # a CRLF ending is one line break
    assert decisions[4]["reasons"][0]["message"] == "line 7 is not UTF-8 (byte 1 of the line)"


def test_json_lines_split_anywhere_by_the_network_are_decided_the_same(server, shop):
    events = [json.loads(p.read_text()) for p in EVENTS]
    text = "".join(json.dumps(e) + "\n" for e in events).encode()

    def pieces(size):
        for start in range(0, len(text), size):
            yield text[start:start + size]

    with server.client() as c:
        for size in (1, 7, 4096):
            response = c.post("/v1/decide/batch", content=pieces(size), headers={"content-type": "application/x-ndjson"})
            got = [summary(json.loads(line)) for line in response.text.splitlines()]
            assert got == [summary(json.loads(shop.evaluate(without_at(e)).to_json())) for e in events], size


def test_a_large_json_lines_batch_from_a_client_that_reads_only_afterwards(server):
    # httpx sends the whole body before it reads: the decisions are held for it, not deadlocked
    line = json.dumps(BILLING) + "\n"
    count = 40_000
    with server.client() as c:
        response = c.post("/v1/decide/batch", content=(line * count).encode(),
                          headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.text.count("\n") == count
    assert response.text.count('"effect":"allow"') == count


def test_a_json_line_over_the_line_limit_is_denied_and_the_next_lines_decided(server):
    from engine.event.values import MAX_LINE_BYTES

    long_line = b'{"context": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'
    body = json.dumps(BILLING).encode() + b"\n" + long_line + b"\n" + json.dumps(BILLING).encode()

    def pieces():
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]

    with server.client() as c:
        response = c.post("/v1/decide/batch", content=pieces(), headers={"content-type": "application/x-ndjson"})
    decisions = [json.loads(line) for line in response.text.splitlines()]
    assert [d["allowed"] for d in decisions] == [True, False, True]
    assert decisions[1]["reasons"][0]["message"] == "line 2 is longer than 16 MiB"


# ---- slow and greedy clients ----------------------------------------------------------------------


def raw(server, data: bytes, pause: float = 0.0, then: bytes = b"") -> tuple[bytes, float]:
    """Send `data`, wait `pause`, send `then`; return what the server answered and when it closed."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(data)
        if pause:
            time.sleep(pause)
            try:
                sock.sendall(then)
            except OSError:
                pass
        answer = b""
        while True:
            try:
                part = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not part:
                break
            answer += part
    return answer, time.monotonic() - started


def test_headers_sent_too_slowly_are_408_and_disconnected(server):
    answer, took = raw(server, b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 1.0 < took < 10


def test_a_connection_that_sends_nothing_is_closed(server):
    answer, took = raw(server, b"")
    assert answer.startswith(b"HTTP/1.1 408 ") and took < 10


def test_a_body_that_stops_half_way_is_408(server):
    head = (b"POST /v1/decide HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 100\r\n\r\n{\"purpose\"")
    answer, took = raw(server, head)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert took < 10


def test_a_body_that_stops_half_way_is_counted_once_as_a_timeout(tmp_path):
    with Server([SHOP, "--timeout", "0.5"]) as s, s.client() as c:
        before = c.get("/metrics").text
        head = (b"POST /v1/decide HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                b"content-length: 100\r\n\r\n{")
        assert raw(s, head)[0].startswith(b"HTTP/1.1 408 ")
        time.sleep(0.3)
        after = c.get("/metrics").text
    assert metric(after, "lawful_errors_total", kind="timeout") - metric(before, "lawful_errors_total",
                                                                         kind="timeout") == 1
    assert metric(after, "lawful_errors_total", kind="disconnected") == 0
    assert metric(after, "lawful_http_requests_total", endpoint="decide", status="408") == 1
    assert metric(after, "lawful_http_requests_total", endpoint="decide", status="499") == 0


def test_connections_beyond_the_limit_are_503_problems_the_others_served():
    with Server([SHOP, "--max-connections", "2"]) as s:
        first, second = s.client(), s.client()
        try:
            assert first.get("/healthz").status_code == 200  # two connections held open
            assert second.get("/healthz").status_code == 200
            with s.client() as third:
                refused = third.get("/healthz")
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["status"] == 503 and "--max-connections" in refused.json()["detail"]
            assert post(first, "/v1/decide", BILLING).json()["allowed"] is True
            second.close()
            time.sleep(0.3)
            text = first.get("/metrics").text
        finally:
            first.close()
            second.close()
    assert metric(text, "lawful_errors_total", kind="busy") == 1


def test_headers_over_64_kib_are_431(server):
    answer, _ = raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"x-pad: " + b"a" * 70_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_the_server_answers_others_while_clients_are_slow(server, client):
    sockets = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\ncontent-length: 50\r\n\r\n{")
            sockets.append(sock)
        assert post(client, "/v1/decide", BILLING).json()["allowed"] is True
    finally:
        for sock in sockets:
            sock.close()


def metric(text: str, name: str, **labels) -> float:
    """One series' value in a Prometheus exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_decisions_by_effect_and_rule_and_refusals(client):
    value = metric

    before = client.get("/metrics").text
    for _ in range(3):
        post(client, "/v1/decide", BILLING)
    post(client, "/v1/decide", {**BILLING, "destination": "US"})
    client.post("/v1/decide", content="{}", headers={"content-type": "text/plain"})
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    assert value(text, "lawful_decisions_total", effect="allow", rule="billing_data") \
        - value(before, "lawful_decisions_total", effect="allow", rule="billing_data") == 3
    assert value(text, "lawful_errors_total", kind="media-type") - value(before, "lawful_errors_total",
                                                                         kind="media-type") == 1
    assert value(text, "lawful_http_requests_total", endpoint="decide", status="415") >= 1
    assert "lawful_decision_seconds_bucket" in text and "lawful_http_request_seconds_bucket" in text
    assert re.search(r'^lawful_policy_info\{digest="sha256:[0-9a-f]{64}",name="acme-shop"\} 1\.0$', text, re.M)


def test_explain_and_remedies_answer_as_the_library_does(client, openapi, shop):
    event = json.loads((ROOT / "examples/shop/events/05-newsletter-without-consent-denied.json").read_text())
    explained = post(client, "/v1/explain", event)
    conforms(openapi, "/v1/explain", "post", explained)
    data = explained.json()
    assert data["decision"]["effect"] == "deny" and data["event_valid"] is True
    assert [r["rule"] for r in data["rules"]] == [r.label for r in shop.rules]
    found = post(client, "/v1/remedies", event)
    conforms(openapi, "/v1/remedies", "post", found)
    expected = shop.remedies(without_at(event))
    assert [[a["kind"] for a in r["actions"]] for r in found.json()["remedies"]] == \
        [[a.kind for a in r.actions] for r in expected.remedies]
    assert any(a["kind"] == "obtain-consent" for r in found.json()["remedies"] for a in r["actions"])
    for path in ("/v1/explain", "/v1/remedies"):
        bad = post(client, path, b"{nope")
        conforms(openapi, path, "post", bad)
        assert "not JSON" in json.dumps(bad.json())


def test_policy_health_and_readiness_describe_what_is_served(client, openapi, shop):
    for path in ("/v1/policy", "/healthz", "/readyz"):
        response = client.get(path)
        conforms(openapi, path, "get", response)
    info = client.get("/v1/policy").json()
    assert (info["name"], info["digest"], info["rules"]) == ("acme-shop", shop.digest, len(shop.rules))
    assert client.get("/readyz").json()["digest"] == shop.digest


# ---- the clock -------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def consent_event(at: datetime, withdrawn: datetime) -> dict:
    return {"purpose": "newsletter", "categories": ["contact.email"], "destination": "AT", "at": _iso(at),
            "subject": {"id": "u-5", "age": 41, "country": "AT", "consents": [
                {"purpose": "newsletter", "given_at": "2026-01-05T10:00:00Z", "withdrawn_at": _iso(withdrawn)}]}}


def test_the_server_decides_at_its_own_clock_not_the_callers(client):
    now = datetime.now(timezone.utc)
    # `at` before the consent was withdrawn would allow; the server's clock is after it
    response = post(client, "/v1/decide", consent_event(now - timedelta(days=30), now - timedelta(days=1)))
    assert response.json()["effect"] == "deny"
    assert any(r["kind"] == "no-consent" for r in response.json()["reasons"])


def test_a_trusted_caller_time_is_used_within_the_skew_and_refused_beyond(openapi):
    with Server([SHOP, "--trust-caller-time", "300"]) as trusted, trusted.client() as c:
        now = datetime.now(timezone.utc)
        within = post(c, "/v1/decide", consent_event(now - timedelta(seconds=120), now - timedelta(seconds=60)))
        assert within.json()["effect"] == "allow"
        assert within.headers["lawful-decided-at"].startswith(_iso(now - timedelta(seconds=120))[:16])
        beyond = post(c, "/v1/decide", consent_event(now - timedelta(days=30), now - timedelta(days=1)))
        conforms(openapi, "/v1/decide", "post", beyond)
        reason = beyond.json()["reasons"][0]
        assert reason["kind"] == "invalid-event"
        assert "before the server's clock" in reason["message"] and "within 300 s" in reason["message"]
        future = post(c, "/v1/decide", {**BILLING, "at": _iso(now + timedelta(hours=2))})
        assert "after the server's clock" in future.json()["reasons"][0]["message"]
        batch = post(c, "/v1/decide/batch", [consent_event(now - timedelta(days=30), now - timedelta(days=1))])
        assert batch.json()[0]["reasons"][0]["kind"] == "invalid-event"


# ---- hot reload -----------------------------------------------------------------------------------


GOOD = 'policy "p"\ncategory email\npurpose billing basis contract\npermit billing on email\n'
OTHER = 'policy "p"\ncategory email\npurpose billing basis contract\nforbid billing on email\n'
BROKEN = 'policy "p"\ncategory email\npurpose billing basis contract\npermit billing on emial\n'
SMALL = {"purpose": "billing", "categories": ["email"], "destination": "DE"}


def wait_for(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_changed_policy_is_served_and_a_broken_one_is_not(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    good, other = engine.load_policy_text(GOOD).digest, engine.load_policy_text(OTHER).digest
    with Server([str(policy)]) as s, s.client() as c:
        assert post(c, "/v1/decide", SMALL).json()["digest"] == good
        (tmp_path / "p.tmp").write_text(OTHER)
        (tmp_path / "p.tmp").replace(policy)
        assert wait_for(lambda: c.get("/v1/policy").json()["digest"] == other)
        decided = post(c, "/v1/decide", SMALL).json()
        assert (decided["effect"], decided["digest"]) == ("deny", other)
        (tmp_path / "p.tmp").write_text(BROKEN)
        (tmp_path / "p.tmp").replace(policy)
        assert wait_for(lambda: c.get("/v1/policy").json()["errors"] != [])
        info = c.get("/v1/policy").json()
        assert info["digest"] == other and info["errors"][0]["code"].startswith("E")
        assert post(c, "/v1/decide", SMALL).json()["digest"] == other
        metrics = c.get("/metrics").text
        assert re.search(r'^lawful_reloads_total\{outcome="served"\} 1\.0$', metrics, re.M)
        assert re.search(r'^lawful_reloads_total\{outcome="failed"\} 1\.0$', metrics, re.M)


# ---- who may ask ------------------------------------------------------------------------------------


DECIDER = "d" * 20 + "-decision-token"
ADMIN = "a" * 20 + "-admin-token"


def token_file(tmp_path: Path, name: str, *tokens: str, mode: int = 0o600) -> str:
    path = tmp_path / name
    path.write_text("# tokens\n" + "\n".join(tokens) + "\n")
    path.chmod(mode)
    return str(path)


def test_tokens_are_required_everywhere_but_the_probes(tmp_path, openapi):
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    args = [str(policy), "--host", "0.0.0.0", "--token-file", token_file(tmp_path, "t", DECIDER),
            "--admin-token-file", token_file(tmp_path, "a", ADMIN), "--allow-reload"]
    with Server(args) as s, s.client() as c:
        for path, method in (("/v1/decide", "post"), ("/v1/decide/batch", "post"), ("/v1/policy", "get"),
                             ("/metrics", "get"), ("/openapi.json", "get"), ("/v1/reload", "post")):
            refused = c.request(method, path, content=b"{}", headers={"content-type": "application/json"})
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == 'Bearer realm="lawful"'
            wrong = c.request(method, path, headers={"authorization": "Bearer " + DECIDER[:-1] + "X"})
            assert wrong.status_code == 401, path
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
        bearer = {"authorization": f"Bearer {DECIDER}"}
        decided = post(c, "/v1/decide", SMALL, headers=bearer)
        conforms(openapi, "/v1/decide", "post", decided)
        assert decided.json()["allowed"] is True
        assert post(c, "/v1/decide", SMALL, headers={"authorization": f"bearer {ADMIN}"}).status_code == 200
        # a decision token cannot change what is served
        forbidden = c.post("/v1/reload", headers=bearer)
        assert forbidden.status_code == 403 and "not reload" in forbidden.json()["detail"]
        policy.write_text(OTHER)
        reloaded = c.post("/v1/reload", headers={"authorization": f"Bearer {ADMIN}"})
        assert reloaded.status_code == 200
        assert reloaded.json()["digest"] == engine.load_policy_text(OTHER).digest
        policy.write_text(BROKEN)
        failed = c.post("/v1/reload", headers={"authorization": f"Bearer {ADMIN}"})
        assert failed.status_code == 422 and failed.json()["errors"]
        assert failed.json()["digest"] == engine.load_policy_text(OTHER).digest


def test_tokens_from_the_environment(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    with Server([str(policy), "--host", "0.0.0.0"], env={"LAWFUL_TOKENS": f"{DECIDER}, {'e' * 30}"}) as s, \
            s.client() as c:
        assert post(c, "/v1/decide", SMALL).status_code == 401
        for token in (DECIDER, "e" * 30):
            assert post(c, "/v1/decide", SMALL, headers={"authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("args, message", [
    (["--host", "0.0.0.0"], "listens beyond this machine"),
    (["--host", "192.0.2.1"], "require authentication"),
    (["--host", "::"], "listens beyond this machine"),
    (["--allow-reload"], "--allow-reload needs admin tokens"),
    (["--tls-cert", "pyproject.toml"], "both --tls-cert and --tls-key"),
    (["--tls-client-ca", "pyproject.toml"], "needs TLS"),
    (["--token-file", "no/such/file"], "no such file"),
    (["--decision-log", "x.db"], "needs a key"),
    (["--port", "70000"], "not a port"),
    (["--workers", "0"], "from 1 to"),
    (["--timeout", "nan"], "not a number of seconds"),
    (["--timeout", "0"], "above 0"),
    (["--max-body", "100"], "from 1,024"),
    (["--max-batch-body", "1000"], "from 1,024"),
    (["--max-batch-buffer", "1000"], "from 65,536"),
])
def test_settings_that_would_expose_or_break_the_server_are_refused(args, message):
    result = lawful("serve", SHOP, *args, env={"LAWFUL_TOKENS": "", "LAWFUL_ADMIN_TOKENS": "",
                                               "LAWFUL_LOG_KEY": ""})
    assert result.returncode == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_file_others_can_read_or_a_short_token_is_refused(tmp_path):
    loose = token_file(tmp_path, "loose", DECIDER, mode=0o644)
    result = lawful("serve", SHOP, "--token-file", loose)
    assert result.returncode == 2 and "chmod 600" in result.stderr
    short = token_file(tmp_path, "short", "tooshort")
    result = lawful("serve", SHOP, "--token-file", short)
    assert result.returncode == 2 and "at least 16 characters" in result.stderr and f"{short}:2" in result.stderr


def test_a_policy_that_does_not_compile_is_reported_before_listening(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text(BROKEN)
    result = lawful("serve", str(policy))
    assert result.returncode == 2
    assert "E0" in result.stderr and "emial" in result.stderr and "Traceback" not in result.stderr
    result = lawful("serve", str(tmp_path / "missing.law"))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_mutual_tls_admits_clients_with_a_certificate_only(tmp_path):
    import ssl

    import trustme

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    client_cert = ca.issue_cert("client@example.com")
    paths = {}
    for name, blob in (("cert", server_cert.cert_chain_pems[0].bytes() + b"".join(
            p.bytes() for p in server_cert.cert_chain_pems[1:])), ("key", server_cert.private_key_pem.bytes()),
            ("ca", ca.cert_pem.bytes())):
        (tmp_path / name).write_bytes(blob)
        paths[name] = str(tmp_path / name)
    client_pem = tmp_path / "client.pem"
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(client_pem))
    trusted = ssl.create_default_context(cafile=paths["ca"])
    with_cert = ssl.create_default_context(cafile=paths["ca"])
    with_cert.load_cert_chain(str(client_pem))
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    # mutual TLS is authentication: listening beyond loopback is allowed without tokens
    args = [str(policy), "--host", "0.0.0.0", "--tls-cert", paths["cert"], "--tls-key", paths["key"],
            "--tls-client-ca", paths["ca"]]
    with Server(args, scheme="https", client={"verify": with_cert}) as s:
        with s.client() as c:
            assert post(c, "/v1/decide", SMALL).json()["allowed"] is True
        with httpx.Client(verify=trusted) as anonymous, pytest.raises(httpx.HTTPError):
            anonymous.post(s.url + "/v1/decide", json=SMALL)
        other_ca = trustme.CA()
        stranger = other_ca.issue_cert("stranger@example.com")
        strange = ssl.create_default_context(cafile=paths["ca"])
        stranger_pem = tmp_path / "stranger.pem"
        stranger.private_key_and_cert_chain_pem.write_to_path(str(stranger_pem))
        strange.load_cert_chain(str(stranger_pem))
        with httpx.Client(verify=strange) as impostor, pytest.raises(httpx.HTTPError):
            impostor.post(s.url + "/v1/decide", json=SMALL)
        with pytest.raises(httpx.HTTPError):  # and no plain HTTP on the port
            httpx.post(f"http://127.0.0.1:{s.port}/v1/decide", json=SMALL)


# ---- several workers --------------------------------------------------------------------------------


def test_a_reload_asked_of_one_worker_is_done_by_every_worker(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    good, other = engine.load_policy_text(GOOD).digest, engine.load_policy_text(OTHER).digest
    args = [str(policy), "--workers", "2", "--no-watch", "--allow-reload",
            "--admin-token-file", token_file(tmp_path, "a", ADMIN)]
    with Server(args) as s:
        def digests() -> set[str]:
            seen = set()
            for _ in range(30):  # new connections: both workers answer some
                with s.client() as c:
                    seen.add(c.get("/v1/policy").json()["digest"])
            return seen
        assert digests() == {good}
        policy.write_text(OTHER)
        with s.client() as c:
            reloaded = c.post("/v1/reload", headers={"authorization": f"Bearer {ADMIN}"})
            assert reloaded.status_code == 200 and reloaded.json()["digest"] == other
        time.sleep(1.0)  # the other worker looks every 0.2 s
        assert digests() == {other}
        with s.client() as c:
            text = c.get("/metrics").text
    def info(digest: str) -> list[str]:  # the values of its series, one per worker (a `pid` label)
        return re.findall(rf'^lawful_policy_info\{{[^}}]*digest="{digest}"[^}}]*\}} (\S+)$', text, re.M)
    assert info(other) and set(info(other)) == {"1.0"}, text
    assert set(info(good)) <= {"0.0"}, text
    assert "UserWarning" not in s.output


def test_two_workers_share_metrics_and_each_keeps_a_valid_decision_log(tmp_path):
    policy = tmp_path / "p.law"
    policy.write_text(GOOD)
    log = tmp_path / "decisions.db"
    env = {"LAWFUL_LOG_KEY": "k" * 32}
    with Server([str(policy), "--workers", "2", "--decision-log", str(log)], env=env) as s:
        count = 0
        for _ in range(60):  # new connections: both workers answer some
            with s.client() as c:
                assert post(c, "/v1/decide", SMALL).json()["allowed"] is True
                count += 1
        with s.client() as c:
            batch = post(c, "/v1/decide/batch", [SMALL] * 40)
            assert len(batch.json()) == 40
            count += 40
            # the other worker flushes its counts every TEND_SECONDS: a scrape may miss
            # its last ones (docs/serve.md, Metrics), never count one twice
            seen = []
            for _ in range(20):
                metrics = c.get("/metrics").text
                total = re.search(r'^lawful_decisions_total\{effect="allow",rule="[^"]+"\} (\S+)$', metrics, re.M)
                assert total is not None, metrics
                seen.append(float(total.group(1)))
                if seen[-1] == count:
                    break
                time.sleep(TEND_SECONDS)
        assert seen[-1] == count and all(a <= b <= count for a, b in zip(seen, seen[1:])), seen
    logs = sorted(tmp_path.glob("decisions.w*.db"))
    assert [p.name for p in logs] in (["decisions.w1.db", "decisions.w2.db"], ["decisions.w1.db"])
    recorded = 0
    for path in logs:
        verified = engine.log.verify(path, key="k" * 32)
        assert verified.intact and verified.state == "intact", verified
        recorded += verified.records
    assert recorded == count


# ---- the OpenAPI document, tested by schemathesis against the real server ---------------------------


#: schemathesis's negative_data_rejection expects a 4xx for a body that breaks the
#: Event schema; the service answers 200 with a deny naming why (docs/serve.md,
#: "Bad input"), which the tests above check for every class of bad body
BY_DESIGN = "negative_data_rejection"


@pytest.mark.parametrize("secured", [False, True], ids=["loopback", "tokens-and-reload"])
def test_schemathesis_finds_nothing_the_document_does_not_say(tmp_path, secured):
    args, headers = [SHOP, "--no-watch"], []
    if secured:
        args += ["--host", "0.0.0.0", "--token-file", token_file(tmp_path, "t", DECIDER),
                 "--admin-token-file", token_file(tmp_path, "a", ADMIN), "--allow-reload"]
        headers = ["-H", f"Authorization: Bearer {ADMIN}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    with Server(args) as s:
        run = subprocess.run([sys.executable, "-m", "schemathesis.cli", "run", s.url + "/openapi.json",
                              "--checks", "all", "--exclude-checks", BY_DESIGN, "-n", "30", "--seed", "18",
                              "--generation-database", "none", "--request-timeout", "20", *headers],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        log = s.read_log()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"Tested: 9\b", run.stdout), run.stdout[-3000:]
    assert "Traceback" not in log, log[-3000:]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), max_size=40))
def test_metrics_kept_until_a_flush_are_prometheus_own_counts(values):
    from prometheus_client import generate_latest

    from engine.serve.metrics import Metrics

    kept, direct = Metrics(), Metrics()
    for value in values:
        kept.observe(kept.decision_seconds, value)
        kept.count(kept.decided("allow", "r"))
        direct.decision_seconds.observe(value)
        direct.decided("allow", "r").inc()
    kept.flush()

    def series(m):
        return sorted(line for line in generate_latest(m.registry).decode().splitlines()
                      if line.startswith(("lawful_decision_seconds_bucket", "lawful_decision_seconds_count",
                                          "lawful_decisions_total")))
    assert series(kept) == series(direct)
    assert kept._counts == {} and kept._observed == {}


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)),
                                               timezone(timedelta(hours=-8)), timezone(timedelta(0))])))
def test_the_decided_at_header_is_the_moment_in_utc_as_isoformat_writes_it(moment):
    from engine.serve.app import _iso
    expected = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert _iso(moment) == expected
    assert _iso(moment) == expected  # the second formatted once, then reused
