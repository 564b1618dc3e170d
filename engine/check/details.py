"""The details of declarations that the DPO's documents read (`named`, `contact`,
`interest`, `subjects`…) and the clients a processor works for: which words go on
which declaration, which may be given once, what their values must be. Nothing
decides by them; `engine.records` renders them."""

from __future__ import annotations

from ..core.diagnostics import Diagnostic, Note, did_you_mean
from ..syntax import ast

#: the detail words each declaration takes, and what each says (docs/language.md)
WORDS: dict[str, tuple[str, ...]] = {
    "controller": ("named", "contact", "dpo", "representative", "authority", "security"),
    "client": ("named", "contact", "dpo", "representative"),
    "purpose": ("named", "interest", "subjects", "automated", "provision"),
    "category": ("named", "source"),
    "recipient": ("named", "contact"),
}
#: words given at most once on a declaration (the others add to a list)
ONCE = frozenset({"named", "authority", "interest", "automated", "provision"})

_KIND = {ast.ControllerDecl: "controller", ast.ClientDecl: "client", ast.PurposeDecl: "purpose",
         ast.CategoryDecl: "category", ast.RecipientDecl: "recipient"}


def detail_words(decl) -> tuple[str, ...]:
    """The detail words a declaration takes (none for one without details)."""
    return WORDS.get(_KIND.get(type(decl), ""), ())


def check_details(statements, declarations, subject_kinds: frozenset[str] | None,
                  diagnostics: list[Diagnostic]) -> dict[str, ast.ClientDecl]:
    """Every detail in its place (E1101), once where once is allowed (E1102), not
    empty (E1106); `subjects` among the declared `subject.kind` values (E1103);
    `on behalf of` a declared client (E1104) given once; `interest` on a purpose
    whose basis is `legitimate_interest` (E1105); a recipient's `for` names
    purposes (E0201). Returns the clients by name (E0202 for a second one)."""
    from .declarations import duplicates

    clients = duplicates("client", [s for s in statements if isinstance(s, ast.ClientDecl)], diagnostics)
    for statement in statements:
        kind = _KIND.get(type(statement))
        if kind is None:
            continue
        _words(statement, kind, diagnostics)
        if isinstance(statement, ast.PurposeDecl):
            _purpose(statement, declarations, clients, subject_kinds, diagnostics)
        elif isinstance(statement, ast.RecipientDecl):
            for name in statement.purposes:
                if name.value not in declarations.purposes:
                    diagnostics.append(Diagnostic(
                        "E0201", f"undefined purpose `{name.value}`", name.span,
                        help=did_you_mean(name.value, declarations.purposes.names())
                        or f"declare it: `purpose {name.value} basis …`"))
    return clients


def _words(decl, kind: str, diagnostics: list[Diagnostic]) -> None:
    allowed = WORDS[kind]
    first: dict[str, ast.Detail] = {}
    for detail in decl.details:
        word = detail.word.value
        if word not in allowed:
            homes = [k for k, words in WORDS.items() if word in words]
            diagnostics.append(Diagnostic(
                "E1101", f"`{word}` does not describe a {kind}", detail.word.span,
                help=(f"`{word}` goes on a " + " or a ".join(f"`{h}`" for h in homes) + "; " if homes else "")
                + f"a {kind} takes " + ", ".join(f"`{w}`" for w in allowed)))
            continue
        if word in ONCE and word in first:
            diagnostics.append(Diagnostic(
                "E1102", f"the {kind} `{decl.name.value}` gives `{word}` twice", detail.word.span,
                notes=(Note("first given here", first[word].word.span),),
                help=f"a {kind} has one `{word}`; join the texts"))
            continue
        if word in ONCE and len(detail.values) > 1:
            diagnostics.append(Diagnostic(
                "E1102", f"`{word}` takes one text, not {len(detail.values)}", detail.values[1].span,
                help="join the texts into one string"))
        first.setdefault(word, detail)
        for value in detail.values:
            if not value.value.strip():
                diagnostics.append(Diagnostic(
                    "E1106", f"an empty `{word}`", value.span,
                    help=f"write what the document should say, or remove `{word}`"))


def _purpose(decl: ast.PurposeDecl, declarations, clients, subject_kinds, diagnostics) -> None:
    for extra in decl.behalf[1:]:
        diagnostics.append(Diagnostic(
            "E1102", f"the purpose `{decl.name.value}` gives `on behalf of` twice", extra.span,
            notes=(Note("first given here", decl.behalf[0].span),),
            help="a purpose is processed for one controller; declare one purpose per client"))
    for client in decl.behalf[:1]:
        if client.value not in clients:
            diagnostics.append(Diagnostic(
                "E1104", f"undefined client `{client.value}`", client.span,
                help=did_you_mean(client.value, clients) or f"declare it: `client {client.value} named \"…\"`"))
    for detail in decl.details:
        if detail.word.value == "subjects" and subject_kinds is not None:
            for value in detail.values:
                if value.value not in subject_kinds:
                    shown = ", ".join(f'"{k}"' for k in sorted(subject_kinds))
                    diagnostics.append(Diagnostic(
                        "E1103", f'`subjects` names "{value.value}", which `fact subject.kind` does not declare',
                        value.span,
                        help=did_you_mean(value.value, subject_kinds)
                        or f"`fact subject.kind` declares {shown}"))
        if detail.word.value == "interest":
            basis = declarations.bases.get(decl.name.value)
            if basis is not None and basis != "legitimate_interest":
                diagnostics.append(Diagnostic(
                    "E1105", f"the purpose `{decl.name.value}` states an interest but its basis is `{basis}`",
                    detail.word.span,
                    help="a legitimate interest is stated for a purpose on `basis legitimate_interest` "
                    "(Art. 6(1)(f)); remove `interest` or change the basis"))
