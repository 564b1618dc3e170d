"""Where a recipient's country puts the data under Chapter V (Arts. 44-49): in the
EEA (no transfer), adequate (Art. 45), covered by what the recipient holds (the
EU-US DPF or PIPEDA under their adequacy decisions; an Art. 46 safeguard; BCR
under Art. 47), or with nothing. The regions come from the GDPR library
(`rules/gdpr/regions.law`), the one source of truth; the safeguards are the ones
its `gdpr_transfers` rule accepts."""

from __future__ import annotations

from functools import cache

import pycountry

#: Art. 46(2)-(3) safeguards the library's transfer rule accepts, with their article
SAFEGUARDS = {
    "scc": "Art. 46(2)(c) standard contractual clauses",
    "bcr": "Art. 47 binding corporate rules",
    "code_of_conduct": "Art. 46(2)(e) approved code of conduct",
    "certification": "Art. 46(2)(f) approved certification",
    "ad_hoc_clauses": "Art. 46(3)(a) authorised contractual clauses",
    "public_body_instrument": "Art. 46(2)(a) instrument between public bodies",
    "administrative_arrangement": "Art. 46(3)(b) administrative arrangement",
}
#: certifications that fall under a country's adequacy decision (Art. 45)
COVERED = {
    ("US", "dpf"): "Art. 45, EU-U.S. Data Privacy Framework (Decision (EU) 2023/1795)",
    ("CA", "pipeda"): "Art. 45, Canada under PIPEDA (Decision 2002/2/EC)",
}


@cache
def _regions() -> dict[str, frozenset[str]]:
    from ..load import load_policy_text

    regions = load_policy_text("use gdpr\n").vocabulary.regions
    return {"eea": regions["eea"] | regions["eu_outermost"], "adequate": regions["adequate"]}


def in_eea(country: str) -> bool:
    """The country is in the EEA (outermost regions included): no transfer."""
    return country in _regions()["eea"]


def eea() -> frozenset[str]:
    """The EEA's countries, outermost regions included."""
    return _regions()["eea"]


def country_name(code: str) -> str:
    """The short English name of an ISO 3166-1 alpha-2 code (the code when unknown)."""
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def mechanism(country: str, holds: frozenset[str] | set[str]) -> tuple[str, list[str], str] | None:
    """(mechanism, safeguards, article) for data received in `country` by a
    recipient holding `holds`; None when the country is in the EEA. The mechanism
    is "adequacy", "safeguard" or "none", in the library's order of preference."""
    if in_eea(country):
        return None
    if country in _regions()["adequate"]:
        return "adequacy", [], "Art. 45 adequacy decision"
    for (place, name), article in COVERED.items():
        if place == country and name in holds:
            return "adequacy", [name], article
    found = sorted(h for h in holds if h in SAFEGUARDS)
    if found:
        return "safeguard", found, "; ".join(SAFEGUARDS[h] for h in found)
    return "none", [], ""
