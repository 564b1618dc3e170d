#!/usr/bin/env python3
"""Write syntaxes/lawful.tmLanguage.json, the TextMate grammar of the VS Code
extension, from the language's own sources, so the two cannot drift:

- every keyword is a quoted word of grammar/policy.lark (a `"word"` literal of
  letters and underscores); the contextual words are those of its `_name` rule
  (a keyword where their construct begins, a name elsewhere), the detail words
  those of `_detail_word`, the units those of `unit`, the bases those of
  `basis_name`;
- the recipient roles (engine.ir.ROLES) and the roots of the event fields
  (engine.event.fields.roots()) are those the project's Pygments lexer
  (engine/tools/highlight.py) reads.

The patterns mirror that lexer, in its order: a keyword matches only as a whole
word and not before a `.` (`consent.marketing` is a name), and each contextual
word is a keyword only in the construct it begins. One addition: `marker` is a
keyword inside a purpose declaration (the lexer leaves it a name).

Run it with the project's Python from anywhere:

    python editors/vscode/syntaxes/generate.py          # write the grammar
    python editors/vscode/syntaxes/generate.py --check  # exit 1 if it is out of date

The output is deterministic: keys sorted, indent 2, a trailing newline.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]  # editors/vscode/syntaxes -> the repository
GRAMMAR = ROOT / "grammar" / "policy.lark"
OUTPUT = HERE / "lawful.tmLanguage.json"

# What each kind of keyword is. Every word here must be a keyword of the grammar,
# and every keyword of the grammar is one of these or an "other" keyword.
DECLARATIONS = ("policy", "use", "region", "category", "purpose", "table", "obligation", "test",
                "rule")
EFFECTS = ("permit", "forbid", "require", "residency", "retain")
BASES = ("consent", "contract", "legal_obligation", "vital_interest", "public_task",
         "legitimate_interest")
CONSTANTS = ("true", "false")
#: the contextual words (the grammar's `_name` rule) that have a construct below,
#: besides the detail words; a new contextual word needs one before it is generated
CONTEXTUAL = ("fact", "has", "marker", "oblige", "recipient", "holds", "controller", "client",
              "behalf", "of")
#: the declarations named on their first line, whose name is scoped `entity.name`
NAMED_DECLARATIONS = ("category", "region", "table", "obligation", "use")

NAME = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*"
#: a keyword starts a word: not after a word character or a `.`
START = r"(?<![\w.])"
#: and ends one: not before a word character or a `.`
END = r"\b(?!\.)"

LITERAL = re.compile(r'"([A-Za-z_]+)"')
RULE = re.compile(r"^[!?]*([A-Za-z_][A-Za-z0-9_]*)\s*:", re.M)


class GrammarError(Exception):
    pass


def strip_comments(text: str) -> str:
    """The grammar without its `//` comments (which quote words of examples)."""
    return re.sub(r"(?m)(^|\s)//[^\n]*", r"\1", text)


def lark_rules(text: str) -> dict[str, str]:
    """The grammar's rules and terminals, each name to its body."""
    starts = list(RULE.finditer(text))
    rules: dict[str, str] = {}
    for here, after in zip(starts, starts[1:] + [None]):
        body = text[here.end():after.start() if after else len(text)]
        rules[here.group(1)] = body.split("\n%", 1)[0]
    return rules


def literals(body: str) -> list[str]:
    return LITERAL.findall(body)


def words_of(rules: dict[str, str], name: str) -> list[str]:
    """The quoted words of a rule and of the rules it names (one level down)."""
    if name not in rules:
        raise GrammarError(f"grammar/policy.lark has no rule `{name}`")
    body = rules[name]
    found = literals(body)
    for ref in re.findall(r"\b(_?[a-z][a-z0-9_]*)\b", body):
        if ref != name and ref in rules:
            found += literals(rules[ref])
    return found


def grammar_words(text: str) -> dict[str, tuple[str, ...]]:
    """The keywords of the Lark grammar, by kind."""
    text = strip_comments(text)
    rules = lark_rules(text)
    keywords = set(literals(text))
    soft = set(words_of(rules, "_name"))
    details = set(literals(rules.get("_detail_word", "")))
    units = set(literals(rules.get("unit", "")))
    bases = set(literals(rules.get("basis_name", "")))
    if not keywords:
        raise GrammarError("no quoted keyword found in grammar/policy.lark")
    problems = []
    for kind, expected in (("declaration", DECLARATIONS), ("effect", EFFECTS),
                           ("constant", CONSTANTS)):
        missing = sorted(set(expected) - keywords)
        if missing:
            problems.append(f"the {kind} words {missing} are no longer keywords of the grammar")
    if bases != set(BASES):
        problems.append(f"the grammar's bases (rule basis_name) are {sorted(bases)}, "
                        f"this generator knows {sorted(BASES)}")
    unknown_soft = sorted(soft - set(CONTEXTUAL) - details)
    if unknown_soft:
        problems.append(f"new contextual words {unknown_soft} (grammar rule _name): say in "
                        "generate.py where each is a keyword")
    if not details or not units:
        problems.append("the grammar has no rule `_detail_word` or `unit` with quoted words")
    if problems:
        raise GrammarError("; ".join(problems))
    fixed = set(DECLARATIONS) | set(EFFECTS) | set(BASES) | set(CONSTANTS) | units | soft
    return {
        "keywords": tuple(sorted(keywords)),
        "hard": tuple(sorted(keywords - soft)),
        "soft": tuple(sorted(soft)),
        "details": tuple(sorted(details)),
        "units": tuple(sorted(units)),
        "other": tuple(sorted(keywords - fixed)),
    }


def alternation(words) -> str:
    """A regex alternation of words, longest first (then alphabetical)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def keyword(words, scope: str, comment: str) -> dict:
    return {"comment": comment, "match": f"{START}(?:{alternation(words)}){END}",
            "name": scope}


def captures(*scopes: str | None) -> dict:
    return {str(i): {"name": s} for i, s in enumerate(scopes, 1) if s}


def tm_grammar(words: dict[str, tuple[str, ...]], roles, fields) -> dict:
    hard = alternation(words["hard"])
    field_roots = alternation(fields)
    # a declared name is scoped entity.name unless the lexer reads it otherwise: a
    # reserved word (a keyword) or a field's path (which no declaration may take)
    not_hard = f"(?!(?:{hard}){END})(?!(?:{field_roots})\\b)"
    decl = "storage.type.declaration.lawful"
    effect = "keyword.control.effect.lawful"
    other = "keyword.other.lawful"
    repository = {
        "comments": {"patterns": [
            {"comment": "`##` documents the declaration or rule below it",
             "match": "(##).*$", "name": "comment.line.number-sign.documentation.lawful",
             "captures": captures("punctuation.definition.comment.lawful")},
            {"match": "(#).*$", "name": "comment.line.number-sign.lawful",
             "captures": captures("punctuation.definition.comment.lawful")},
        ]},
        "strings": {"patterns": [{
            "comment": "one line; `\\\"` and `\\\\` in policy text, JSON's escapes in test events",
            "begin": '(")', "end": '(")|$', "name": "string.quoted.double.lawful",
            "beginCaptures": captures("punctuation.definition.string.begin.lawful"),
            "endCaptures": captures("punctuation.definition.string.end.lawful"),
            "patterns": [
                {"match": r'\\["\\]', "name": "constant.character.escape.lawful"},
                {"match": r"\\(?:[/bfnrt]|u[0-9A-Fa-f]{4})",
                 "name": "constant.character.escape.json.lawful"},
                {"match": r"\\.", "name": "invalid.illegal.unrecognized-escape.lawful"},
            ],
        }]},
        "rule-label": {"patterns": [{
            "comment": "`rule LABEL:`",
            "match": rf"{START}(rule)(\s+)({NAME})(\s*)(:)",
            "captures": captures(decl, None, "entity.name.function.rule.lawful", None,
                                 "punctuation.separator.label.lawful"),
        }]},
        "recipient": {"patterns": [{
            "comment": "contextual: `recipient NAME ROLE` begins a declaration (a field elsewhere)",
            "match": rf"^(recipient)(\s+)({NAME})(\s+)({alternation(roles)})\b",
            "captures": captures(decl, None, "entity.name.type.recipient.lawful", None,
                                 "support.type.role.lawful"),
        }]},
        "holds": {"patterns": [{
            "comment": "contextual: `holds` before the safeguards' strings",
            "match": rf'{START}holds(?=\s+")', "name": other,
        }]},
        "controller": {"patterns": [
            {"comment": "contextual: `controller NAME in` begins a declaration",
             "match": rf"^(controller)(\s+)({NAME})(\s+)(in)\b",
             "captures": captures(decl, None, "entity.name.type.controller.lawful", None, other)},
            {"comment": "elsewhere `controller` and `controller.country` are fields",
             "match": rf"{START}controller(?:\.country)?{END}",
             "name": "variable.language.field.lawful"},
        ]},
        "client": {"patterns": [{
            "comment": "contextual: `client NAME` begins a declaration",
            "match": rf"^(client)(\s+)({NAME})\b",
            "captures": captures(decl, None, "entity.name.type.client.lawful"),
        }]},
        "on-behalf-of": {"patterns": [{
            "comment": "contextual: `on behalf of CLIENT` in a purpose",
            "match": rf"{START}(on)(\s+)(behalf)(\s+)(of)(\s+)({NAME})\b",
            "captures": captures(other, None, other, None, other, None, "variable.other.lawful"),
        }]},
        "details": {"patterns": [{
            "comment": "contextual: a detail word before its string",
            "match": rf'{START}(?:{alternation(words["details"])})(?=\s+")',
            "name": "keyword.other.detail.lawful",
        }]},
        "fact": {"patterns": [{
            "comment": "contextual: `fact NAME in|is` begins a declaration",
            "match": rf"^fact(?=\s+{NAME}\s+i[ns]\b)", "name": decl,
        }]},
        "purpose": {"patterns": [{
            "comment": "a purpose declaration, to the next line that starts a statement",
            "begin": rf"^(purpose)(\s+){not_hard}({NAME})",
            "beginCaptures": captures(decl, None, "entity.name.function.purpose.lawful"),
            "end": r"^(?=\S)",
            "name": "meta.declaration.purpose.lawful",
            "patterns": [
                {"comment": "contextual: a clause of a purpose declaration",
                 "match": rf"{START}marker{END}", "name": "keyword.other.marker.lawful"},
                {"include": "$self"},
            ],
        }]},
        "named-declarations": {"patterns": [{
            "match": rf"^({alternation(NAMED_DECLARATIONS)})(\s+){not_hard}({NAME})",
            "captures": captures(decl, None, "entity.name.type.lawful"),
        }]},
        "declarations": {"patterns": [
            keyword(DECLARATIONS, decl, "declarations"),
        ]},
        "effects": {"patterns": [
            keyword(EFFECTS, effect, "the effects of rules"),
            {"comment": "contextual: `oblige OBLIGATIONS for` begins a rule",
             "match": rf"{START}oblige{END}(?=\s+{NAME}(?:\s*,\s*{NAME})*\s+for\b)",
             "name": effect},
        ]},
        "bases": {"patterns": [
            keyword(BASES, "support.constant.basis.lawful", "the lawful bases (Art. 6(1))"),
        ]},
        "constants": {"patterns": [
            keyword(CONSTANTS + ("null",), "constant.language.lawful",
                    "`null` only in test events' JSON"),
        ]},
        "durations": {"patterns": [{
            "match": rf"{START}([0-9]+)(\s+)({alternation(words['units'])})\b",
            "name": "constant.numeric.duration.lawful",
            "captures": captures("constant.numeric.integer.lawful", None,
                                 "keyword.other.unit.lawful"),
        }]},
        "keywords": {"patterns": [
            keyword(words["other"], other, "the other keywords"),
        ]},
        "has": {"patterns": [{
            "comment": "contextual: `has` before an event field",
            "match": rf"{START}has(?=[ \t]+(?:{field_roots})\b)", "name": other,
        }]},
        "fields": {"patterns": [{
            "comment": "the event's fields",
            "match": rf"{START}(?:{field_roots})(?:\.[a-z][a-z0-9_]*)*\b",
            "name": "variable.language.field.lawful",
        }]},
        "names": {"patterns": [
            {"match": rf"{START}{NAME}", "name": "variable.other.lawful"},
        ]},
        "countries": {"patterns": [
            {"match": r"\b[A-Z]{2}\b", "name": "constant.other.country.lawful"},
            {"match": r"\b[A-Z][A-Za-z0-9_]*", "name": "variable.other.constant.lawful"},
        ]},
        "numbers": {"patterns": [
            {"match": r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?",
             "name": "constant.numeric.lawful"},
        ]},
        "operators": {"patterns": [
            {"match": "==|!=|<=|>=|<|>", "name": "keyword.operator.comparison.lawful"},
            {"match": "=", "name": "keyword.operator.assignment.lawful"},
            {"match": ":", "name": "keyword.operator.key-value.lawful"},
            {"match": r"\+|-", "name": "keyword.operator.arithmetic.lawful"},
            {"match": r"\*", "name": "keyword.operator.wildcard.lawful"},
        ]},
        "punctuation": {"patterns": [
            {"match": r"\{", "name": "punctuation.section.braces.begin.lawful"},
            {"match": r"\}", "name": "punctuation.section.braces.end.lawful"},
            {"match": r"\[", "name": "punctuation.section.brackets.begin.lawful"},
            {"match": r"\]", "name": "punctuation.section.brackets.end.lawful"},
            {"match": r"\(", "name": "punctuation.section.parens.begin.lawful"},
            {"match": r"\)", "name": "punctuation.section.parens.end.lawful"},
            {"match": ",", "name": "punctuation.separator.comma.lawful"},
        ]},
    }
    # the order of engine/tools/highlight.py: at one position the first pattern wins
    order = ["comments", "strings", "rule-label", "recipient", "holds", "controller", "client",
             "on-behalf-of", "details", "fact", "purpose", "named-declarations", "declarations",
             "effects", "bases", "constants", "durations", "keywords", "has", "fields", "names",
             "countries", "numbers", "operators", "punctuation"]
    assert sorted(order) == sorted(repository)
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "comment": "Generated by editors/vscode/syntaxes/generate.py from grammar/policy.lark: "
                   "do not edit by hand.",
        "fileTypes": ["law"],
        "name": "Lawful",
        "scopeName": "source.lawful",
        "patterns": [{"include": f"#{name}"} for name in order],
        "repository": repository,
    }


def project_words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The recipient roles and event field roots, as the Pygments lexer reads them."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from engine.event import fields
    from engine.ir import ROLES

    return tuple(ROLES), tuple(sorted(fields.roots()))


def generate() -> str:
    words = grammar_words(GRAMMAR.read_text(encoding="utf-8"))
    roles, field_roots = project_words()
    grammar = tm_grammar(words, roles, field_roots)
    return json.dumps(grammar, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the grammar on disk differs from what would be generated")
    args = parser.parse_args(argv)
    try:
        text = generate()
    except GrammarError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    shown = OUTPUT.relative_to(ROOT)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current == text:
            print(f"{shown} is up to date")
            return 0
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(),
                                    f"{shown} (on disk)", f"{shown} (generated)", lineterm="", n=1)
        print("\n".join(list(diff)[:40]), file=sys.stderr)
        print(f"{shown} is out of date with grammar/policy.lark: run "
              f"`python {Path(__file__).resolve().relative_to(ROOT)}` and commit the result",
              file=sys.stderr)
        return 1
    if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {shown}")
    else:
        print(f"{shown} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
