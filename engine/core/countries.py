"""ISO 3166-1 alpha-2 country codes, from the maintained `pycountry` list."""

from __future__ import annotations

from functools import cache

import pycountry

from .diagnostics import did_you_mean


@cache
def iso_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def is_country(code: object) -> bool:
    return isinstance(code, str) and code in iso_codes()


def suggest(code: str) -> str | None:
    """Help for a code that is not ISO 3166-1 alpha-2."""
    if code == "EL":
        return "ISO writes Greece as `GR` (the EU's `EL` is not an ISO code)"
    if code == "UK":
        return "ISO writes the United Kingdom as `GB`"
    if len(code) == 3:
        match = pycountry.countries.get(alpha_3=code.upper())
        if match:
            return f"`{code}` is an alpha-3 code; write `{match.alpha_2}` ({match.name})"
    return did_you_mean(code, iso_codes())
