"""The data-subject rights, and the Art. 13(2)(e) statement, that follow from a
purpose's lawful basis.

The builder calls `rights_for` and `provision_for` for each purpose, so the record,
the notice and the map state the same rights. Which rights apply depends on the
Art. 6(1) basis: portability only for consent and contract (Art. 20(1)(a)), the
general right to object only for legitimate interests and a public task (Art.
21(1)), withdrawal only for consent (Art. 7(3)), erasure not while the law or a
public task requires the data (Art. 17(3)(b)), Art. 22 only when the purpose
declares automated decision-making. Texts are short and addressed to the data
subject; the notice prints them as written here.

`basis` is the policy's word (`consent`, `contract`, `legal_obligation`,
`vital_interest`, `public_task`, `legitimate_interest`) or None when the purpose
states none: then only the rights that hold whatever the basis are said to apply.
"""

from __future__ import annotations

from engine.records.model import Right

#: how the notice names each right, in the order of the articles
NAMES: dict[str, str] = {
    "access": "Right of access",
    "rectification": "Right to rectification",
    "erasure": "Right to erasure",
    "restriction": "Right to restriction of processing",
    "portability": "Right to data portability",
    "objection": "Right to object",
    "automated": "Rights on automated decisions",
    "withdrawal": "Right to withdraw consent",
    "complaint": "Right to lodge a complaint",
}

#: each Art. 6(1) basis in plain words, for "we process it on the basis of …"
BASES: dict[str, str] = {
    "consent": "your consent",
    "contract": "a contract with you, or steps you asked for before entering into one",
    "legal_obligation": "a legal obligation we are subject to",
    "vital_interest": "the protection of your vital interests or those of another person",
    "public_task": "a task carried out in the public interest or in the exercise of official authority",
    "legitimate_interest": "our legitimate interests",
}

_DIRECT_MARKETING = ("Whatever the basis, if your data is used for direct marketing you can object at any "
                     "time and it is then no longer used for that (Art. 21(2) and (3)); whether this purpose "
                     "is direct marketing is not stated here.")


def basis_words(basis: str | None) -> str:
    """The basis in plain words; an unknown or missing basis is said to be unstated."""
    if basis is None:
        return "no legal basis stated"
    return BASES.get(basis, basis)


def _erasure(basis: str | None) -> Right:
    if basis in ("legal_obligation", "public_task"):
        reason = "the law requires us to keep it" if basis == "legal_obligation" else "the task requires it"
        return Right(id="erasure", article="Art. 17", applies=False, text=(
            f"You cannot have this data erased while {reason} (Art. 17(3)(b)). It is deleted once it is no "
            "longer needed, and you can ask for erasure if it was processed unlawfully."))
    grounds = {
        "consent": "when you withdraw your consent and no other ground allows the processing (Art. 17(1)(b))",
        "contract": "once it is no longer needed for the contract (Art. 17(1)(a))",
        "legitimate_interest": ("when you object and there are no overriding legitimate grounds (Art. 17(1)(c)), "
                                "or once it is no longer needed (Art. 17(1)(a))"),
        "vital_interest": "once it is no longer needed to protect those vital interests (Art. 17(1)(a))",
    }.get(basis or "", "once it is no longer needed (Art. 17(1)(a))")
    return Right(id="erasure", article="Art. 17", applies=True, text=(
        f"You can have your data erased without undue delay {grounds}, or if it was processed unlawfully; "
        "data the law requires us to keep is erased when that period ends (Art. 17(3))."))


def _portability(basis: str | None) -> Right:
    if basis in ("consent", "contract"):
        return Right(id="portability", article="Art. 20", applies=True, text=(
            "You can receive the data you gave us in a structured, commonly used, machine-readable format, "
            "and have it sent to another controller where technically feasible. This covers data processed "
            "by automated means."))
    return Right(id="portability", article="Art. 20", applies=False, text=(
        "Portability applies only to processing based on your consent or on a contract; this processing "
        f"rests on {basis_words(basis)}."))


def _objection(basis: str | None) -> Right:
    if basis in ("legitimate_interest", "public_task"):
        return Right(id="objection", article="Art. 21", applies=True, text=(
            "You can object at any time, on grounds relating to your particular situation. We then stop "
            "unless we show compelling legitimate grounds that override your interests, rights and freedoms, "
            "or need the data for legal claims (Art. 21(1)). " + _DIRECT_MARKETING))
    instead = " You can withdraw your consent instead." if basis == "consent" else ""
    return Right(id="objection", article="Art. 21", applies=False, text=(
        "The general right to object (Art. 21(1)) covers processing based on legitimate interests or a "
        f"public task; this processing rests on {basis_words(basis)}.{instead} " + _DIRECT_MARKETING))


def _automated(basis: str | None, automated: bool) -> Right:
    if not automated:
        return Right(id="automated", article="Art. 22", applies=False, text=(
            "No decision based solely on automated processing is declared for this purpose."))
    if basis in ("consent", "contract"):
        allowed = ("Such a decision is allowed here because it is necessary for a contract with you or "
                   "based on your explicit consent (Art. 22(2)(a), (c)).")
    else:
        allowed = ("Such a decision is allowed only if necessary for a contract with you, authorised by "
                   "law with safeguards, or based on your explicit consent (Art. 22(2)).")
    return Right(id="automated", article="Art. 22", applies=True, text=(
        "You have the right not to be subject to a decision based solely on automated processing, "
        f"including profiling, that has legal or similarly significant effects on you. {allowed} You can "
        "ask for a person to review the decision, state your point of view and contest it (Art. 22(3))."))


def rights_for(basis: str | None, automated: bool) -> list[Right]:
    """Every right of Arts. 15–22, 7(3) and 77, with whether it applies to a purpose
    on `basis` (that declares automated decision-making when `automated`)."""
    return [
        Right(id="access", article="Art. 15", applies=True, text=(
            "You can ask whether we process data about you and get a copy of it, with the purposes, "
            "recipients, retention period and source.")),
        Right(id="rectification", article="Art. 16", applies=True, text=(
            "You can have inaccurate data about you corrected and incomplete data completed.")),
        _erasure(basis),
        Right(id="restriction", article="Art. 18", applies=True, text=(
            "You can have the processing restricted while you contest the accuracy of the data"
            + (" or while your objection is checked" if basis in ("legitimate_interest", "public_task") else "")
            + ", if it is unlawful and you prefer restriction to erasure, or if we no longer need the data "
            "but you need it for legal claims.")),
        _portability(basis),
        _objection(basis),
        _automated(basis, automated),
        Right(id="withdrawal", article="Art. 7(3)", applies=basis == "consent", text=(
            "You can withdraw your consent at any time, as easily as you gave it; this does not affect "
            "the processing before the withdrawal." if basis == "consent" else
            f"This processing does not rest on your consent but on {basis_words(basis)}.")),
        Right(id="complaint", article="Art. 77", applies=True, text=(
            "You can lodge a complaint with a supervisory authority, in particular in the member state "
            "where you live, where you work or where the alleged infringement took place.")),
    ]


def provision_for(basis: str | None) -> str:
    """The Art. 13(2)(e) statement for a purpose on `basis`: whether providing the
    data is a statutory or contractual requirement, and what happens if it is not given."""
    return {
        "contract": ("Providing this data is necessary to enter into or perform the contract with you. If you "
                     "do not provide it, we cannot conclude or perform the contract."),
        "legal_obligation": ("Providing this data is a statutory requirement: the law obliges us to process it. "
                             "If you do not provide it, we cannot meet that obligation and may be unable to "
                             "proceed."),
        "consent": ("Providing this data is voluntary. You are not obliged to consent, and refusing or "
                    "withdrawing your consent has no detriment for you."),
        "legitimate_interest": ("You are not required by law or contract to provide this data; we process it "
                                "for the legitimate interests stated in this notice, and you can object."),
        "vital_interest": ("You are not required to provide this data; it is processed only where needed to "
                           "protect your vital interests or those of another person."),
        "public_task": ("Providing this data is not a contractual requirement; whether the law obliges you to "
                        "provide it depends on the law that sets the task, and without it the task may not "
                        "be carried out for you."),
    }.get(basis or "", "The policy states no legal basis for this purpose, so whether you must provide the "
                       "data, and what happens if you do not, is not stated.")
