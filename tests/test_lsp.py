"""`lawful lsp` through a real LSP client (pytest-lsp) over stdio: the server is
the installed command, started as an editor starts it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

POLICY = '''policy "lsp-demo"

use gdpr

## E-mail addresses of customers.
category contact.email
category contact.postal

## Invoices.
purpose billing basis contract
purpose newsletter basis consent

obligation tokenize "Send tokens, never numbers"

region home = {DE, FR}

table ages default 16 {DE: 16, FR: 15}

## Invoices go to the billing provider.
rule billing_data:
permit billing on contact to home
  with tokenize
  because "Needed to bill the customer"
  cite "Art. 6(1)(b) GDPR"

permit newsletter on contact.email to eea when subject.age >= ages[subject.country]
'''

SECOND = '''test "billing is allowed" {
  event {"purpose": "billing", "categories": ["contact.email"], "destination": "DE"}
  expect allow with tokenize
}
'''


def position(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> t.Position:
    """The position of the `occurrence`-th `needle` in `text` (plus `offset` characters)."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return t.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "policy.law").write_text(POLICY)
    (folder / "tests.law").write_text(SECOND)
    return folder


SERVER = [sys.executable, "-m", "engine", "lsp"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


async def open_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="lawful", version=1, text=path.read_text() if text is None else text)))
    await published(client, uri, 1)
    return uri


async def published(client: LanguageClient, uri: str, version: int, exact: bool = False) -> list:
    """Wait for the diagnostics of `uri` at `version` (a policy's other files get theirs
    too): the first publication, or with `exact` the second (the exact analysis added)."""
    seen = 0
    while True:
        params = await asyncio.wait_for(client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 60)
        if params.uri == uri and params.version == version:
            seen += 1
            if seen == (2 if exact else 1):
                return list(params.diagnostics)


async def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
    await published(client, uri, version)


@pytest.mark.asyncio
async def test_a_clean_policy_has_no_diagnostics_and_an_error_appears_as_you_type(client, policy_dir):
    uri = await open_file(client, policy_dir / "policy.law")
    assert list(client.diagnostics[uri]) == []
    broken = POLICY.replace("permit billing on contact to home", "permit biling on contact to home")
    await change(client, uri, broken, 2)
    [found] = client.diagnostics[uri]
    assert found.code == "E0201" and found.severity == t.DiagnosticSeverity.Error and found.source == "lawful"
    assert "`biling`" in found.message and "did you mean `billing`?" in found.message
    assert found.range.start == position(broken, "biling") and found.range.end == position(broken, "biling", 6)
    await change(client, uri, POLICY, 3)  # fixed again: the diagnostic goes
    assert list(client.diagnostics[uri]) == []


@pytest.mark.asyncio
async def test_warnings_carry_their_codes_and_related_locations(client, policy_dir):
    text = POLICY + "\ncategory contact.phone\npurpose billing basis contract\n"
    uri = await open_file(client, policy_dir / "policy.law", text)
    found = {d.code: d for d in client.diagnostics[uri]}
    assert "E0202" in found  # billing declared twice
    twice = found["E0202"]
    assert twice.related_information, "the first declaration is a related location"
    assert twice.related_information[0].location.uri == uri
    assert twice.related_information[0].location.range.start == position(text, "purpose billing", 8)


@pytest.mark.asyncio
async def test_a_lint_warning_gets_a_quick_fix_that_ignores_it(client, policy_dir):
    text = POLICY + "\nregion spare = {IT}\n"
    uri = await open_file(client, policy_dir / "policy.law", text)
    [unused] = [d for d in client.diagnostics[uri] if d.code == "W0803"]
    assert unused.severity == t.DiagnosticSeverity.Warning and "spare" in unused.message
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=unused.range,
        context=t.CodeActionContext(diagnostics=[unused])))
    [ignore] = [a for a in actions if "Ignore W0803" in a.title]
    [edit] = ignore.edit.changes[uri]
    assert edit.new_text == "# lawful: ignore[W0803]\n" and edit.range.start.line == unused.range.start.line
    lines = text.split("\n")
    lines.insert(unused.range.start.line, edit.new_text.rstrip("\n"))
    await change(client, uri, "\n".join(lines), 2)
    assert not [d for d in client.diagnostics[uri] if d.code == "W0803"]


@pytest.mark.asyncio
async def test_did_you_mean_is_a_quick_fix(client, policy_dir):
    broken = POLICY.replace("with tokenize\n", "with tokenise\n")
    uri = await open_file(client, policy_dir / "policy.law", broken)
    [found] = client.diagnostics[uri]
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=found.range,
        context=t.CodeActionContext(diagnostics=[found])))
    [replace] = [a for a in actions if a.title.startswith("Replace")]
    assert replace.is_preferred and replace.edit.changes[uri][0].new_text == "tokenize"
    assert replace.edit.changes[uri][0].range == found.range


@pytest.mark.asyncio
async def test_hover_shows_doc_comments_because_cite_regions_and_tables(client, policy_dir):
    uri = await open_file(client, policy_dir / "policy.law")

    async def hover(needle: str, offset: int = 1, occurrence: int = 0) -> str:
        answer = await client.text_document_hover_async(t.HoverParams(
            text_document=t.TextDocumentIdentifier(uri=uri), position=position(POLICY, needle, offset, occurrence)))
        assert answer is not None, needle
        return answer.contents.value

    category = await hover("contact.email", occurrence=1)  # the rule's use of it
    assert "E-mail addresses of customers." in category and "category contact.email" in category
    rule = await hover("billing_data")
    assert "Needed to bill the customer" in rule and "Art. 6 GDPR: Lawfulness of processing" in rule
    region = await hover("home", occurrence=1)
    assert "2 countries: DE, FR" in region
    table = await hover("ages[", 1)
    assert "DE: 16, FR: 15" in table and "default 16" in table
    purpose = await hover("billing on")
    assert "basis `contract`" in purpose and "Art. 6(1)(b)" in purpose
    library = await hover("eea")
    assert "library `gdpr`" in library and "countries" in library
    assert "Germany" in await hover("DE,", 0)
    assert "event field" in await hover("subject.age")
    assert "Lawfulness of processing" in await hover('"Art. 6(1)(b)', 2)


@pytest.mark.asyncio
async def test_definition_and_references_across_files_and_into_the_library(client, policy_dir):
    uri = await open_file(client, policy_dir / "tests.law")
    policy_uri = (policy_dir / "policy.law").as_uri()
    [target] = await client.text_document_definition_async(t.DefinitionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(SECOND, "with tokenize", 6)))
    assert target.uri == policy_uri and target.range.start == position(POLICY, "obligation tokenize", 11)
    found = await client.text_document_references_async(t.ReferenceParams(
        text_document=t.TextDocumentIdentifier(uri=policy_uri), position=position(POLICY, "tokenize", 1),
        context=t.ReferenceContext(include_declaration=True)))
    assert sorted((r.uri, r.range.start.line) for r in found) == sorted([
        (policy_uri, position(POLICY, "obligation tokenize").line),
        (policy_uri, position(POLICY, "with tokenize").line), (uri, position(SECOND, "with tokenize").line)])
    await open_file(client, policy_dir / "policy.law")
    [library] = await client.text_document_definition_async(t.DefinitionParams(
        text_document=t.TextDocumentIdentifier(uri=policy_uri), position=position(POLICY, "eea", 1)))
    assert library.uri.endswith("/rules/gdpr/regions.law") or "/gdpr/" in library.uri
    declared = Path(library.uri.removeprefix("file://")).read_text().split("\n")[library.range.start.line]
    assert "eea" in declared


@pytest.mark.asyncio
async def test_rename_changes_every_file_and_refuses_what_it_cannot(client, policy_dir):
    uri = await open_file(client, policy_dir / "policy.law")
    tests_uri = (policy_dir / "tests.law").as_uri()
    prepared = await client.text_document_prepare_rename_async(t.PrepareRenameParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(POLICY, "tokenize", 1)))
    assert prepared.placeholder == "tokenize"
    edit = await client.text_document_rename_async(t.RenameParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(POLICY, "tokenize", 1),
        new_name="tokenise_card"))
    assert len(edit.changes[uri]) == 2 and len(edit.changes[tests_uri]) == 1
    assert all(e.new_text == "tokenise_card" for edits in edit.changes.values() for e in edits)
    assert await client.text_document_prepare_rename_async(t.PrepareRenameParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(POLICY, "eea", 1))) is None
    with pytest.raises(Exception, match="not a name"):
        await client.text_document_rename_async(t.RenameParams(
            text_document=t.TextDocumentIdentifier(uri=uri), position=position(POLICY, "tokenize", 1),
            new_name="Not A Name"))


@pytest.mark.asyncio
async def test_completion_offers_keywords_names_fields_library_names_and_countries(client, policy_dir):
    text = POLICY + "\npermit newsletter on con"
    uri = await open_file(client, policy_dir / "policy.law", text)
    end = position(text, "on con", 6)

    async def labels(at: t.Position) -> set[str]:
        answer = await client.text_document_completion_async(t.CompletionParams(
            text_document=t.TextDocumentIdentifier(uri=uri), position=at))
        return {item.label for item in answer.items}

    offered = await labels(end)
    assert {"contact.email", "contact.postal"} <= offered  # categories, after `on`
    assert not {"billing", "consent", "contract"} & offered  # only categories, and what continues the word
    text2 = POLICY + "\npermit newsletter on contact to "
    await change(client, uri, text2 + "D", 2)
    assert {"DE", "DK"} <= await labels(position(text2 + "D", "to D", 4))
    text3 = POLICY + "\npermit newsletter on contact to e"
    await change(client, uri, text3, 3)
    assert {"eea", "eu"} <= await labels(position(text3, "to e", 4))  # from `use gdpr`
    text4 = POLICY + "\npermit newsletter on contact to eu when subject."
    await change(client, uri, text4, 4)
    assert {"subject.age", "subject.country"} <= await labels(position(text4, "when subject.", 13))
    # what the grammar expects there: categories after `on`, obligations after `with`,
    # purposes after `permit`, bases after `basis`, libraries after `use`
    for tail, expected, unexpected in (
            ("\npermit newsletter on ", {"contact.email", "contact"}, {"billing", "tokenize", "permit"}),
            ("\npermit billing on contact with ", {"tokenize"}, {"contact.email", "billing"}),
            ("\npermit ", {"billing", "newsletter"}, {"contact.email", "tokenize"}),
            ("\npurpose support basis ", {"contract", "legitimate_interest"}, {"billing"}),
            ("\nuse ", {"gdpr"}, {"billing", "contact"})):
        text5 = POLICY + tail
        version = 5 + len(tail)
        await change(client, uri, text5, version)
        offered = await labels(position(text5, tail, len(tail)))
        assert expected <= offered and not unexpected & offered, (tail, offered)


@pytest.mark.asyncio
async def test_document_symbols_formatting_and_semantic_tokens(client, policy_dir):
    messy = POLICY.replace("purpose billing basis contract", "purpose   billing   basis contract")
    uri = await open_file(client, policy_dir / "policy.law", messy)
    symbols = await client.text_document_document_symbol_async(t.DocumentSymbolParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    names = {(s.name, s.kind) for s in symbols}
    assert {("contact.email", t.SymbolKind.Class), ("billing", t.SymbolKind.Interface),
            ("home", t.SymbolKind.Namespace), ("ages", t.SymbolKind.Struct),
            ("billing_data", t.SymbolKind.Function), ("lsp-demo", t.SymbolKind.Package)} <= names
    [edit] = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    from engine.tools.fmt import format_text
    assert edit.new_text == format_text(messy) and "purpose billing basis contract" in edit.new_text
    assert edit.range.start == t.Position(line=0, character=0)
    tokens = await client.text_document_semantic_tokens_full_async(t.SemanticTokensParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    from engine.lsp.server import TOKEN_MODIFIERS, TOKEN_TYPES
    decoded, line, start = [], 0, 0
    for i in range(0, len(tokens.data), 5):
        delta_line, delta_start, length, kind, modifiers = tokens.data[i:i + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        text_line = messy.split("\n")[line]
        decoded.append((text_line[start:start + length], TOKEN_TYPES[kind],
                        {m for j, m in enumerate(TOKEN_MODIFIERS) if modifiers & (1 << j)}))
    assert ("policy", "keyword", set()) in decoded and ('"lsp-demo"', "string", set()) in decoded
    assert ("billing_data", "function", {"declaration"}) in decoded
    assert ("home", "namespace", set()) in decoded and ("eea", "namespace", {"defaultLibrary"}) in decoded
    assert ("## E-mail addresses of customers.", "comment", {"documentation"}) in decoded


@pytest.mark.asyncio
async def test_a_file_that_does_not_parse_still_answers(client, policy_dir):
    broken = POLICY + "\npermit on on on {\n"
    uri = await open_file(client, policy_dir / "policy.law", broken)
    assert any(d.code.startswith("E01") for d in client.diagnostics[uri])
    answer = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(broken, "permit on", 1)))
    assert answer is None or answer.contents.value  # no crash: an answer or none
    symbols = await client.text_document_document_symbol_async(t.DocumentSymbolParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    assert isinstance(symbols, list)
    formatted = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not formatted  # it does not parse: nothing to format, and the diagnostics say why
    assert not [m for m in client.log_messages if "failed" in m.message]  # no handler failed on the way


@pytest.mark.asyncio
async def test_the_repository_configuration_applies(client, tmp_path):
    folder = tmp_path / "repo"
    (folder / "policies").mkdir(parents=True)
    (folder / "lawful.toml").write_text('[lint]\nignore = ["W0803"]\n')
    text = POLICY + "\nregion spare = {IT}\n"
    (folder / "policies" / "policy.law").write_text(text)
    uri = await open_file(client, folder / "policies" / "policy.law")
    assert not [d for d in client.diagnostics[uri] if d.code == "W0803"]
    (folder / "lawful.toml").write_text("[lint]\n")
    await change(client, uri, text, 2)
    assert [d for d in client.diagnostics[uri] if d.code == "W0803"]


@pytest.mark.asyncio
async def test_the_exact_analysis_follows_the_first_diagnostics(client, policy_dir):
    """A permit no decision needs (W0812) is found by the exact analysis, which the
    server runs after publishing the rest: the second publication has it, as lint does."""
    from engine.tools.lint import lint_text

    text = POLICY + ("\npermit newsletter on contact.email to home"
                     " when subject.age >= 18 and subject.age >= ages[subject.country]\n")
    uri = (policy_dir / "policy.law").as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
        uri=uri, language_id="lawful", version=1, text=text)))
    exact = await published(client, uri, 1, exact=True)
    [found] = [d for d in exact if d.code == "W0812"]
    assert found.range.start == position(text, "permit newsletter on contact.email to home")
    expected = {d.code for d in lint_text(text, str(policy_dir / "policy.law")).diagnostics}
    assert {d.code for d in exact} == expected
    from engine.lsp.analysis import analyse
    path = str(policy_dir / "policy.law")
    fast = analyse(path, {path: text})  # what the first publication holds
    assert "W0812" not in {d.code for d in fast.diagnostics[path]} and not fast.exact
    fast.complete()
    assert {d.code for d in fast.diagnostics[path]} == expected


PIECES = ["permit", "forbid", "billing", "contact", ".", "{", "}", "DE", '"', "\n", " ", "when", "subject.age",
          ">=", "ages[", "]", "rule", ":", "## doc", "# c", "use gdpr", "region", "=", "test", "event", "😀", "\r\n",
          "purpose", "basis", "consent", "cite", '"Art. 9"', "table", "16", "has", "not", "with"]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.integers(0, len(POLICY)), st.data())
def test_any_text_is_analysed_and_answered_without_an_exception(tmp_path, pieces, cut, data):
    """Edits that break the policy anywhere: the analysis, the index, a hover at any
    offset and the semantic tokens all answer (they run in the server's handlers)."""
    from engine.lsp import hover
    from engine.lsp.analysis import analyse
    from engine.lsp.tokens import tokens

    text = POLICY[:cut] + "".join(pieces) + POLICY[cut:]
    path = str(tmp_path / "fuzz.law")
    analysis = analyse(path, {path: text})
    analysis.complete()
    source = analysis.source(path)
    assert source is not None and all(d.span is None or d.span.end <= len(d.span.source.text)
                                      for d in analysis.diagnostics[path])
    for offset in data.draw(st.lists(st.integers(0, len(source.text)), max_size=8)):
        found = hover.at(analysis, source, offset)
        assert found is None or (isinstance(found[0], str) and found[1].start <= found[1].end)
    spans = list(tokens(text, analysis, path, len))
    assert all(length >= 0 and start >= 0 for _, start, length, _, _ in spans)


def test_a_newer_exact_job_ends_the_one_running(tmp_path):
    """The worker process: a job for a policy edited since is ended, not waited for;
    only the latest job's findings come back, and they are lint's."""
    import threading
    import time as clock

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from text import rules_policy

    from engine.lsp.worker import ExactWorker
    from engine.tools.lint import lint_text

    slow, quick = tmp_path / "slow.law", tmp_path / "quick.law"
    slow_text = "use gdpr\n" + rules_policy(300).replace("region eu =", "region home =").replace(" to eu ", " to home ")
    quick_text = POLICY + "\nregion spare = {IT}\n"
    results: list = []
    arrived = threading.Event()

    def done(label):
        def record(status, result):
            results.append((label, status, result))
            arrived.set()
        return record

    worker = ExactWorker()
    try:
        worker.submit(str(slow), {str(slow): slow_text}, done("slow"))
        clock.sleep(0.5)  # the worker is busy with the slow policy
        first = worker._process
        worker.submit(str(quick), {str(quick): quick_text}, done("quick"))
        assert not first.is_alive() and worker._process is not first  # ended, not waited for
        assert arrived.wait(120)
        clock.sleep(0.5)
    finally:
        worker.stop()
    [(label, status, found)] = results
    assert (label, status) == ("quick", "ok")
    assert sorted(d["code"] for d in found) == sorted(d.code for d in lint_text(quick_text, str(quick)).diagnostics)


@pytest.mark.parametrize("before, kinds", [
    ("permit ", {"purpose"}), ("permit billing on ", {"category"}), ("permit billing on contact, ", {"category"}),
    ("permit billing on contact to ", {"region", "country"}), ("  with ", {"obligation"}),
    ("region x = {DE, ", {"region", "country"}), ("forbid * when purpose in ", {"purpose"}),
    ("when subject.country in ", {"region", "country"}), ("purpose x basis ", {"basis"}), ("use ", {"library"}),
    ("category a is ", {"category"}), ("purpose n is ", {"purpose"}), ("expect deny by ", {"rule"}),
    ("retain c for ", set()), ("require consent for ", {"purpose"}), ("rule x:\npermit ", {"purpose"}),
    ("when subject.age >= ", None), ("table t default 16 {", None), ('test "x" {\n event {"a": ', None),
    ("", None), ("permit billing ", None)])
def test_the_completion_context_is_what_the_grammar_expects_there(before, kinds):
    from engine.lsp.complete import context
    assert context(before) == (None if kinds is None else frozenset(kinds))


@pytest.mark.asyncio
async def test_positions_are_the_clients_after_an_emoji_and_with_cr_line_breaks(client, policy_dir):
    """UTF-16 columns (an emoji is two units) and every LSP line break (`\r\n`, `\r`, `\n`)."""
    line = 'permit newsletter on contact.email to {DE} when context.x == "😀" and subject.agee > 3'
    text = POLICY.replace("\n", "\r\n", 3) + "# a comment\r" + line + "\r# end\n"
    uri = await open_file(client, policy_dir / "policy.law", text)
    [found] = [d for d in client.diagnostics[uri] if d.code == "E0404"]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    row = lines.index(line)
    column = len(line[:line.index("subject.agee")].encode("utf-16-le")) // 2
    assert (found.range.start.line, found.range.start.character) == (row, column)
    assert found.range.end.character - found.range.start.character == len("subject.agee")
    answer = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=row, character=column + 2)))
    assert answer is not None and "subject.agee" not in answer.contents.value or answer is None
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=t.TextDocumentIdentifier(uri=uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True)))
    [edit] = edits
    assert edit.range.end.line == len(lines) - 1  # the whole document, by the client's lines


@pytest.mark.asyncio
async def test_rename_refuses_what_would_change_the_policy_silently(client, policy_dir):
    text = POLICY + "\ncategory contact.postal.home\ncategory contact.phone\n"
    uri = await open_file(client, policy_dir / "policy.law", text)

    async def refused(needle: str, new: str, why: str, offset: int = 1) -> None:
        with pytest.raises(Exception, match=why):
            await client.text_document_rename_async(t.RenameParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=position(text, needle, offset),
                new_name=new))

    await refused("purpose billing", "invoicing", "test's event names `billing`", 9)  # tests.law's event
    await refused("category contact.postal\n", "contact.post", "below it", 10)  # has contact.postal.home
    await refused("category contact.phone", "phone", "another parent", 10)
    edit = await client.text_document_rename_async(t.RenameParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=position(text, "category contact.phone", 10),
        new_name="contact.mobile"))
    assert [e.new_text for e in edit.changes[uri]] == ["contact.mobile"]


def test_a_purpose_in_a_condition_is_the_purpose_even_when_a_region_shares_its_name(tmp_path):
    from engine.lsp.analysis import analyse

    text = ('policy "p"\ncategory c\npurpose marketing basis consent\nregion marketing = {DE}\n'
            "permit marketing on c to marketing\nforbid * on c when purpose in marketing\n")
    path = str(tmp_path / "p.law")
    analysis = analyse(path, {path: text})
    at = text.index("purpose in marketing") + len("purpose in ")
    occurrence = analysis.index.at(path, at + 1)
    assert occurrence is not None and occurrence.key == ("purpose", "marketing")
    to = analysis.index.at(path, text.index("to marketing") + 4)
    assert to is not None and to.key == ("region", "marketing")
