"""The clients, examples and deployment files of docs/serve.md against the real
`lawful serve`: examples/serve/client.py (httpx) and client.mjs (Node's fetch), the
runnable curl blocks of the doc, the systemd unit and the Containerfile."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import engine
from engine.decide.policy import not_json
from engine.event.values import loads, split_lines
from serving import ROOT, Server, lawful

SHOP = "rules/examples/shop"
EXAMPLES = ROOT / "examples/serve"
DOC = ROOT / "docs/serve.md"
#: the address the doc's examples are written for; the tests put the real server's in
DOC_URL = "http://127.0.0.1:8181"
#: no token from the environment running the tests reaches a server started here
QUIET = {"LAWFUL_TOKENS": "", "LAWFUL_ADMIN_TOKENS": "", "LAWFUL_TOKEN": "", "LAWFUL_URL": ""}
TOKEN = "t0ken-for-the-examples-" + "x" * 16


@pytest.fixture(scope="module")
def shop() -> engine.Policy:
    return engine.load_policy(SHOP)


@pytest.fixture(scope="module")
def server():
    with Server([SHOP], env=QUIET) as running:
        yield running


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    env = {**os.environ, **QUIET, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           **options.pop("env", {})}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, **options)


# ---- the clients -----------------------------------------------------------------------------------


def expected_lines(shop: engine.Policy, path: Path) -> list[tuple[int, dict]]:
    """What the server answers for a JSON-lines file: the library's decision for each
    line that is not blank, at the server's clock (the caller's `at` dropped)."""
    answers = []
    for number, text, problem in split_lines(path.read_bytes().split(b"\n")):
        if problem is not None:
            decision = shop.unreadable(problem)
        else:
            try:
                event = loads(text)
            except ValueError as error:
                decision = shop.unreadable(not_json(number, error))
            else:
                event.pop("at", None)
                decision = shop.evaluate(event)
        answers.append((number, json.loads(decision.to_json())))
    return answers


def first(decision: dict) -> str:
    reason = decision["reasons"][0]
    return reason["rule"] or reason["kind"]


def check_client_output(output: str, shop: engine.Policy, event: dict) -> None:
    """The lines both clients print: `policy NAME DIGEST`, `decide EFFECT DIGEST WHY`,
    then `line N EFFECT DIGEST WHY` for each line of events.jsonl that is not blank."""
    lines = output.splitlines()
    assert lines[0] == f"policy {shop.name} {shop.digest}"
    one = json.loads(shop.evaluate(event).to_json())
    assert lines[1].split()[:4] == ["decide", one["effect"], shop.digest, first(one)]
    assert one["effect"] == "allow" and f"obligations={','.join(one['obligations'])}" in lines[1]
    expected = expected_lines(shop, EXAMPLES / "events.jsonl")
    assert len(lines) == 2 + len(expected)
    for line, (number, decision) in zip(lines[2:], expected):
        why = first(decision) + ("" if decision["allowed"] else ":")
        assert line.split()[:5] == ["line", str(number), decision["effect"], shop.digest, why], line
        if not decision["allowed"]:
            assert line.endswith(decision["reasons"][0]["message"]), line
    effects = [d["effect"] for _, d in expected]
    assert "allow" in effects and "deny" in effects  # the example shows both
    assert any("is not JSON" in d["reasons"][0]["message"] for _, d in expected)
    assert [n for n, _ in expected] != list(range(1, len(expected) + 1))  # a blank line is skipped


def client_event() -> dict:
    """The event client.py decides (client.mjs decides the same one)."""
    text = (EXAMPLES / "client.py").read_text()
    match = re.search(r"^EVENT = (\{.*?\})\n", text, flags=re.S | re.M)
    event = ast.literal_eval(match.group(1))
    mjs = (EXAMPLES / "client.mjs").read_text()
    for value in ("billing", "contact.email", "payment.card", '"DE"', "u-1", "34"):
        assert value in mjs
    return event


def test_the_python_client_decides_one_event_and_a_streamed_batch(server, shop):
    result = run([sys.executable, "examples/serve/client.py", server.url])
    assert result.returncode == 0, result.stderr
    check_client_output(result.stdout, shop, client_event())


def test_the_python_client_takes_the_url_and_a_token_from_the_environment(tmp_path, shop):
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    tokens.chmod(0o600)
    with Server([SHOP, "--token-file", str(tokens)], env=QUIET) as guarded:
        refused = run([sys.executable, "examples/serve/client.py"], env={"LAWFUL_URL": guarded.url})
        assert refused.returncode != 0 and "401" in refused.stderr
        result = run([sys.executable, "examples/serve/client.py"],
                     env={"LAWFUL_URL": guarded.url, "LAWFUL_TOKEN": TOKEN})
        assert result.returncode == 0, result.stderr
        check_client_output(result.stdout, shop, client_event())


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "Node 20 is needed for examples/serve/client.mjs"
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 20, version
    return found


def test_the_node_client_decides_one_event_and_a_batch(server, shop):
    result = run([node(), "examples/serve/client.mjs", server.url])
    assert result.returncode == 0, result.stderr
    check_client_output(result.stdout, shop, client_event())
    python = run([sys.executable, "examples/serve/client.py", server.url])
    assert result.stdout == python.stdout  # the same lines as the Python client


def test_the_node_client_sends_the_token_from_the_environment(tmp_path, shop):
    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    tokens.chmod(0o600)
    with Server([SHOP, "--token-file", str(tokens)], env=QUIET) as guarded:
        refused = run([node(), "examples/serve/client.mjs", guarded.url])
        assert refused.returncode != 0 and "401" in refused.stderr
        result = run([node(), "examples/serve/client.mjs"], env={"LAWFUL_URL": guarded.url, "LAWFUL_TOKEN": TOKEN})
        assert result.returncode == 0, result.stderr
        check_client_output(result.stdout, shop, client_event())


def test_the_doc_shows_what_the_python_client_prints(server):
    result = run([sys.executable, "examples/serve/client.py", server.url])
    shown = re.search(r"python3 examples/serve/client.py http://127.0.0.1:8181\n```\n\n```\n(.*?)```",
                      DOC.read_text(), flags=re.S)
    assert shown is not None
    assert shown.group(1) == result.stdout


# ---- the curl examples of docs/serve.md ---------------------------------------------------------------


def doc_blocks() -> list[tuple[str, str, int, int]]:
    """Every fenced block of docs/serve.md: (language, text, start, end)."""
    return [(m.group(1), m.group(2), m.start(), m.end())
            for m in re.finditer(r"^```(\w*)\n(.*?)^```$", DOC.read_text(), flags=re.S | re.M)]


def runnable() -> list[tuple[str, tuple[str, str] | None]]:
    """The `sh` blocks that start with `curl`, each with the answer shown right after
    it (the next block, when nothing but blank lines is between them)."""
    text, blocks = DOC.read_text(), doc_blocks()
    found = []
    for index, (language, block, _, end) in enumerate(blocks):
        if language == "sh" and block.startswith("curl "):
            shown = None
            if index + 1 < len(blocks) and not text[end:blocks[index + 1][2]].strip():
                shown = blocks[index + 1][:2]
            found.append((block, shown))
    return found


CURL = runnable()


def test_the_doc_has_runnable_curl_examples_for_every_endpoint():
    text = "\n".join(block for block, _ in CURL)
    for path in ("/v1/decide ", "/v1/decide/batch", "/v1/explain", "/v1/remedies", "/v1/policy", "/v1/reload",
                 "/readyz", "/openapi.json"):
        assert path in text, path
    assert len(CURL) >= 10
    assert all(DOC_URL in block for block, _ in CURL)


def json_documents(text: str) -> list:
    """A JSON document, or JSON lines (one document per line)."""
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def split_http(text: str) -> tuple[int, str]:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("block, shown", CURL, ids=lambda v: v[:70] if isinstance(v, str) else "")
def test_each_runnable_curl_example_answers_json_as_shown(server, block, shown):
    result = run(["bash", "-o", "pipefail", "-c", block.replace(DOC_URL, server.url)])
    assert result.returncode == 0, result.stderr
    output = result.stdout
    status = None
    if output.startswith("HTTP/"):
        status, output = split_http(output)
    answers = json_documents(output)
    assert answers and all(isinstance(a, (dict, list)) for a in answers)
    if shown is None or shown[0] not in ("http", "json"):
        return
    language, text = shown
    if language == "http":
        shown_status, text = split_http(text)
        assert status == shown_status, (block, status)
    try:
        expected = json.loads(text)
    except ValueError:
        return  # abridged in the doc
    assert len(answers) == 1
    if isinstance(expected, dict):
        assert set(answers[0]) == set(expected)
        for key in ("effect", "allowed", "status", "title", "name", "rules"):
            if key in expected:
                assert answers[0][key] == expected[key], key


def test_the_abridged_batch_in_the_doc_has_one_line_per_decision(server, shop):
    """The JSON-lines example shows one decision per line of events.jsonl that is not blank."""
    block = next(b for b, _ in CURL if "events.jsonl" in b)
    shown = next(s for b, s in CURL if b == block)[1]
    expected = expected_lines(shop, EXAMPLES / "events.jsonl")
    assert [re.search(r'"effect":"(\w+)"', line).group(1) for line in shown.splitlines()] == \
        [d["effect"] for _, d in expected]


# ---- the deployment files ------------------------------------------------------------------------------


def serve_options() -> set[str]:
    result = lawful("serve", "--help")
    assert result.returncode == 0
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", result.stdout)) - {"--help"}


def check_serve_argv(argv: list[str]) -> None:
    """`lawful serve POLICY --option value...`, each option one that `lawful serve --help` lists."""
    assert Path(argv[0]).name == "lawful" and argv[1] == "serve", argv
    options = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    known = serve_options()
    assert options and options <= known, options - known


def start(argv: list[str], paths: dict[str, str]):
    """Start the real server with the arguments of a deployment file, its paths mapped
    to these (the last --port, the test's, wins)."""
    args = []
    for arg in argv[2:]:
        for old, new in paths.items():
            arg = arg.replace(old, new)
        args.append(arg)
    return Server(args, env=QUIET)


def check_guarded(server) -> None:
    with server.client() as c:
        assert c.get("/healthz").status_code == 200
        event = {"purpose": "billing", "categories": ["contact.email"], "destination": "DE"}
        assert c.post("/v1/decide", json=event).status_code == 401
        decided = c.post("/v1/decide", json=event, headers={"authorization": f"Bearer {TOKEN}"})
        assert decided.status_code == 200 and decided.json()["allowed"] is True


def secret(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text + "\n")
    path.chmod(0o400)
    return path


def unit_entries(text: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit's sections, each a list of (key, value), repeated keys kept."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, line
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


UNIT = EXAMPLES / "lawful.service"


def test_the_systemd_unit_is_hardened_and_restarts_on_failure():
    sections = unit_entries(UNIT.read_text())
    assert set(sections) == {"Unit", "Service", "Install"}
    service = dict(sections["Service"])
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root", "0")
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["Restart"] == "on-failure"
    assert service["CapabilityBoundingSet"] == ""
    credentials = dict(value.split(":", 1) for key, value in sections["Service"] if key == "LoadCredential")
    assert "tokens" in credentials
    argv = shlex.split(service["ExecStart"])
    check_serve_argv(argv)
    assert argv[argv.index("--token-file") + 1] == "%d/tokens"  # the credential, not a path it cannot read
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    log = argv[argv.index("--decision-log") + 1]
    assert log.startswith(f"/var/lib/{service['StateDirectory']}/")  # the only place it may write
    assert dict(sections["Install"])["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the structure is still checked by the test above
        sections = unit_entries(UNIT.read_text())
        assert dict(sections["Service"])["Type"] in ("exec", "simple", "notify")
        return
    text = UNIT.read_text()
    binary = shlex.split(dict(unit_entries(text)["Service"])["ExecStart"])[0]
    real = shutil.which("lawful", path=str(Path(sys.executable).parent))
    assert real is not None
    unit = tmp_path / "lawful.service"
    unit.write_text(text.replace(binary, real))  # verify checks that ExecStart's binary exists
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # an unknown key or a bad value is only a warning


def test_the_server_starts_with_the_units_options(tmp_path):
    service = dict(unit_entries(UNIT.read_text())["Service"])
    argv = shlex.split(service["ExecStart"])
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    secret(credentials, "tokens", TOKEN)
    secret(credentials, "log-key", "k" * 32)
    state = tmp_path / "state"
    state.mkdir()
    paths = {"%d/": f"{credentials}/", "/var/lib/lawful/": f"{state}/", "/etc/lawful/policy": SHOP}
    with start(argv, paths) as running:
        check_guarded(running)
    logs = sorted(state.glob("decisions.w*.db"))
    assert logs, list(state.iterdir())  # --workers 2: one chain per worker
    assert sum(engine.log.verify(p, key="k" * 32).records for p in logs) == 1


CONTAINER = EXAMPLES / "Containerfile"


def container_instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", CONTAINER.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_containerfile_runs_lawful_serve_as_a_user_with_real_options():
    instructions = container_instructions()
    values = {}
    for word, rest in instructions:
        values.setdefault(word, []).append(rest)
    assert values["FROM"] == ["python:3.12-slim"]
    assert any("pip install" in r and "lawful-*.whl" in r and "[serve]" in r for r in values["RUN"])
    assert values["USER"][-1] not in ("root", "0")
    assert [w for w, _ in instructions].index("USER") < [w for w, _ in instructions].index("CMD")
    argv = json.loads(values["CMD"][-1])
    check_serve_argv(argv)
    assert argv[argv.index("--host") + 1] == "0.0.0.0" and "--token-file" in argv
    port = argv[argv.index("--port") + 1]
    assert values["EXPOSE"] == [port]
    health = values["HEALTHCHECK"][-1]
    assert f"127.0.0.1:{port}/healthz" in health


def test_the_server_starts_with_the_containers_command_and_its_healthcheck_passes(tmp_path):
    values = dict(container_instructions())
    argv = json.loads(values["CMD"])
    token_file = argv[argv.index("--token-file") + 1]
    tokens = secret(tmp_path, "tokens", TOKEN)
    policy = argv[2]
    with start(argv, {token_file: str(tokens), policy: SHOP}) as running:
        check_guarded(running)
        port = argv[argv.index("--port") + 1]
        check = json.loads(values["HEALTHCHECK"].split("CMD", 1)[1])
        assert check[0] == "python3"
        result = run([sys.executable, *(a.replace(f"127.0.0.1:{port}", f"127.0.0.1:{running.port}")
                                        for a in check[1:])])
        assert result.returncode == 0, result.stderr


# ---- the Python and JavaScript blocks of the Clients section --------------------------------------------


def code_block(language: str) -> str:
    blocks = [text for lang, text, _, _ in doc_blocks() if lang == language]
    assert len(blocks) == 1, language
    return blocks[0]


def test_the_docs_python_block_runs_against_the_server(server, shop):
    code = code_block("python").replace(DOC_URL, server.url)
    result = run([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    # one effect per line of events.jsonl that is not blank
    assert result.stdout.split() == [d["effect"] for _, d in expected_lines(shop, EXAMPLES / "events.jsonl")]


def test_the_docs_javascript_block_runs_against_the_server(server, shop):
    result = run([node(), "--input-type=module", "-e", code_block("js")], env={"LAWFUL_URL": server.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["allow", shop.digest]
