"""The Lark parser (built once per process) and syntax-error recovery.

`parse_tree` never raises for bad text: it returns the tree of every statement
it could read and one diagnostic per broken statement, skipping to the next
statement keyword after each error.
"""

from __future__ import annotations

import bisect
import threading
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..core.diagnostics import Diagnostic, did_you_mean
from ..core.resources import grammar_text
from ..core.source import Source, Span

#: every reserved word of the language (spec section 2)
KEYWORDS = frozenset(
    """policy use region category purpose basis is table default permit forbid
    require residency retain rule on to for when unless with because cite in not
    and or true false consent explicit parental objected test event expect allow
    deny by obligation contract legal_obligation vital_interest public_task
    legitimate_interest day days month months year years""".split()
)

#: words added after 0.2: keywords where their construct begins, names
#: everywhere else (grammar rule `_name`), so older policies keep their meaning
SOFT_KEYWORDS = frozenset("""fact has marker oblige recipient holds controller client behalf of
    named contact dpo representative authority security interest subjects automated provision
    source""".split())
#: the words of a declaration's details (grammar rule `detail`)
DETAIL_WORDS = ("named", "contact", "dpo", "representative", "authority", "security", "interest",
                "subjects", "automated", "provision", "source")
_SOFT_TYPES = frozenset(word.upper() for word in SOFT_KEYWORDS)

_STATEMENT_KEYWORDS = frozenset(
    "POLICY USE REGION CATEGORY TABLE OBLIGATION RULE TEST PERMIT FORBID REQUIRE RESIDENCY RETAIN".split()
)

# tokens that may follow `purpose` when it is the event field, not a declaration
_EXPRESSION_FOLLOWERS = frozenset(
    "IN NOT COMPARATOR AND OR RPAR RSQB COMMA RBRACE FOR UNLESS WITH BECAUSE CITE".split()
)

# tokens a statement can end with (where a contextual word after them begins the next)
_STATEMENT_ENDS = frozenset(
    """NAME STRING INT COUNTRY RPAR RSQB RBRACE STAR TRUE FALSE CONSENT OBJECTED PURPOSE BASIS
    DAY DAYS MONTH MONTHS YEAR YEARS CONTRACT LEGAL_OBLIGATION VITAL_INTEREST PUBLIC_TASK
    LEGITIMATE_INTEREST""".split()) | _SOFT_TYPES

MAX_SYNTAX_ERRORS = 50
MAX_LEXER_ERRORS = 50

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


def lex(text: str) -> list[Token]:
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
    if "NAME" in names:
        names -= _SOFT_TYPES  # where a name may come, a soft keyword is one
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


def token_start(token: Token) -> int:
    """Where a lexed token starts: the lexer gives every token its offset."""
    assert token.start_pos is not None
    return token.start_pos


def token_span(source: Source, token: Token) -> Span:
    """Where a token lies (a token made by hand, without positions: at the end)."""
    start = token.start_pos if token.start_pos is not None else len(source.text)
    end = token.end_pos if token.end_pos is not None else start
    return Span(source, start, max(end, start))


def _syntax_diagnostic(source: Source, error: UnexpectedInput, suggest: bool = True) -> Diagnostic:
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
    span = token_span(source, token)
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
    if token.type == "NAME" and suggest:
        close = did_you_mean(token.value, [k for k in KEYWORDS])
        if close and any(_describe_terminal(e) == f"`{close.split('`')[1]}`" for e in expected):
            hint += f"; {close}"
    return Diagnostic("E0102", f"unexpected {describe_token(token)}", span, help=hint)


def _lex_all(source: Source, text: str, diagnostics: list[Diagnostic]) -> tuple[list[Token], list[int]]:
    """Lex the whole text once, skipping what the lexer cannot read: each run of
    unreadable characters is one diagnostic (at most MAX_LEXER_ERRORS are shown, then
    how many more there were), and lexing goes on after it, never from the start.
    Returns the tokens and the offsets of the errors. (Lark's BasicLexer.next_token,
    without an exception per unreadable character.)"""
    from lark.lexer import LineCounter, TextSlice

    lexer = _full_lexer()
    lexer.scanner  # built on first use, with the callbacks
    match, callbacks, newline_types = lexer.match, lexer.callback, lexer.newline_types
    sliced = TextSlice.cast_from(text)
    counter = LineCounter("\n")
    tokens: list[Token] = []
    errors: list[int] = []
    while counter.char_pos < len(text):
        pos = counter.char_pos
        found = match(sliced, pos)
        if not found:
            end = _unreadable_end(text, pos, lambda at: match(sliced, at) is not None)
            errors.append(pos)
            if len(errors) <= MAX_LEXER_ERRORS:
                diagnostics.append(_unreadable(source, text, pos, end))
            counter.feed(text[pos:end])
            continue
        value, kind = found
        token = Token(kind, value, pos, counter.line, counter.column)
        counter.feed(value, kind in newline_types)
        token.end_line, token.end_column, token.end_pos = counter.line, counter.column, counter.char_pos
        tokens.append(callbacks[kind](token) if kind in callbacks else token)
    if len(errors) > MAX_LEXER_ERRORS:
        first = errors[MAX_LEXER_ERRORS]
        diagnostics.append(Diagnostic(
            "E0101", f"{len(errors) - MAX_LEXER_ERRORS} more runs of unreadable characters follow, "
            "not shown one by one", Span(source, first, first + 1),
            help="is this a policy file? fix the errors above and check again"))
    return tokens, errors


def _unreadable_end(text: str, pos: int, readable) -> int:
    """Where the run of unreadable characters at `pos` ends: a wrong quote to its
    closing quote (or the end of the line), else every unreadable character up to
    the next readable token on the line (`&&`, `@ @ @`: one error)."""
    char = text[pos]
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end == -1 else line_end
    if char == "'":
        close = text.find("'", pos + 1, line_end)
        return close + 1 if close != -1 else pos + 1
    if char == '"':
        return line_end
    end = pos + 1
    while end < line_end:
        if text[end] in " \t\f\r":
            after = end
            while after < line_end and text[after] in " \t\f\r":
                after += 1
            if after == line_end or readable(after) or text[after] in "'\"":
                return end
            end = after
        elif text[end] in "'\"" or readable(end):
            return end
        else:
            end += 1
    return end


def _unreadable(source: Source, text: str, pos: int, end: int) -> Diagnostic:
    """The diagnostic for the unreadable characters text[pos:end]."""
    char = text[pos]
    if char == "'":
        return Diagnostic("E0101", "strings use double quotes", Span(source, pos, end),
                          help='write `"…"`')
    if char == '"':
        return Diagnostic("E0105", "this string is not closed before the end of the line",
                          Span(source, pos, end), help='add the closing `"`')
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[pos:min(end, pos + 40)])
    if end - pos > 40:
        shown += "…"
    return Diagnostic("E0101", f"unexpected `{shown}`", Span(source, pos, end),
                      help=_character_help(char))


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


def _statement_starts(significant: list[Token]) -> list[int]:
    """Indices of the tokens where statements begin (a heuristic used only for error
    recovery); `significant` holds no comments or whitespace."""
    starts = []
    for index, token in enumerate(significant):
        if token.type in _STATEMENT_KEYWORDS:
            if token.type in ("PERMIT", "FORBID", "REQUIRE", "RESIDENCY", "RETAIN") and index >= 3:
                if significant[index - 1].value == ":" and significant[index - 3].type == "RULE":
                    continue
            starts.append(index)
        elif token.type in ("FACT", "CONTROLLER"):  # `fact NAME in|is`, `controller NAME in`: else a name
            if (index + 2 < len(significant) and significant[index + 2].type in (("IN", "IS") if token.type == "FACT" else ("IN",))
                    and (significant[index + 1].type == "NAME" or significant[index + 1].type in _SOFT_TYPES)):
                starts.append(index)
        elif token.type == "CLIENT":
            # `client NAME` begins a declaration where a statement can end before it
            following = significant[index + 1] if index + 1 < len(significant) else None
            before = significant[index - 1].type if index else None
            if following is not None and (following.type == "NAME" or following.type in _SOFT_TYPES) \
                    and (before is None or before in _STATEMENT_ENDS):
                starts.append(index)
        elif token.type == "OBLIGE":
            # `oblige` begins a rule when obligations follow it and what comes before
            # it can end a statement; else it is a name (`permit p on oblige`)
            following = significant[index + 1] if index + 1 < len(significant) else None
            before = significant[index - 1].type if index else None
            if following is not None and (following.type == "NAME" or following.type in _SOFT_TYPES) \
                    and (before is None or before in _STATEMENT_ENDS):
                starts.append(index)
        elif token.type == "PURPOSE":
            following = significant[index + 1] if index + 1 < len(significant) else None
            if following is None or following.type not in _EXPRESSION_FOLLOWERS:
                starts.append(index)
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
    # an error: lex everything once (skipping unreadable characters), then feed the
    # tokens to the parser once, dropping each broken statement as it is found
    tokens, lexer_errors = _lex_all(source, source.text, diagnostics)
    comments = [t for t in tokens if t.type == "COMMENT"]
    ignored = set(parser().lexer_conf.ignore)
    significant = [t for t in tokens if t.type not in ignored]
    tree = _Recovery(source, significant, lexer_errors, diagnostics).run()
    return tree, comments, diagnostics


class _Recovery:
    """Feed the tokens to the LALR parser one by one. At each statement start a
    copy of the parser's state is kept (cheap there: the stack is short); on an
    error the broken statement is dropped by going back to the state before it
    and going on at the next statement. Every token is fed once or twice, so the
    work is linear in the text."""

    def __init__(self, source: Source, tokens: list[Token], lexer_errors: list[int],
                 diagnostics: list[Diagnostic]):
        self.source, self.tokens, self.diagnostics = source, tokens, diagnostics
        self.lexer_errors = lexer_errors  # sorted offsets
        self.starts = _statement_starts(tokens)  # sorted token indices
        self.start_set = set(self.starts)
        self.reported = 0
        self.hidden: list[Diagnostic] = []

    def offset(self, index: int) -> int:
        return token_start(self.tokens[index]) if index < len(self.tokens) else len(self.source.text)

    def diagnose(self, error: UnexpectedToken, state) -> Diagnostic:
        if self.reported >= MAX_SYNTAX_ERRORS:  # not shown: only its code matters
            return _syntax_diagnostic(self.source, error, suggest=False)
        return _syntax_diagnostic(self.source, _with_accepts(error, state))

    def report(self, diagnostic: Diagnostic, start: int, end: int) -> None:
        # a statement with a lexer error was reported already: no cascade
        first = bisect.bisect_left(self.lexer_errors, self.offset(start))
        if first < len(self.lexer_errors) and self.lexer_errors[first] < self.offset(end):
            return
        if self.reported < MAX_SYNTAX_ERRORS:
            self.reported += 1
            self.diagnostics.append(diagnostic)
        else:
            self.hidden.append(diagnostic)

    def run(self) -> Tree | None:
        from lark import Token as LarkToken

        state = parser().parse_interactive("").parser_state
        saved = [(0, state.copy(deepcopy_values=False))]  # (token index, state before it)
        tokens = self.tokens
        index = 0
        while True:
            if index == len(tokens):
                last = tokens[-1] if tokens else None
                eof = (LarkToken.new_borrow_pos("$END", "", last) if last is not None
                       else LarkToken("$END", "", 0, 1, 1))
                try:
                    tree = state.feed_token(eof, True)
                    break
                except UnexpectedToken as error:
                    diagnostic = self.diagnose(error, state)
                # the last statement is incomplete: drop it (from the last start on)
                self.report(diagnostic, saved[-1][0], index)
                if saved[-1][0] == index and len(saved) > 1:
                    saved.pop()  # that state cannot end the file either: go further back
                state_before = saved.pop()[1]
                saved.append((index, state_before))
                state = state_before.copy(deepcopy_values=False)
                continue
            token = tokens[index]
            try:
                if index in self.start_set and saved[-1][0] != index:
                    if token.type in _SOFT_TYPES and not _goes_on(state, tokens[index:index + 2]):
                        # a contextual word that begins a statement (`fact NAME is`) and is no
                        # name here: the statement before it ended early, as before a keyword
                        raise UnexpectedToken(token, set(), state=state)
                    # keep the state once the previous statement is reduced, before
                    # the keyword is shifted: nothing in it is shared with what follows
                    _reduce_before(state, token)
                    saved.append((index, state.copy(deepcopy_values=False)))
                state.feed_token(token)
                index += 1
                continue
            except UnexpectedToken as error:
                diagnostic = self.diagnose(error, state)
            at_statement = index in self.start_set
            if at_statement and saved[-1][0] == index and len(saved) > 1:
                saved.pop()  # the state kept at this keyword: the error is before it
            if at_statement and diagnostic.code != "E0104" and saved[-1][0] < index:
                # the statement before the keyword ended early; the keyword's own
                # statement may be fine, so keep it
                start = saved.pop()
                self.report(_incomplete(self.source, tokens, index, diagnostic), start[0], index)
                saved.append((index, start[1]))
                state = start[1].copy(deepcopy_values=False)
                continue
            start = saved.pop()  # (E0104 at a keyword: the statement before it goes too)
            following = bisect.bisect_right(self.starts, index)
            end = self.starts[following] if following < len(self.starts) else len(tokens)
            self.report(diagnostic, start[0], end)
            saved.append((end, start[1]))
            state = start[1].copy(deepcopy_values=False)
            index = end
        if self.hidden:
            first = self.hidden[0]
            self.diagnostics.append(Diagnostic(
                first.code, f"{len(self.hidden)} more syntax errors follow, not shown one by one",
                first.span, help="fix the errors above and check again"))
        return tree


def _goes_on(state, tokens: list[Token]) -> bool:
    """Whether the parser, in `state`, takes these tokens (tried on a shallow copy
    with no tree callbacks, which could change trees the state shares, as in
    `_with_accepts`)."""
    from copy import copy

    conf = copy(state.parse_conf)
    conf.callbacks = {}
    trial = state.copy(deepcopy_values=False)
    trial.parse_conf = conf
    try:
        for token in tokens:
            trial.feed_token(token)
    except UnexpectedToken:
        return False
    return True


def _reduce_before(state, token: Token) -> None:
    """The reductions the parser makes on seeing `token`, without shifting it
    (Lark's ParserState.feed_token, stopped before the shift)."""
    from lark.parsers.lalr_analysis import Shift

    states, callbacks = state.parse_conf.states, state.parse_conf.callbacks
    state_stack, value_stack = state.state_stack, state.value_stack
    while True:
        try:
            action, rule = states[state_stack[-1]][token.type]
        except KeyError:
            expected = {s for s in states[state_stack[-1]] if s.isupper()}
            raise UnexpectedToken(token, expected, state=state) from None
        if action is Shift:
            return
        size = len(rule.expansion)
        values = value_stack[-size:] if size else []
        if size:
            del state_stack[-size:]
            del value_stack[-size:]
        value = callbacks[rule](values) if callbacks else values
        state_stack.append(states[state_stack[-1]][rule.origin.name][1])
        value_stack.append(value)


def _with_accepts(error: UnexpectedToken, state) -> UnexpectedToken:
    """What Lark's own parse gives an error: the tokens that would let it go on
    (computed on shallow copies of the parser's state, as Lark does)."""
    from copy import copy

    from lark import Token as LarkToken

    conf = copy(state.parse_conf)
    conf.callbacks = {}
    accepts = set()
    for name in conf.parse_table.states[state.position]:
        if name.isupper():
            trial = state.copy(deepcopy_values=False)
            trial.parse_conf = conf
            try:
                trial.feed_token(LarkToken(name, ""), name == "$END")
            except UnexpectedToken:
                continue
            accepts.add(name)
    error._accepts = accepts
    return error


def _incomplete(source: Source, tokens: list[Token], index: int, found: Diagnostic) -> Diagnostic:
    """A statement keyword where the previous statement still needed more: say so
    at the end of that statement rather than at the next one."""
    if index == 0 or found.code != "E0102":
        return found
    last = tokens[index - 1]
    return Diagnostic("E0102", f"the statement is incomplete after `{last.value}`",
                      token_span(source, last), help=found.help)
