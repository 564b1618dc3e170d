"""Where the grammar and the rule libraries live.

In the repository they sit at the top level (``grammar/``, ``rules/``); in an
installed wheel they are packed inside the package as ``engine/_data/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # engine/


@cache
def data_dir(name: str) -> Path:
    """The folder ``grammar`` or ``rules``, from the wheel or the checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the Lawful installation has no `{name}` folder")


def grammar_text() -> str:
    return (data_dir("grammar") / "policy.lark").read_text(encoding="utf-8")


def library_dir(library: str) -> Path | None:
    """The folder of a standard library named by `use`, or None if unknown."""
    if not library.isidentifier():
        return None
    folder = data_dir("rules") / library
    return folder if folder.is_dir() and library in LIBRARIES else None


#: Libraries that `use` may name. `rules/examples` is not a library.
LIBRARIES = frozenset({"gdpr"})


def library_of(location: str | None) -> str | None:
    """The library a file or location belongs to (`<gdpr>/regions.law:3:1` -> gdpr)."""
    if not location or not location.startswith("<") or ">/" not in location:
        return None
    name = location[1:location.index(">/")]
    return name if name in LIBRARIES else None
