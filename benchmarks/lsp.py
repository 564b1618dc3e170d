"""`lawful lsp` as you type: the time from an edit to its diagnostics, through a
real LSP client over stdio (pytest-lsp's), on a policy of 1,000 rules (target,
issue 19: 200 ms) — all in one file, and spread over ten files with the edit in
one of them — with `use gdpr`. Beside it, in the same run: parsing the edited
file alone (the part an edit cannot skip), and `lawful lint`'s own run on the
same policy, in process, without and with the exact analysis (W0812), whose
diagnostics the server publishes second (from a worker process of its own, so
the next edit's diagnostics do not wait for it).

    python benchmarks/lsp.py > benchmarks/lsp-results.md
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import client_capabilities, make_test_lsp_client

sys.path.insert(0, str(Path(__file__).parent))
from text import rules_policy  # noqa: E402  (the generated policy of benchmarks/text.py)

EDITS = 15
EXACT_WAIT = 600  # seconds the exact analysis is waited for


def policy_text(rules: int) -> str:
    text = "use gdpr\n" + rules_policy(rules)
    return text.replace("region eu =", "region home =").replace(" to eu ", " to home ")


def split(text: str, parts: int) -> list[str]:
    """The policy's statements dealt into `parts` files, the first keeping the header."""
    lines = text.split("\n")
    head, body = lines[:5], [line for line in lines[5:] if line]
    size = -(-len(body) // parts)
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    return ["\n".join(head + chunks[0]) + "\n"] + ["\n".join(chunk) + "\n" for chunk in chunks[1:]]


async def edits(folder: Path, files: list[str]) -> dict:
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "engine", "lsp")
    await client.initialize_session(t.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    seen: dict[tuple[str, int], list[float]] = {}
    client.protocol._lawful_seen = seen

    original = client.protocol._handle_notification

    def record(method, params):
        if method == t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and params.version is not None:
            seen.setdefault((params.uri, params.version), []).append(time.perf_counter())
        return original(method, params)

    client.protocol._handle_notification = record
    for number, text in enumerate(files):
        (folder / f"part{number}.law").write_text(text)
    path = folder / "part0.law"
    uri = path.as_uri()
    text = files[0]

    async def arrival(version: int, count: int, limit: float) -> float | None:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            if len(seen.get((uri, version), [])) >= count:
                return seen[(uri, version)][count - 1]
            await asyncio.sleep(0.001)
        return None

    began = time.perf_counter()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="lawful", version=1, text=text)))
    opened = await arrival(1, 1, 300)
    assert opened is not None, "no diagnostics after opening"
    exact = await arrival(1, 2, EXACT_WAIT)
    first_open, exact_open = opened - began, (exact - began if exact else None)
    times = []
    for edit in range(2, EDITS + 2):
        text = text + f"# edit {edit}\n"
        sent = time.perf_counter()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=edit),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
        arrived = await arrival(edit, 1, 300)
        assert arrived is not None, f"no diagnostics after edit {edit}"
        times.append(arrived - sent)
        await asyncio.sleep(0.05)  # a pause between keystrokes
    await client.shutdown_session()
    await client.stop()
    return {"open": first_open, "open_exact": exact_open, "p50": statistics.median(times),
            "max": max(times), "edits": len(times)}


def in_process(files: list[str], folder: Path, whole: bool) -> dict:
    from engine.core.source import Source
    from engine.lsp.analysis import analyse
    from engine.syntax.lower import parse_module
    from engine.tools.lint import lint_path

    path = str(folder / "part0.law")
    began = time.perf_counter()
    for _ in range(3):
        parse_module(Source(path, files[0] + "# x\n"))
    parse = (time.perf_counter() - began) / 3
    analyse(path, {path: files[0]})  # the library parsed once, as in the server
    began = time.perf_counter()
    analysis = analyse(path, {path: files[0] + "# y\n"})
    fast = time.perf_counter() - began
    if not whole:  # the same policy as the row above: its whole lint is the same
        return {"parse": parse, "fast": fast, "exact": None, "lint": None}
    began = time.perf_counter()
    analysis.complete()
    exact = time.perf_counter() - began
    began = time.perf_counter()
    lint_path([str(folder / f"part{n}.law") for n in range(len(files))])
    cli = time.perf_counter() - began
    return {"parse": parse, "fast": fast, "exact": exact, "lint": cli}


def main() -> int:
    rules = 1000
    text = policy_text(rules)
    rows = []
    for label, files in ((f"{rules} rules in one file", [text]), (f"{rules} rules in ten files", split(text, 10))):
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            measured = asyncio.run(edits(folder, files))
            local = in_process(files, folder, whole=not rows)
        rows.append((label, measured, local))
    ms = lambda s: "—" if s is None else f"{s * 1000:,.0f} ms"  # noqa: E731
    print("# `lawful lsp`: from an edit to its diagnostics\n")
    print(f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.system()}. Policy: benchmarks/text.py's generated rules with `use gdpr`. "
          f"{EDITS} edits, each a line added to the file open in the editor, 50 ms apart.\n")
    print("| policy | edit → diagnostics, p50 | max | vs 200 ms target | open → first diagnostics | "
          "open → exact analysis (W0812) | the edited file's parse | analysis without / with the exact part "
          "(in process) | `lawful lint` of the policy (in process) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, m, local in rows:
        print(f"| {label} | {ms(m['p50'])} | {ms(m['max'])} | {m['p50'] / 0.2:.2f}× | {ms(m['open'])} | "
              f"{ms(m['open_exact'])} | {ms(local['parse'])} | {ms(local['fast'])} / "
              f"{ms(None if local['exact'] is None else local['fast'] + local['exact'])} | {ms(local['lint'])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
