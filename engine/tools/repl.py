"""`lawful repl`: an interactive workbench for policy authors.

The REPL is a library first: a `Session` holds the policy being built and the
last event, and `Session.one_shot(text)` handles one complete input (a
statement, a JSON event or a `:command`) and returns what to show. The terminal
front end (prompt_toolkit: multi-line input, history, completion, highlighting)
and the script mode (`lawful repl POLICY < script`) are thin layers on top.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.text import Text

from ..syntax import ast
from ..core.diagnostics import Diagnostic, Severity, render_all
from ..event import fields
from ..event.values import loads as read_event
from ..decide.explain import explain, render_decision, render_explanation, render_remedies
from ..load import PolicyError, compile_sources, read_paths
from ..decide.policy import Policy
from ..core.source import Source
from ..syntax import parse_module
from ..syntax.parser import KEYWORDS, SOFT_KEYWORDS
from ..ir import ROLES

# from the event's description: the keys of events (completed quoted, in JSON) and
# the names conditions read (`context.` for `context.KEY`)
EVENT_FIELDS = list(fields.key_names())
EXPRESSION_FIELDS = [name.removesuffix("KEY") for name in fields.condition_names()]
#: what completes after `has `: the fields an event may leave out
PRESENCE_FIELDS = [name.removesuffix("KEY") for name in fields.presence_names() if name not in SOFT_KEYWORDS]
_AFTER_HAS = re.compile(r"(?:^|[^A-Za-z0-9_.])has\s+$")
_ENDS_IN_HAS = re.compile(r"(?:(?<![a-z0-9_.])(?:when|unless|and|or|not|require)|[(])\s*has$")
#: what completion shows beside a field
FIELD_DOCS = {f'"{name}"': doc for name, doc in fields.key_names().items()} | {
    name.removesuffix("KEY"): doc for name, doc in fields.condition_names().items()}


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str


COMMANDS = [
    Command(":load", ":load PATH", "load a policy (file or directory) under the session's additions"),
    Command(":reload", ":reload", "read the loaded policy files again"),
    Command(":rules", ":rules [PATTERN]", "list the rules, or those whose label or text matches"),
    Command(":vocab", ":vocab", "list purposes, categories, regions, tables, obligations, labels"),
    Command(":show", ":show NAME", "show a declaration, its doc comment and where it is used"),
    Command(":explain", ":explain", "trace the last event: every rule considered, and why"),
    Command(":why-not", ":why-not", "what would make the last event allowed: the minimal changes, or why none"),
    Command(":test", ":test", "run the policy's test blocks"),
    Command(":save", ":save FILE", "write what this session added, formatted, to FILE"),
    Command(":help", ":help", "this list"),
    Command(":quit", ":quit", "leave (also :exit, or Ctrl-D)"),
]


class Quit(Exception):
    """Raised by `:quit`."""


@dataclass
class Output:
    """What one input produced: pieces of rich Text, and whether it failed."""

    pieces: list[Text] = field(default_factory=list)
    failed: bool = False

    def add(self, text: str | Text, style: str = "") -> None:
        self.pieces.append(text if isinstance(text, Text) else Text(text, style=style))

    def plain(self) -> str:
        return "\n".join(piece.plain.rstrip("\n") for piece in self.pieces)


class Session:
    """The policy a REPL session builds, and the last event it judged."""

    def __init__(self, paths: list[str] | None = None):
        self.paths: list[str] = []
        self.base: list[Source] = []
        self.inputs: list[Source] = []  # accepted session additions, in order
        self.count = 0
        self.policy: Policy = compile_sources([])
        self.last_event = None
        self.startup = Output()
        if paths:
            self.startup = self._load(list(paths))

    # ---- the one entry point -----------------------------------------------------

    def one_shot(self, text: str) -> str:
        """Handle one complete input and return what to show, as plain text."""
        return self.handle(text).plain()

    def handle(self, text: str) -> Output:
        stripped = text.strip()
        if not stripped or stripped.startswith("#") and "\n" not in stripped:
            return Output()
        if stripped.startswith(":"):
            return self.command(stripped)
        if stripped.startswith("{"):
            return self.event(stripped)
        return self.statements(text)

    # ---- policy text ---------------------------------------------------------------

    def _compile(self, base: list[Source], inputs: list[Source]) -> Policy:
        return compile_sources(base + inputs)

    def _diagnostics(self, diagnostics: list[Diagnostic], color: bool = False) -> Output:
        output = Output(failed=any(d.severity is Severity.ERROR for d in diagnostics))
        output.add(Text.from_ansi(render_all(diagnostics, color=True)) if color
                   else render_all(diagnostics))
        return output

    def statements(self, text: str) -> Output:
        self.count += 1
        source = Source(f"<input-{self.count}>", text.strip("\n") + "\n")
        module, problems = parse_module(source)
        if problems:
            return self._diagnostics(problems)
        try:
            policy = self._compile(self.base, self.inputs + [source])
        except PolicyError as error:
            output = self._diagnostics(error.diagnostics)
            output.add("the session keeps its last good policy", style="dim")
            return output
        self.inputs.append(source)
        self.policy = policy
        output = Output()
        for statement in module.statements:
            output.add(Text("added ", style="green") + Text(_describe(statement, policy)))
        warnings = [d for d in policy.diagnostics if d.file == source.name]
        if warnings:
            output.pieces += self._diagnostics(warnings).pieces
        return output

    # ---- events ---------------------------------------------------------------------

    def event(self, text: str) -> Output:
        try:
            event = read_event(text)
        except (ValueError, RecursionError) as error:
            output = Output(failed=True)
            where = (f" at line {error.lineno}, column {error.colno}"
                     if isinstance(error, json.JSONDecodeError) else "")
            output.add(f"not a JSON event{where}: {getattr(error, 'msg', error)}", style="red")
            return output
        self.last_event = event
        output = Output()
        output.add(render_decision(self.policy.evaluate(event), event))
        return output

    # ---- commands -----------------------------------------------------------------------

    def command(self, text: str) -> Output:
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        handlers: dict[str, Callable[[str], Output]] = {
            ":load": self.cmd_load, ":reload": self.cmd_reload, ":rules": self.cmd_rules,
            ":vocab": self.cmd_vocab, ":show": self.cmd_show, ":explain": self.cmd_explain,
            ":why-not": self.cmd_why_not,
            ":test": self.cmd_test, ":save": self.cmd_save, ":help": self.cmd_help,
        }
        if name in (":quit", ":exit", ":q"):
            raise Quit()
        if name not in handlers:
            output = Output(failed=True)
            known = [c.name for c in COMMANDS]
            close = [c for c in known if c.startswith(name[:3])]
            hint = f"; did you mean `{close[0]}`?" if close else ""
            output.add(f"unknown command `{name}`{hint} (`:help` lists them)", style="red")
            return output
        return handlers[name](argument)

    def _load(self, paths: list[str]) -> Output:
        problems: list[Diagnostic] = []
        base = read_paths(paths, problems)
        if problems:
            return self._diagnostics(problems)
        try:
            policy = self._compile(base, self.inputs)
        except PolicyError as error:
            output = self._diagnostics(error.diagnostics)
            output.add("the session keeps its last good policy", style="dim")
            return output
        self.paths, self.base, self.policy = paths, base, policy
        output = Output()
        rules = len([r for r in policy.rules])
        output.add(f"loaded {', '.join(paths)}: {rules} rules, {len(policy.tests)} tests", style="green")
        return output

    def cmd_load(self, argument: str) -> Output:
        if not argument:
            return _usage(":load PATH")
        return self._load([argument])

    def cmd_reload(self, argument: str) -> Output:
        if not self.paths:
            output = Output()
            output.add("nothing loaded: use :load PATH", style="yellow")
            return output
        return self._load(self.paths)

    def cmd_rules(self, argument: str) -> Output:
        output = Output()
        pattern = argument or "*"
        if not any(ch in pattern for ch in "*?["):
            pattern = f"*{pattern}*"
        shown = [r for r in self.policy.rules
                 if fnmatch.fnmatch(r.label or "", pattern) or fnmatch.fnmatch(r.text, pattern)]
        for rule in shown:
            line = Text(f"{rule.label or '-':<32} ", style="bold")
            line.append(rule.text)
            line.append(f"  {rule.location}", style="dim")
            output.add(line)
        if not shown:
            output.add(f"no rule matches `{argument}`" if argument else "no rules yet", style="dim")
        return output

    def cmd_vocab(self, argument: str) -> Output:
        vocabulary = self.policy.vocabulary
        output = Output()
        purposes = [f"{p} ({_purpose_kind(vocabulary, p)})" if _purpose_kind(vocabulary, p) else p
                    for p in vocabulary.purposes.names()]
        sections = [
            ("purposes", purposes),
            ("categories", vocabulary.categories.names()),
            ("regions", [f"{n} ({len(c)} countries)" for n, c in sorted(vocabulary.regions.items())]),
            ("tables", sorted(vocabulary.tables)),
            ("obligations", sorted(vocabulary.obligations)),
            ("recipients", [f"{n} ({r.role} in {r.country})" for n, r in sorted(vocabulary.recipients.items())]),
            ("rule labels", sorted(r.label for r in self.policy.rules if r.label)),
        ]
        if vocabulary.controller is not None:  # shown only when declared, as facts
            sections.insert(6, ("controller", [f"{vocabulary.controller.name} (in {vocabulary.controller.country})"]))
        if vocabulary.facts:  # shown only when declared, so a policy without any reads as before
            sections.append(("facts", [f"{f.name} ({f.declared()})" for f in vocabulary.facts]))
        for title, names in sections:
            line = Text(f"{title}: ", style="bold")
            line.append(", ".join(names) if names else "none")
            output.add(line)
        return output

    def cmd_show(self, argument: str) -> Output:
        if not argument:
            return _usage(":show NAME")
        return show(self.policy, argument)

    def cmd_explain(self, argument: str) -> Output:
        output = Output()
        if self.last_event is None:
            output.add("no event yet: paste a JSON event first", style="yellow")
            return output
        output.add(render_explanation(explain(self.policy, self.last_event)))
        return output

    def cmd_why_not(self, argument: str) -> Output:
        output = Output()
        if self.last_event is None:
            output.add("no event yet: paste a JSON event first", style="yellow")
            return output
        output.add(render_remedies(self.policy.remedies(self.last_event)))
        return output

    def cmd_test(self, argument: str) -> Output:
        from .testing import describe_failure, run_tests

        results = run_tests(self.policy)
        output = Output(failed=any(not r.passed for r in results))
        for result in results:
            mark = Text("✓ " if result.passed else "✗ ", style="green" if result.passed else "red")
            output.add(mark + Text(result.name) + Text(f"  {result.location}", style="dim"))
            if not result.passed:
                for line in describe_failure(result):
                    output.add("    " + line)
        passed = sum(r.passed for r in results)
        output.add(f"{passed} passed, {len(results) - passed} failed", style="bold")
        return output

    def cmd_save(self, argument: str) -> Output:
        from .fmt import FormatError, format_text, replace_file

        if not argument:
            return _usage(":save FILE")
        output = Output()
        if not self.inputs:
            output.add("nothing to save: this session added no statements", style="yellow")
            return output
        text = "\n".join(source.text for source in self.inputs)
        try:
            text = format_text(text, argument)
        except FormatError:
            pass  # every input parsed on its own; keep them as typed
        try:
            replace_file(argument, text)  # atomically: a crash never leaves half a policy
        except OSError as error:
            failed = Output(failed=True)
            failed.add(f"{argument}: cannot be written: {error.strerror or error}", style="red")
            return failed
        output.add(f"saved {len(self.inputs)} input(s) to {argument}", style="green")
        return output

    def cmd_help(self, argument: str) -> Output:
        output = Output()
        output.add("Type policy statements (they join the session's policy), paste a JSON event "
                   "to decide it, or a command:")
        for command in COMMANDS:
            output.add(Text(f"  {command.usage:<18}", style="bold") + Text(command.summary))
        output.add("A statement or event continues over several lines until it is complete; "
                   "Esc then Enter inserts a line break.", style="dim")
        return output

    # ---- completion -------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every word worth completing: keywords, commands, declared names, fields."""
        vocabulary = self.policy.vocabulary
        words = set(KEYWORDS) | SOFT_KEYWORDS | {c.name for c in COMMANDS} | {":exit"}
        words |= set(vocabulary.purposes.names()) | set(vocabulary.categories.names())
        words |= set(vocabulary.regions) | set(vocabulary.tables) | set(vocabulary.obligations)
        words |= {"recipient", "holds", *ROLES} | {f'"{r}"' for r in vocabulary.recipients}
        words |= {r.label for r in self.policy.rules if r.label} | {"consent_required"}
        words |= set(EXPRESSION_FIELDS) | {f'"{f}"' for f in EVENT_FIELDS} | {"has"}
        words |= {"fact"} | {fact.name for fact in vocabulary.facts}
        words |= {"controller", "controller.country"}
        if vocabulary.controller is not None:
            words |= {vocabulary.controller.name, f'"{vocabulary.controller.name}"'}
        return sorted(words)

    def candidates(self, line: str) -> list[str]:
        """The words to complete at the end of `line` (the text before the cursor):
        after `fact`, the fields a fact declares; after `fact FIELD is`, the types;
        elsewhere every word (`names`)."""
        import re

        from ..check.facts import TYPE_WORDS

        if re.fullmatch(r"\s*fact\s+[a-z0-9_.]*", line):
            declared = {fact.name for fact in self.policy.vocabulary.facts}
            return sorted({"subject.kind", "context."} | declared)
        typed = re.fullmatch(r"\s*fact\s+[a-z0-9_.]+\s+is\s+((?:list\s+)?(?:of\s+)?)[a-z]*", line)
        if typed:
            written = " ".join(typed.group(1).split())
            words = [t.removeprefix(written).strip() if written else t.split()[0] for t in TYPE_WORDS
                     if t.startswith(written)]
            return sorted({w.split()[0] for w in words if w})
        return self.names()

    def completions(self, before: str, word: str) -> list[str]:
        """What Tab offers for `word`, the end of `before` (the line up to the cursor):
        after `has `, the fields an event may leave out (for an empty word too), the
        declared `context` facts among them; elsewhere the `candidates` that continue `word`."""
        if _AFTER_HAS.search(before[:len(before) - len(word)]):
            declared = [f.name for f in self.policy.vocabulary.facts if f.name not in PRESENCE_FIELDS]
            return [f for f in PRESENCE_FIELDS + declared if f.startswith(word) and f != word]
        if not word:
            return []
        return [name for name in self.candidates(before) if name.startswith(word) and name != word]


def _purpose_kind(vocabulary, purpose: str) -> str:
    """A purpose's basis and whether it is a marker, for `:vocab`: `consent, marker`."""
    parts = ([vocabulary.bases[purpose]] if purpose in vocabulary.bases else [])
    return ", ".join(parts + (["marker"] if purpose in vocabulary.markers else []))


def _usage(usage: str) -> Output:
    output = Output(failed=True)
    output.add(f"usage: {usage}", style="yellow")
    return output


def _describe(statement, policy: Policy) -> str:
    """What a statement added, in a few words."""
    if isinstance(statement, ast.Rule):
        label = f" {statement.label.value}" if statement.label else ""
        return f"{statement.kind} rule{label}"
    if isinstance(statement, ast.PurposeDecl):
        basis = policy.vocabulary.bases.get(statement.name.value)
        kind = ", ".join(([f"basis {basis}"] if basis else [])
                         + (["marker"] if statement.name.value in policy.vocabulary.markers else []))
        return f"purpose {statement.name.value}" + (f" ({kind})" if kind else "")
    if isinstance(statement, ast.TestDecl):
        return f'test "{statement.name.value}"'
    if isinstance(statement, ast.PolicyDecl):
        return f'policy "{statement.name.value}"'
    if isinstance(statement, ast.UseDecl):
        return f"library {statement.library.value}"
    if isinstance(statement, ast.FactDecl):
        return f"fact {statement.field.value}"
    kind = type(statement).__name__.removesuffix("Decl").lower()
    return f"{kind} {statement.name.value}"


def show(policy: Policy, name: str) -> Output:
    """A name's declaration(s), doc comment, and the rules that use it."""
    from .lint import Linter

    vocabulary = policy.authored.declarations  # with spans
    graph = Linter(policy).reference_graph()
    output = Output()
    found = False
    for kind, hierarchy in (("purpose", vocabulary.purposes), ("category", vocabulary.categories)):
        if name in hierarchy:
            found = True
            decl = hierarchy.declared.get(name)
            _show_declaration(output, kind, name, decl)
            if decl is None:
                children = [n for n in hierarchy.names() if n.startswith(name + ".")]
                output.add(f"  implied by {', '.join(children)}", style="dim")
            if kind == "purpose" and name in vocabulary.bases:
                output.add(f"  basis: {vocabulary.bases[name]}")
            if kind == "purpose" and name in vocabulary.markers:
                output.add("  marker: a group of purposes; no event is for it, a consent to it covers nothing")
            parents = sorted(hierarchy.ancestors[name] - {name})
            if parents:
                output.add(f"  ancestors: {', '.join(parents)}")
            _show_users(output, policy, graph, [(kind, n) for n in hierarchy.ancestors[name]
                                                 if n in hierarchy] + [(kind, name)])
    if name in vocabulary.region_decls:
        found = True
        _show_declaration(output, "region", name, vocabulary.region_decls[name])
        output.add(f"  countries: {', '.join(sorted(vocabulary.regions[name]))}")
        _show_users(output, policy, graph, [("region", name)])
    if name in vocabulary.tables:
        found = True
        table = vocabulary.tables[name]
        output.add(Text(f"table {name}", style="bold") + Text(f"  {table.span.location if table.span else ''}", style="dim"))
        if table.doc:
            output.add(Text(_indent(table.doc), style="italic"))
        output.add(f"  default: {table.default}; entries: {len(table.entries)}")
        _show_users(output, policy, graph, [("table", name)])
    if name in vocabulary.obligations:
        found = True
        _show_declaration(output, "obligation", name, vocabulary.obligations[name])
        _show_users(output, policy, graph, [("obligation", name)])
    if name in vocabulary.recipients:
        found = True
        recipient = vocabulary.recipients[name]
        output.add(Text(f"recipient {name}", style="bold")
                   + Text(f"  {recipient.span.location if recipient.span else ''}", style="dim"))
        if recipient.doc:
            output.add(Text(_indent(recipient.doc), style="italic"))
        holds = ", ".join(f'"{h}"' for h in sorted(recipient.holds)) or "nothing"
        output.add(f"  {recipient.role} in {recipient.country}; holds {holds}")
    controller = vocabulary.controller
    if controller is not None and name in (controller.name, "controller"):
        found = True
        output.add(Text(f"controller {controller.name}", style="bold")
                   + Text(f"  {controller.span.location if controller.span else ''}", style="dim"))
        if controller.doc:
            output.add(Text(_indent(controller.doc), style="italic"))
        output.add(f"  established in {controller.country}: conditions read `controller` "
                   f"(\"{controller.name}\") and `controller.country` ({controller.country})")
    for rule in policy.rules:
        if rule.label == name:
            found = True
            output.add(Text(f"rule {name}", style="bold") + Text(f"  {rule.location}", style="dim"))
            if rule.doc:
                output.add(Text(_indent(rule.doc), style="italic"))
            output.add("  " + rule.text)
    if not found:
        output.failed = True
        from ..core.diagnostics import did_you_mean

        hint = did_you_mean(name, _known_names(policy))
        output.add(f"nothing is called `{name}`" + (f"; {hint}" if hint else ""), style="red")
    return output


def _known_names(policy: Policy) -> list[str]:
    vocabulary = policy.vocabulary
    return (vocabulary.purposes.names() + vocabulary.categories.names() + list(vocabulary.regions)
            + list(vocabulary.tables) + list(vocabulary.obligations) + list(vocabulary.recipients)
            + ([vocabulary.controller.name] if vocabulary.controller else [])
            + [r.label for r in policy.rules if r.label])


def _indent(text: str) -> str:
    return "\n".join("  ## " + line for line in text.splitlines())


def _show_declaration(output: Output, kind: str, name: str, decl) -> None:
    location = f"  {decl.span.location}" if decl is not None and decl.span else ""
    output.add(Text(f"{kind} {name}", style="bold") + Text(location, style="dim"))
    if decl is not None and decl.doc:
        output.add(Text(_indent(decl.doc), style="italic"))
    if decl is not None and decl.span:
        output.add("  " + " ".join(decl.span.text.split()))


def _show_users(output: Output, policy: Policy, graph, nodes) -> None:
    users = set()
    kind = nodes[0][0] if nodes else ""
    # `*` rules reach every name through one shared node, ("all", kind)
    for node in [*nodes, ("all", kind)]:
        if node in graph:
            users |= {p for p in graph.predecessors(node) if p[0] == "rule"}
    everything = {"purpose": lambda r: r.purposes is None,
                  "category": lambda r: r.categories is None}.get(kind, lambda r: False)
    rules = [r for r in policy.rules if ("rule", r.index) in users and not everything(r)]
    wide = [r for r in policy.rules if ("rule", r.index) in users and everything(r)]
    if not rules:
        output.add("  named by no rule", style="dim")
    else:
        output.add(f"  named by {len(rules)} rule{'s' if len(rules) != 1 else ''}:")
        for rule in rules:
            output.add(Text(f"    {rule.label or rule.text}") + Text(f"  {rule.location}", style="dim"))
    if wide:
        output.add(f"  and covered by {len(wide)} rule{'s' if len(wide) != 1 else ''} for every {kind}: "
                   + ", ".join(r.label or r.location for r in wide), style="dim")


# ---- when is an input complete? ------------------------------------------------------------


def is_complete(text: str) -> bool:
    """Whether the input can be handled now, or needs more lines: an open JSON
    object, or a statement the file would end in the middle of."""
    stripped = text.strip()
    if not stripped or stripped.startswith(":"):
        return True
    if stripped.startswith("{"):
        return _json_depth(stripped) <= 0
    if _ENDS_IN_HAS.search(stripped):  # `when has`: the field is yet to come
        return False
    _, problems = parse_module(Source("<input>", text))
    return not any(d.code == "E0103" for d in problems)


def _json_depth(text: str) -> int:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth


# ---- front ends ------------------------------------------------------------------------------


def run_script(session: Session, lines, console: Console) -> int:
    """Statements, events and commands from a file or pipe, without prompts.
    Returns 1 if any input failed, else 0."""
    failed = False
    for piece in session.startup.pieces:
        console.print(piece)
    failed |= session.startup.failed
    buffer = ""

    def flush(text: str) -> bool:
        nonlocal failed
        output = session.handle(text)
        failed |= output.failed
        for piece in output.pieces:
            console.print(piece)
        return True

    try:
        for line in lines:
            line = line if line.endswith("\n") else line + "\n"
            # a complete statement still takes the indented lines that follow it
            if buffer and is_complete(buffer) and not (line[:1] in (" ", "\t") and line.strip()
                                                       and not buffer.lstrip().startswith((":", "{"))):
                flush(buffer)
                buffer = ""
            buffer += line
        if buffer.strip():
            flush(buffer)  # complete, or reported as incomplete
    except Quit:
        pass
    return 1 if failed else 0


def history_path(given: str | None) -> Path:
    if given:
        return Path(given)
    if os.environ.get("LAWFUL_HISTORY"):
        return Path(os.environ["LAWFUL_HISTORY"])
    return Path.home() / ".lawful_history"


def run_interactive(session: Session, console: Console, history: Path) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer

    from .highlight import LawfulLexer

    class LawfulCompleter(Completer):
        paths = PathCompleter(expanduser=True)

        def get_completions(self, document: Document, complete_event):
            line = document.current_line_before_cursor
            for command in (":load ", ":save "):
                if line.startswith(command):
                    sub = Document(line[len(command):], len(line) - len(command))
                    yield from self.paths.get_completions(sub, complete_event)
                    return
            word = document.get_word_before_cursor(pattern=_WORD)
            for candidate in session.completions(line, word):
                yield Completion(candidate, start_position=-len(word),
                                 display_meta=FIELD_DOCS.get(candidate))

    bindings = KeyBindings()

    @bindings.add("enter")
    def _(event):
        buffer = event.current_buffer
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _(event):
        event.current_buffer.insert_text("\n")

    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        store: History = FileHistory(str(history))
    except OSError:
        store = InMemoryHistory()
    prompt: PromptSession[str] = PromptSession(
        message=[("class:prompt", "law> ")],
        multiline=True,
        prompt_continuation=lambda width, line, wrap: "...  ".rjust(width),
        key_bindings=bindings,
        history=store,
        completer=LawfulCompleter(),
        complete_while_typing=False,
        lexer=PygmentsLexer(LawfulLexer),
        enable_history_search=True,
    )
    console.print(Text("Lawful REPL: statements join the policy, JSON events are decided. "
                       ":help lists the commands, :quit leaves.", style="dim"))
    for piece in session.startup.pieces:
        console.print(piece)
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            output = session.handle(text)
        except Quit:
            return 0
        for piece in output.pieces:
            console.print(piece)


# what Tab completes: a name, a field, a `:command` (with its `-`, as `:why-not`);
# prompt_toolkit matches it on the reversed text before the cursor
_WORD = __import__("re").compile(r'[a-z-]+:|[A-Za-z0-9_.:"]+')


def main(paths: list[str], history: str | None, console: Console, stdin=None) -> int:
    import sys

    stdin = stdin or sys.stdin
    session = Session(paths)
    if not stdin.isatty():
        return run_script(session, stdin, console)
    return run_interactive(session, console, history_path(history))


def transcript(session: Session, inputs: list[str]) -> str:
    """A plain transcript of inputs and outputs (used for docs/repl.md)."""
    out = io.StringIO()
    for text in inputs:
        lines = text.rstrip("\n").splitlines()
        out.write("law> " + lines[0] + "\n")
        for line in lines[1:]:
            out.write("...  " + line + "\n")
        shown = session.one_shot(text)
        if shown:
            out.write(shown + "\n")
    return out.getvalue()
