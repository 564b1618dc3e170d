"""`lawful lsp`: the language server (pygls, over stdio).

Each open `.law` file belongs to a policy (`analysis.policy_files`); every edit
re-reads that policy, with the open buffers in place of the files on disk, and
publishes the diagnostics of each of its files. The other requests answer from
the last analysis of the file's policy, made again first if a buffer changed
since. A request that fails answers nothing (and logs why); it never stops the
server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any, Callable

from lsprotocol import types as t
from pygls import uris
from pygls.lsp.server import LanguageServer

from ..core.diagnostics import CODES, Diagnostic, Severity
from ..core.source import Source, Span
from ..syntax.parser import KEYWORDS, SOFT_KEYWORDS
from . import hover as describe
from .analysis import Analysis, analyse, library_path
from .index import FIELD_NAMES, Occurrence
from .worker import ExactWorker

logger = logging.getLogger("lawful.lsp")

#: semantic token types, in the legend's order
TOKEN_TYPES = ["keyword", "string", "number", "comment", "variable", "type", "function", "operator",
               "namespace", "enumMember", "property", "event"]
#: worker processes kept for the exact analysis, one per policy recently edited
MAX_WORKERS = 3
TOKEN_MODIFIERS = ["declaration", "documentation", "defaultLibrary"]
_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_.]*$")
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_KINDS = {"category": t.SymbolKind.Class, "purpose": t.SymbolKind.Interface, "region": t.SymbolKind.Namespace,
          "table": t.SymbolKind.Struct, "obligation": t.SymbolKind.Event, "recipient": t.SymbolKind.Object,
          "controller": t.SymbolKind.Constructor, "client": t.SymbolKind.Object, "fact": t.SymbolKind.Field,
          "rule": t.SymbolKind.Function}
_COMPLETION_KINDS = {"category": t.CompletionItemKind.Class, "purpose": t.CompletionItemKind.Interface,
                     "region": t.CompletionItemKind.Module, "table": t.CompletionItemKind.Struct,
                     "obligation": t.CompletionItemKind.Event, "recipient": t.CompletionItemKind.Value,
                     "controller": t.CompletionItemKind.Value, "client": t.CompletionItemKind.Value,
                     "fact": t.CompletionItemKind.Field, "rule": t.CompletionItemKind.Function}


class LawfulServer(LanguageServer):
    def __init__(self) -> None:
        from ..core import __version__

        # whole texts on each change: pygls splits lines with `str.splitlines`, which breaks
        # at characters (U+2028, form feed…) that LSP clients do not break at
        super().__init__("lawful", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Full)
        #: the last analysis by file (every file of a policy shares its analysis)
        self.analyses: dict[str, Analysis] = {}
        #: the URIs diagnostics were published for, by the file whose policy they came from
        self.published: dict[str, set[str]] = {}
        #: the exact analyses, in a process per policy (the latest few policies edited)
        self.workers: dict[tuple[str, ...], ExactWorker] = {}

    # ---- files and positions ---------------------------------------------------------------

    def buffers(self) -> dict[str, str]:
        return {path_of(uri): lsp_text(document.source) for uri, document in self.workspace.text_documents.items()}

    def versions(self) -> dict[str, int | None]:
        return {path_of(uri): document.version for uri, document in self.workspace.text_documents.items()}

    def analysis(self, uri: str, fresh: bool = False) -> Analysis:
        """The analysis of the policy of `uri`, made again when a buffer of it changed."""
        path = path_of(uri)
        known = self.analyses.get(path)
        versions = self.versions()
        if (not fresh and known is not None
                and all(known.versions.get(p) == versions.get(p) for p in known.files)):
            return known
        made = analyse(path, self.buffers())
        made.versions = {p: versions.get(p) for p in made.files}
        for file in made.files:
            self.analyses[file] = made
        return made

    def units(self, text: str) -> int:
        encoding = self.workspace.position_encoding
        if encoding == t.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", "surrogatepass"))
        if encoding == t.PositionEncodingKind.Utf32:
            return len(text)
        return sum(2 if ord(char) > 0xFFFF else 1 for char in text)

    def position(self, source: Source, offset: int) -> t.Position:
        line, column = source.position(offset)
        return t.Position(line=line - 1, character=self.units(source.line_text(line)[:column - 1]))

    def range(self, span: Span) -> t.Range:
        return t.Range(start=self.position(span.source, span.start), end=self.position(span.source, span.end))

    def offset(self, source: Source, position: t.Position) -> int:
        text = source.line_text(position.line + 1)
        column, units = 0, 0
        while column < len(text) and units < position.character:
            units += self.units(text[column])
            column += 1
        return source.offset(position.line + 1, column + 1)

    def location(self, span: Span) -> t.Location:
        return t.Location(uri=uri_of(span.file), range=self.range(span))

    def at(self, uri: str, position: t.Position) -> tuple[Analysis, Source | None, int]:
        analysis = self.analysis(uri)
        source = analysis.source(path_of(uri))
        return analysis, source, (self.offset(source, position) if source is not None else 0)

    def occurrence(self, uri: str, position: t.Position) -> tuple[Analysis, Occurrence | None]:
        """The analysis of `uri`'s policy and the name at `position` (None: no name there)."""
        analysis, source, offset = self.at(uri, position)
        return analysis, analysis.index.at(source.name, offset) if source else None

    # ---- diagnostics -----------------------------------------------------------------------

    def publish(self, uri: str) -> None:
        """Diagnostics at once, less the exact analysis, which a worker thread adds
        after (published if no edit came since)."""
        analysis = self.analysis(uri, fresh=True)
        self.send(analysis, path_of(uri))
        if not analysis.exact:
            self.complete_later(analysis, path_of(uri))

    def complete_later(self, analysis: Analysis, path: str) -> None:
        """The exact analysis in the worker process; its diagnostics published if this
        is still the policy's latest analysis when they come."""
        loop = asyncio.get_running_loop()

        def done(status: str, result: Any) -> None:  # in the worker's thread
            try:
                loop.call_soon_threadsafe(arrived, status, result)
            except RuntimeError:  # the server is shutting down: its loop is closed
                pass

        def arrived(status: str, result: Any) -> None:
            try:
                if status == "ok":
                    if self.analyses.get(path) is analysis:
                        analysis.apply(result)
                        self.send(analysis, path)
                    return
                message = (f"lawful: the exact analysis (W0812) failed: {result}" if status == "error" else
                           "lawful: the exact analysis (W0812) stopped before it finished")
                logger.error("%s", message)
                self.window_log_message(t.LogMessageParams(type=t.MessageType.Warning, message=message))
            except Exception:  # never out of the event loop's callback
                logger.exception("publishing the exact analysis failed")

        key = tuple(analysis.files)
        worker = self.workers.pop(key, None) or ExactWorker()
        self.workers[key] = worker  # the most recent last
        while len(self.workers) > MAX_WORKERS:
            self.workers.pop(next(iter(self.workers))).stop()
        worker.submit(path, analysis.texts(), done)

    def send(self, analysis: Analysis, path: str) -> None:
        sent = set()
        # the file edited first: the others of its policy follow
        for file, found in sorted(analysis.diagnostics.items(), key=lambda item: item[0] != path):
            target = uri_of(file)
            sent.add(target)
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(
                uri=target, diagnostics=[self.diagnostic(d) for d in found],
                version=analysis.versions.get(file)))
        for stale in self.published.get(path, set()) - sent:  # files no longer of this policy
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        self.published[path] = sent
        if analysis.config_problem:
            self.window_log_message(t.LogMessageParams(type=t.MessageType.Warning,
                                                       message=f"lawful: {analysis.config_problem}"))

    def diagnostic(self, diagnostic: Diagnostic) -> t.Diagnostic:
        message = diagnostic.message
        if diagnostic.help:
            message += f"\nhelp: {diagnostic.help}"
        related = []
        for note in diagnostic.notes:
            if note.span is None:
                message += f"\nnote: {note.message}"
            else:
                related.append(t.DiagnosticRelatedInformation(location=self.location(note.span),
                                                              message=note.message))
        where = self.range(diagnostic.span) if diagnostic.span else t.Range(start=t.Position(line=0, character=0),
                                                                           end=t.Position(line=0, character=0))
        return t.Diagnostic(
            range=where, message=message, code=diagnostic.code, source="lawful",
            severity=t.DiagnosticSeverity.Error if diagnostic.severity is Severity.ERROR
            else t.DiagnosticSeverity.Warning,
            related_information=related or None,
            tags=[t.DiagnosticTag.Unnecessary] if diagnostic.code in ("W0801", "W0802", "W0803", "W0804", "W0805")
            else None,
            data={"help": diagnostic.help} if diagnostic.help else None)


def lsp_text(text: str) -> str:
    """A buffer with the line breaks LSP knows (`\r\n`, `\r`, `\n`) as `\n`: lines are then
    the client's lines, and positions within them the client's positions."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def path_of(uri: str) -> str:
    path = uris.to_fs_path(uri)
    return os.path.abspath(path) if path else uri


def uri_of(file: str) -> str:
    on_disk = library_path(file) or file
    if os.path.isabs(on_disk):
        return uris.from_fs_path(on_disk) or on_disk
    return on_disk


server = LawfulServer()


def _safely(default: Any) -> Callable:
    """A handler that logs a failure and answers `default` instead of raising."""
    def wrap(handler: Callable) -> Callable:
        def safe(ls: LawfulServer, params: Any) -> Any:
            try:
                return handler(ls, params)
            except Exception:  # a bug: the editor gets no answer, the server goes on
                logger.exception("%s failed", handler.__name__)
                ls.window_log_message(t.LogMessageParams(
                    type=t.MessageType.Error, message=f"lawful: {handler.__name__} failed (see the server's log)"))
                return default
        safe.__name__ = handler.__name__
        return safe
    return wrap


def edited(ls: LawfulServer, params) -> None:
    """A file opened, changed or saved: its policy's diagnostics again."""
    ls.publish(params.text_document.uri)


for _method in (t.TEXT_DOCUMENT_DID_OPEN, t.TEXT_DOCUMENT_DID_CHANGE, t.TEXT_DOCUMENT_DID_SAVE):
    server.feature(_method)(_safely(None)(edited))


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
@_safely(None)
def did_close(ls: LawfulServer, params: t.DidCloseTextDocumentParams) -> None:
    path = path_of(params.text_document.uri)
    if os.path.exists(path):
        ls.publish(params.text_document.uri)  # the file on disk, as it is now
    else:
        for stale in ls.published.pop(path, set()):
            ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        ls.analyses.pop(path, None)


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@_safely(None)
def watched_files_changed(ls: LawfulServer, params: t.DidChangeWatchedFilesParams) -> None:
    done: set[str] = set()
    for uri in list(ls.workspace.text_documents):  # each policy once
        if path_of(uri) not in done:
            ls.publish(uri)
            done.update(ls.analyses[path_of(uri)].files if path_of(uri) in ls.analyses else [path_of(uri)])


@server.feature(t.TEXT_DOCUMENT_HOVER)
@_safely(None)
def hover(ls: LawfulServer, params: t.HoverParams) -> t.Hover | None:
    analysis, source, offset = ls.at(params.text_document.uri, params.position)
    if source is None:
        return None
    found = describe.at(analysis, source, offset)
    if found is None:
        return None
    text, span = found
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text), range=ls.range(span))


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
@_safely(None)
def definition(ls: LawfulServer, params: t.DefinitionParams) -> list[t.Location] | None:
    analysis, occurrence = ls.occurrence(params.text_document.uri, params.position)
    if occurrence is None:
        return None
    if occurrence.kind == "library":
        from ..core.resources import library_dir

        folder = library_dir(occurrence.name)
        if folder is None:
            return None
        files = sorted(folder.glob("*.law"))
        return [t.Location(uri=uris.from_fs_path(str(f)) or str(f),
                           range=t.Range(start=t.Position(line=0, character=0), end=t.Position(line=0, character=0)))
                for f in files[:1]]
    declared = analysis.index.declaration(occurrence)
    return [ls.location(declared.span)] if declared is not None else None


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
@_safely(None)
def references(ls: LawfulServer, params: t.ReferenceParams) -> list[t.Location] | None:
    analysis, occurrence = ls.occurrence(params.text_document.uri, params.position)
    if occurrence is None or occurrence.kind in ("name", "library"):
        return None
    return [ls.location(o.span) for o in analysis.index.references(occurrence.key)
            if params.context.include_declaration or not o.declaration]


def _renamable(analysis: Analysis, occurrence: Occurrence | None) -> str | None:
    """Why the name cannot be renamed here (None: it can)."""
    if occurrence is None or occurrence.kind in ("name", "field", "library"):
        return "only a declared name can be renamed"
    declared = analysis.index.declaration(occurrence)
    if declared is None:
        return f"`{occurrence.name}` is not declared in this policy"
    if declared.file not in analysis.files or in_library(declared.file):
        return f"`{occurrence.name}` is declared in a library (`use`), which cannot be changed here"
    if _in_test_events(analysis, occurrence.name):
        return (f"a test's event names `{occurrence.name}`: rename it there by hand too (rename does not "
                "change JSON)")
    if occurrence.kind in ("category", "purpose") and any(
            name.startswith(occurrence.name + ".") for kind, name in analysis.index.declarations
            if kind == occurrence.kind):
        return f"`{occurrence.name}` has {occurrence.kind}s below it (`{occurrence.name}.…`): renaming it alone would move them"
    return None


def _in_test_events(analysis: Analysis, name: str) -> bool:
    from ..syntax import ast

    for file in analysis.files:
        for statement in analysis.index.statements.get(file, []):
            if isinstance(statement, ast.TestDecl):
                stack = [statement.event]
                while stack:
                    value = stack.pop()
                    if value == name:
                        return True
                    if isinstance(value, dict):
                        stack.extend(value.values())
                    elif isinstance(value, list):
                        stack.extend(value)
    return False


def in_library(path: str) -> bool:
    """Whether a file on disk is part of an installed library (`rules/gdpr/`…)."""
    from ..core.resources import NATIONAL_DIR, data_dir

    rules = os.path.realpath(str(data_dir("rules")))
    real = os.path.realpath(path)
    return any(real.startswith(os.path.join(rules, folder) + os.sep) for folder in ("gdpr", NATIONAL_DIR))


@server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
@_safely(None)
def prepare_rename(ls: LawfulServer, params: t.PrepareRenameParams):
    analysis, occurrence = ls.occurrence(params.text_document.uri, params.position)
    if _renamable(analysis, occurrence) is not None:
        return None
    assert occurrence is not None
    return t.PrepareRenamePlaceholder(range=ls.range(occurrence.span), placeholder=occurrence.name)


@server.feature(t.TEXT_DOCUMENT_RENAME)
def rename(ls: LawfulServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

    try:
        return _rename(ls, params)
    except JsonRpcInvalidParams:
        raise  # a refusal, with its reason: the editor shows it
    except Exception:
        logger.exception("rename failed")
        raise JsonRpcInternalError("lawful: rename failed (see the server's log)") from None


def _rename(ls: LawfulServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    from pygls.exceptions import JsonRpcInvalidParams

    analysis, occurrence = ls.occurrence(params.text_document.uri, params.position)
    problem = _renamable(analysis, occurrence)
    new = params.new_name
    if problem is None and (not _NAME.fullmatch(new) or any(part in KEYWORDS for part in new.split("."))):
        problem = f"`{new}` is not a name: lower-case words joined by `.`, none of them a keyword"
    if problem is None and occurrence is not None and (occurrence.kind, new) in analysis.index.declarations:
        problem = f"a {occurrence.kind} `{new}` is already declared"
    if (problem is None and occurrence is not None and occurrence.kind in ("category", "purpose")
            and new.rpartition(".")[0] != occurrence.name.rpartition(".")[0]):
        problem = (f"`{new}` would move the {occurrence.kind} under another parent (dotted names are the "
                   "hierarchy): rename within its parent, or change the declarations by hand")
    if problem is None and occurrence is not None and occurrence.kind == "fact":
        problem = "a fact names an event field: change the field's name by hand"
    if problem is not None:
        raise JsonRpcInvalidParams(problem)
    assert occurrence is not None
    changes: dict[str, list[t.TextEdit]] = {}
    for found in analysis.index.references(occurrence.key):
        if found.file in analysis.files:
            changes.setdefault(uri_of(found.file), []).append(t.TextEdit(range=ls.range(found.span), new_text=new))
    return t.WorkspaceEdit(changes=changes)


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_safely(None)
def document_symbols(ls: LawfulServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol] | None:
    from ..syntax import ast

    analysis = ls.analysis(params.text_document.uri)
    path = path_of(params.text_document.uri)
    symbols = []
    declared = {id(o.statement): o for o in analysis.index.by_file.get(path, []) if o.declaration}
    selection: Span | None
    for statement in analysis.index.statements.get(path, []):
        if statement.span is None:
            continue
        occurrence = declared.get(id(statement))
        if occurrence is not None:
            name, kind, selection = occurrence.name, _KINDS[occurrence.kind], occurrence.span
            detail = occurrence.kind
        elif isinstance(statement, ast.TestDecl):
            name, kind, selection, detail = statement.name.value, t.SymbolKind.Method, statement.name.span, "test"
        elif isinstance(statement, ast.Rule):
            name, kind, selection = f"{statement.kind} rule", t.SymbolKind.Function, statement.span
            detail = describe.first_line(statement.span)
        elif isinstance(statement, ast.PolicyDecl):
            name, kind, selection, detail = statement.name.value, t.SymbolKind.Package, statement.name.span, "policy"
        elif isinstance(statement, ast.UseDecl):
            name, kind, selection = statement.library.value, t.SymbolKind.Module, statement.library.span
            detail = "library"
        else:
            continue
        symbols.append(t.DocumentSymbol(name=name or "?", kind=kind, range=ls.range(statement.span),
                                        selection_range=ls.range(selection or statement.span), detail=detail))
    return symbols


@server.feature(t.TEXT_DOCUMENT_FORMATTING)
@_safely(None)
def formatting(ls: LawfulServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
    from ..tools.fmt import FormatError, format_text

    document = ls.workspace.get_text_document(params.text_document.uri)
    text = lsp_text(document.source)
    try:
        formatted = format_text(text, path_of(params.text_document.uri))
    except FormatError:
        return None  # the diagnostics say why it does not parse
    if formatted == text:
        return []
    source = Source("<buffer>", text)
    end = ls.position(source, len(text))
    return [t.TextEdit(range=t.Range(start=t.Position(line=0, character=0), end=end), new_text=formatted)]


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION,
                t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
@_safely(None)
def code_actions(ls: LawfulServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    text = lsp_text(document.source)
    lines = text.split("\n")
    source = Source("<buffer>", text)
    actions = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != "lawful":
            continue
        help_text = (diagnostic.data or {}).get("help") if isinstance(diagnostic.data, dict) else None
        match = _DID_YOU_MEAN.search(help_text or diagnostic.message)
        written = source.text[ls.offset(source, diagnostic.range.start):ls.offset(source, diagnostic.range.end)]
        if match and _NAME.fullmatch(written) and _NAME.fullmatch(match.group(1)):  # a name for a name
            actions.append(t.CodeAction(
                title=f"Replace with `{match.group(1)}`", kind=t.CodeActionKind.QuickFix,
                diagnostics=[diagnostic], is_preferred=True,
                edit=t.WorkspaceEdit(changes={uri: [t.TextEdit(range=diagnostic.range, new_text=match.group(1))]})))
        code = str(diagnostic.code or "")
        if code.startswith("W") and code in CODES:
            line = diagnostic.range.start.line
            text = lines[line] if line < len(lines) else ""
            indent = text[:len(text) - len(text.lstrip())]
            actions.append(t.CodeAction(
                title=f"Ignore {code} here (`# lawful: ignore[{code}]`)", kind=t.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=t.WorkspaceEdit(changes={uri: [t.TextEdit(
                    range=t.Range(start=t.Position(line=line, character=0), end=t.Position(line=line, character=0)),
                    new_text=f"{indent}# lawful: ignore[{code}]\n")]})))
    return actions


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=["."]))
@_safely(None)
def completion(ls: LawfulServer, params: t.CompletionParams) -> t.CompletionList | None:
    from ..core.countries import iso_codes
    from ..core.resources import library_names
    from ..event import fields
    from .complete import context as expected_kinds

    analysis = ls.analysis(params.text_document.uri)
    document = ls.workspace.get_text_document(params.text_document.uri)
    buffer = Source("<buffer>", lsp_text(document.source))
    upto = buffer.text[:ls.offset(buffer, params.position)]
    before = upto[upto.rfind("\n") + 1:]
    word = _WORD_BEFORE.search(before).group()  # type: ignore[union-attr]  # matches the empty word
    items: dict[str, t.CompletionItem] = {}

    def add(label: str, kind: t.CompletionItemKind, detail: str, documentation: str | None = None) -> None:
        if label.startswith(word) and label not in items:
            items[label] = t.CompletionItem(label=label, kind=kind, detail=detail, documentation=(
                t.MarkupContent(kind=t.MarkupKind.Markdown, value=documentation) if documentation else None))

    expected = expected_kinds(upto[:len(upto) - len(word)])
    if re.search(r"\bhas\s+[a-z0-9_.]*$", before):
        for name in fields.presence_names():
            add(name, t.CompletionItemKind.Field, "event field")
        return t.CompletionList(is_incomplete=False, items=list(items.values()))
    countries = (expected is None and (word[:1].isupper() or re.search(
        r"(\bin\s*\{[^}]*|\bto\s+|\bin\s+|\{[^}]*)$", before[:len(before) - len(word)])))
    if countries or (expected is not None and "country" in expected):
        for code in sorted(iso_codes()):
            add(code, t.CompletionItemKind.Constant, "country (ISO 3166-1)", describe.country(code))
    for (kind, name), occurrence in sorted(analysis.index.declarations.items()):
        if expected is not None and kind not in expected:
            continue
        library = occurrence.file not in analysis.files
        add(name, _COMPLETION_KINDS.get(kind, t.CompletionItemKind.Text),
            kind + (" (library)" if library else ""), occurrence.statement and occurrence.statement.doc)
    for (kind, name) in sorted(analysis.index.declarations):  # `contact` of `contact.email`: declared by it
        if kind in ("category", "purpose") and (expected is None or kind in expected):
            parts = name.split(".")
            for end in range(1, len(parts)):
                add(".".join(parts[:end]), _COMPLETION_KINDS[kind], f"{kind} (the parent of `{name}`)")
    if expected is not None:
        if "basis" in expected:
            for basis, meaning in describe.BASES.items():
                add(basis, t.CompletionItemKind.EnumMember, "lawful basis", meaning)
        if "library" in expected:
            for library_name in library_names():
                add(library_name, t.CompletionItemKind.Module, "library")
    elif not word[:1].isupper():
        for name in sorted(FIELD_NAMES):
            add(name, t.CompletionItemKind.Field, "event field", describe.field(name))
        for keyword in sorted(KEYWORDS | SOFT_KEYWORDS):
            add(keyword, t.CompletionItemKind.Keyword, "keyword")
    return t.CompletionList(is_incomplete=False, items=list(items.values()))


@server.feature(t.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                t.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS))
@_safely(None)
def semantic_tokens(ls: LawfulServer, params: t.SemanticTokensParams) -> t.SemanticTokens:
    from .tokens import tokens

    document = ls.workspace.get_text_document(params.text_document.uri)
    analysis = ls.analysis(params.text_document.uri)
    data: list[int] = []
    previous_line = previous_start = 0
    for line, start, length, kind, modifiers in tokens(lsp_text(document.source), analysis, path_of(params.text_document.uri),
                                                       ls.units):
        data += [line - previous_line, start - previous_start if line == previous_line else start, length,
                 TOKEN_TYPES.index(kind), sum(1 << TOKEN_MODIFIERS.index(m) for m in modifiers)]
        previous_line, previous_start = line, start
    return t.SemanticTokens(data=data)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="lawful lsp: %(levelname)s %(message)s")
    try:
        server.start_io()
    finally:
        for worker in server.workers.values():
            worker.stop()
    return 0
