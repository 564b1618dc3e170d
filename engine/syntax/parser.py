"""The Lark parser (built once per process) and syntax-error recovery.

`parse_tree` never raises for bad text: it returns the tree of every statement
it could read and one diagnostic per broken statement, skipping to the next
statement keyword after each error.
"""

from __future__ import annotations

import threading
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Diagnostic, did_you_mean
from ..resources import grammar_text
from ..source import Source, Span

#: every reserved word of the language (spec section 2)
KEYWORDS = frozenset(
    """policy use region category purpose basis is table default permit forbid
    require residency retain rule on to for when unless with because cite in not
    and or true false consent explicit parental objected test event expect allow
    deny by obligation contract legal_obligation vital_interest public_task
    legitimate_interest day days month months year years""".split()
)

_STATEMENT_KEYWORDS = frozenset(
    "POLICY USE REGION CATEGORY TABLE OBLIGATION RULE TEST PERMIT FORBID REQUIRE RESIDENCY RETAIN".split()
)

# tokens that may follow `purpose` when it is the event field, not a declaration
_EXPRESSION_FOLLOWERS = frozenset(
    "IN NOT COMPARATOR AND OR RPAR RSQB COMMA RBRACE FOR UNLESS WITH BECAUSE CITE".split()
)

MAX_SYNTAX_ERRORS = 50

_lock = threading.Lock()


@cache
def parser() -> Lark:
    with _lock:
        return Lark(
            grammar_text(),
            parser="lalr",
            lexer="basic",
            strict=True,
            propagate_positions=True,
            maybe_placeholders=True,
            lexer_callbacks={"COMMENT": _collect_comment},
        )


# comments seen by the (shared) parser's lexer, per thread
_comments = threading.local()


def _collect_comment(token: Token) -> Token:
    found = getattr(_comments, "found", None)
    if found is not None:
        found.append(token)
    return token


@cache
def _full_lexer():
    """A lexer that keeps comments and whitespace, built once (Lark.lex builds one per call)."""
    from copy import copy

    from lark.lexer import BasicLexer

    conf = copy(parser().lexer_conf)
    conf.ignore = ()
    conf.strict = False  # the parser's build already checked the terminals for collisions
    return BasicLexer(conf)


def _lex(text: str) -> list[Token]:
    from lark.lexer import LexerThread

    return list(LexerThread.from_text(_full_lexer(), text).lex(None))


def _describe_terminal(name: str) -> str:
    friendly = {
        "NAME": "a name", "STRING": "a string", "INT": "an integer", "COUNTRY": "a country code",
        "NUMBER": "a number", "COMPARATOR": "a comparison", "$END": "the end of the file",
    }
    if name in friendly:
        return friendly[name]
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    return f"`{pattern.value}`"


def describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    kinds = {"NAME": "name", "STRING": "string", "INT": "integer", "COUNTRY": "country code",
             "NUMBER": "number"}
    if token.type in kinds:
        return f"{kinds[token.type]} `{token.value}`"
    return f"`{token.value}`"


_CLAUSES = ("WHEN", "UNLESS", "WITH", "BECAUSE", "CITE")
_EXPRESSION_START = {"LPAR", "INT", "NAME", "STRING"}
_ATOMS = _EXPRESSION_START | set(
    """COUNTRY TRUE FALSE CONSENT EXPLICIT PARENTAL OBJECTED PURPOSE BASIS CONTRACT
    LEGAL_OBLIGATION VITAL_INTEREST PUBLIC_TASK LEGITIMATE_INTEREST LBRACE NOT""".split())


def _expected(names) -> str:
    names = set(names)
    groups = []
    if _EXPRESSION_START <= names:
        groups.append("an expression")
        names -= _ATOMS
    if len(names & _STATEMENT_KEYWORDS) >= 5:
        groups.append("a new statement")
        names -= _STATEMENT_KEYWORDS | {"PURPOSE", "$END"}
    described = groups + sorted({_describe_terminal(n) for n in names})
    if len(described) > 6:
        described = described[:6] + ["..."]
    return ", ".join(described)


def _token_span(source: Source, token: Token) -> Span:
    start = token.start_pos if token.start_pos is not None else len(source.text)
    end = token.end_pos if token.end_pos is not None else start
    return Span(source, start, max(end, start))


def _syntax_diagnostic(source: Source, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        end = len(source.text.rstrip())
        expected = getattr(error, "expected", None) or getattr(error, "accepts", None) or ()
        return Diagnostic(
            "E0103",
            "the file ends in the middle of a statement",
            Span(source, max(0, end - 1), end) if end else Span(source, 0, 0),
            help=f"expected {_expected(expected)}" if expected else None,
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.accepts or error.expected)
    span = _token_span(source, token)
    if token.value in KEYWORDS and "NAME" in expected and "LPAR" not in expected:
        return Diagnostic(
            "E0104",
            f"`{token.value}` is a reserved word and cannot be a name",
            span,
            help=f"choose another name, for example `{token.value}_`",
        )
    if token.type == "COUNTRY" and "NAME" in expected and "COUNTRY" not in expected:
        return Diagnostic(
            "E0107",
            f"names are lower-case, found `{token.value}`",
            span,
            help=f"write `{token.value.lower()}`",
        )
    hint = f"expected {_expected(expected)}"
    if token.type in _CLAUSES and expected & set(_CLAUSES):
        return Diagnostic(
            "E0102", f"`{token.value}` is out of place", span,
            help="a rule's clauses go in this order: `when`, `unless`, `with`, `because`, `cite`")
    if token.type == "NAME":
        close = did_you_mean(token.value, [k for k in KEYWORDS])
        if close and any(_describe_terminal(e) == f"`{close.split('`')[1]}`" for e in expected):
            hint += f"; {close}"
    return Diagnostic("E0102", f"unexpected {describe_token(token)}", span, help=hint)


def _lex_all(source: Source, text: str, diagnostics: list[Diagnostic]) -> tuple[str, list[Token]]:
    """Lex the whole text, blanking out characters the lexer cannot read."""
    while True:
        try:
            return text, _lex(text)
        except UnexpectedCharacters as error:
            pos = error.pos_in_stream
            char = text[pos]
            if char == "'":
                close = text.find("'", pos + 1)
                line_end = text.find("\n", pos)
                end = close + 1 if close != -1 and (line_end == -1 or close < line_end) else pos + 1
                diagnostics.append(Diagnostic(
                    "E0101", "strings use double quotes", Span(source, pos, end),
                    help='write `"…"`'))
            elif char == '"':
                end = text.find("\n", pos)
                end = len(text) if end == -1 else end
                diagnostics.append(Diagnostic(
                    "E0105", "this string is not closed before the end of the line",
                    Span(source, pos, end), help='add the closing `"`'))
            else:
                end = pos + 1
                while end < len(text) and text[end] == char:  # `&&`, `||`: one error
                    end += 1
                shown = text[pos:end] if char.isprintable() else repr(char)
                diagnostics.append(Diagnostic(
                    "E0101", f"unexpected `{shown}`", Span(source, pos, end),
                    help=_character_help(char)))
            text = _blank(text, pos, end)


def _character_help(char: str) -> str | None:
    if char == "'":
        return 'strings use double quotes: `"…"`'
    if char == ";":
        return "statements need no terminator"
    if char == "=":
        return "compare with `==`"
    if char == "!":
        return "write `not`, or `!=` to compare"
    if char in "&|":
        return "write `and` / `or`"
    return None


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "".join(c if c == "\n" else " " for c in text[start:end]) + text[end:]


def _statement_starts(tokens: list[Token]) -> list[int]:
    """Offsets where statements begin (heuristic used only for error recovery)."""
    starts = []
    significant = [t for t in tokens if t.type not in ("COMMENT",) and not t.type.startswith("__")]
    for index, token in enumerate(significant):
        if token.type in _STATEMENT_KEYWORDS:
            if token.type in ("PERMIT", "FORBID", "REQUIRE", "RESIDENCY", "RETAIN") and index >= 3:
                if significant[index - 1].value == ":" and significant[index - 3].type == "RULE":
                    continue
            starts.append(token.start_pos)
        elif token.type == "PURPOSE":
            following = significant[index + 1] if index + 1 < len(significant) else None
            if following is None or following.type not in _EXPRESSION_FOLLOWERS:
                starts.append(token.start_pos)
    return starts


def parse_tree(source: Source) -> tuple[Tree | None, list[Token], list[Diagnostic]]:
    """Parse one source. Returns the tree (None only if nothing parsed), the
    comment tokens, and the syntax diagnostics."""
    diagnostics: list[Diagnostic] = []
    # the happy path is one parse; comments come from the lexer callback
    _comments.found = []
    try:
        return parser().parse(source.text), _comments.found, diagnostics
    except UnexpectedInput:
        pass
    finally:
        _comments.found = None
    # an error: lex everything once (blanking unreadable characters), then parse
    # again and again, dropping one broken statement each time
    text, tokens = _lex_all(source, source.text, diagnostics)
    lexer_errors = [d.span.start for d in diagnostics]
    comments = [t for t in tokens if t.type == "COMMENT"]
    starts = _statement_starts(tokens)
    for _ in range(MAX_SYNTAX_ERRORS + 1):
        try:
            return parser().parse(text), comments, diagnostics
        except UnexpectedInput as error:
            position = _error_position(error, text)
            diagnostic = _syntax_diagnostic(source, error)
            at_statement = position in starts and isinstance(error, UnexpectedToken)
            before = [s for s in starts if s < position] if at_statement else [
                s for s in starts if s <= position]
            after = [s for s in starts if s > position]
            start = before[-1] if before else 0
            end = after[0] if after else len(text)
            if at_statement and diagnostic.code != "E0104":
                # the statement before the keyword ended early; the keyword's own
                # statement may be fine, so keep it
                end = position
                diagnostic = _incomplete(source, tokens, position, diagnostic)
            if start == end:  # cannot make progress: drop the rest
                end = len(text)
            # a statement with a lexer error was reported already: no cascade
            if not any(start <= offset < end for offset in lexer_errors):
                diagnostics.append(diagnostic)
            text = _blank(text, start, end)
            starts = [s for s in starts if not start <= s < end]
    return None, comments, diagnostics


def _incomplete(source: Source, tokens: list[Token], position: int, found: Diagnostic) -> Diagnostic:
    """A statement keyword where the previous statement still needed more: say so
    at the end of that statement rather than at the next one."""
    previous = [t for t in tokens if t.type != "COMMENT" and not t.type.startswith("__")
                and t.end_pos <= position]
    if not previous or found.code != "E0102":
        return found
    last = previous[-1]
    return Diagnostic("E0102", f"the statement is incomplete after `{last.value}`",
                      Span(source, last.start_pos, last.end_pos), help=found.help)


def _error_position(error: UnexpectedInput, text: str) -> int:
    token = getattr(error, "token", None)
    if token is not None and token.start_pos is not None and token.type != "$END":
        return token.start_pos
    pos = getattr(error, "pos_in_stream", None)
    return pos if pos is not None else len(text)
