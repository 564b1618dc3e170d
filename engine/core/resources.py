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
    """The folder of a standard library named by `use`, or None if unknown: `gdpr`
    is `rules/gdpr/`, a national layer `gdpr.<country>` is `rules/gdpr_national/<country>/`."""
    if library in LIBRARIES:
        folder = data_dir("rules") / library
    elif library.startswith(NATIONAL_PREFIX) and library[len(NATIONAL_PREFIX):] in national_layers():
        folder = data_dir("rules") / NATIONAL_DIR / library[len(NATIONAL_PREFIX):]
    else:
        return None
    return folder if folder.is_dir() else None


#: Libraries that `use` may name. `rules/examples` is not a library.
LIBRARIES = frozenset({"gdpr"})

#: National layers (Art. 9(4), Art. 88 GDPR...): `use gdpr.de` reads `rules/gdpr_national/de/`,
#: whose files `use gdpr` themselves; plain `use gdpr` never reads them.
NATIONAL_PREFIX = "gdpr."
NATIONAL_DIR = "gdpr_national"


@cache
def national_layers() -> frozenset[str]:
    """The countries with a national layer: the lower-case ISO 3166-1 codes that are
    folders of `rules/gdpr_national/`."""
    root = data_dir("rules") / NATIONAL_DIR
    if not root.is_dir():
        return frozenset()
    return frozenset(p.name for p in root.iterdir()
                     if p.is_dir() and len(p.name) == 2 and p.name.isalpha() and p.name.islower())


def library_names() -> list[str]:
    """Every name `use` accepts: the libraries, then the national layers."""
    return sorted(LIBRARIES) + sorted(NATIONAL_PREFIX + c for c in national_layers())


def library_of(location: str | None) -> str | None:
    """The library a file or location belongs to (`<gdpr>/regions.law:3:1` -> gdpr,
    `<gdpr.de>/genetic.law:9:1` -> gdpr.de)."""
    if not location or not location.startswith("<") or ">/" not in location:
        return None
    name = location[1:location.index(">/")]
    return name if name in LIBRARIES or library_dir(name) is not None else None
