"""A Pygments lexer for the Lawful language.

It highlights the REPL, and it is registered as a Pygments plugin (entry point
`pygments.lexers`, alias `lawful` and `law`), so documentation tools that use
Pygments highlight ```law blocks with it.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text

from ..event import fields
from ..ir import ROLES
from ..syntax.parser import DETAIL_WORDS, KEYWORDS

BASES = ("consent", "contract", "legal_obligation", "vital_interest", "public_task",
         "legitimate_interest")
DECLARATIONS = ("policy", "use", "region", "category", "purpose", "table", "obligation", "test",
                "rule")
EFFECTS = ("permit", "forbid", "require", "residency", "retain")
UNITS = ("day", "days", "month", "months", "year", "years")
OTHER_KEYWORDS = tuple(sorted(set(KEYWORDS) - set(BASES) - set(DECLARATIONS) - set(EFFECTS)
                              - set(UNITS) - {"true", "false"}))
FIELDS = tuple(sorted(fields.roots(), key=lambda root: (-len(root), root)))  # longest first
NAME = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*"


class LawfulLexer(RegexLexer):
    name = "Lawful"
    aliases = ["lawful", "law"]
    filenames = ["*.law"]
    mimetypes = ["text/x-lawful"]

    tokens = {
        "root": [
            (r"\s+", Text),
            (r"##[^\n]*", String.Doc),
            (r"#[^\n]*", Comment.Single),
            (r"(rule)(\s+)(" + NAME + r")(\s*)(:)",
             bygroups(Keyword.Declaration, Text, Name.Label, Text, Punctuation)),
            # contextual words: keywords only where their construct begins
            (r"^(recipient)(\s+)(" + NAME + r")(\s+)(" + "|".join(ROLES) + r")\b",
             bygroups(Keyword.Declaration, Text, Name, Text, Keyword.Type)),
            (r'(holds)(\s+)(?=")', bygroups(Keyword, Text)),
            (r"(?m)^(controller)(\s+)(" + NAME + r")(\s+)(in)\b",
             bygroups(Keyword.Declaration, Text, Name, Text, Keyword)),
            (r"controller(?:\.country)?\b(?!\.)", Name.Builtin),
            (r"(?m)^(client)(\s+)(" + NAME + r")\b", bygroups(Keyword.Declaration, Text, Name)),
            (r"(on)(\s+)(behalf)(\s+)(of)(\s+)(" + NAME + r")\b",
             bygroups(Keyword, Text, Keyword, Text, Keyword, Text, Name)),
            # a detail: its word is a keyword before its text
            (r"(" + "|".join(DETAIL_WORDS) + r")(\s+)(?=\")", bygroups(Keyword, Text)),
            # `fact` is a contextual word: a declaration only where one begins
            (r"(?m)^(fact)(\s+)(?=" + NAME + r"\s+i[ns]\b)", bygroups(Keyword.Declaration, Text)),
            (words(DECLARATIONS, suffix=r"\b(?!\.)"), Keyword.Declaration),
            (words(EFFECTS, suffix=r"\b(?!\.)"), Keyword.Reserved),
            # contextual: `oblige` is a keyword where obligations and `for` follow, else a name
            (r"oblige\b(?!\.)(?=\s+" + NAME + r"(?:\s*,\s*" + NAME + r")*\s+for\b)", Keyword.Reserved),
            (words(BASES, suffix=r"\b(?!\.)"), Name.Constant),
            (words(("true", "false", "null"), suffix=r"\b(?!\.)"), Keyword.Constant),
            (r"([0-9]+)(\s+)(" + "|".join(UNITS) + r")\b", bygroups(Number.Integer, Text, Keyword.Type)),
            (words(OTHER_KEYWORDS, suffix=r"\b(?!\.)"), Keyword),
            # the contextual `has`: a keyword before a field, a name elsewhere
            (r"(has)([ \t]+)(?=(?:" + "|".join(FIELDS) + r")\b)", bygroups(Keyword, Text)),
            (r"(?:" + "|".join(FIELDS) + r")(?:\.[a-z][a-z0-9_]*)*\b", Name.Builtin),
            (NAME, Name),
            (r"[A-Z]{2}\b", Name.Constant),
            (r"[A-Z][A-Za-z0-9_]*", Name),
            include("literals"),
            (r"==|!=|<=|>=|<|>|\+|-|=|\*", Operator),
            (r"[{}()\[\],:]", Punctuation),
            (r".", Text),
        ],
        "literals": [
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", Number),
        ],
    }
