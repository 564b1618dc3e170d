"""The records a DPO keeps, as data: what `lawful ropa`, `lawful notice` and
`lawful map` render. One builder (`engine.records.build`) fills it from the
checked policy; every renderer reads only this model, so the record, the notice
and the map cannot disagree.

Every statement carries a `Source` (file and line of the declaration or rule it
comes from), so a published item can be traced to the policy text that is
enforced. Names (`id`) are the policy's names; `label` is the human-readable
name (a `named "…"` detail, else the name with `_` and `.` spelled out).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: the version of the JSON document `lawful ropa --format json` writes (its
#: schema is docs/schema/ropa.schema.json)
SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    """Where an item is declared: file (as the policy was loaded) and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Text(_Model):
    """A statement of the policy, with where it is written."""

    text: str
    source: Source | None = None


class Party(_Model):
    """The controller, or a client on whose behalf the policy's organisation
    processes as a processor (Art. 30(2)(a))."""

    id: str
    label: str
    country: str | None = None  # ISO 3166-1 alpha-2, for the controller
    country_name: str | None = None
    contact: list[Text] = []
    dpo: list[Text] = []
    representative: list[Text] = []  # Art. 27
    authority: Text | None = None  # the lead supervisory authority, when declared
    security: list[Text] = []  # Art. 32(1) measures (Art. 30(1)(g), 30(2)(d))
    description: Text | None = None  # the declaration's doc comment
    source: Source | None = None


class Category(_Model):
    """A category of personal data (Art. 30(1)(c))."""

    id: str
    label: str
    parents: list[str] = []
    special: bool = False  # Art. 9(1) special category (under `special`)
    criminal: bool = False  # Art. 10 data (under `criminal`)
    sources: list[Text] = []  # Art. 14(2)(f): where data not obtained from the subject comes from
    description: Text | None = None
    source: Source | None = None


class Retention(_Model):
    """A `retain` rule: how long categories are kept (Art. 30(1)(f), 13(2)(a))."""

    categories: list[str]  # [] means every category (`retain *`)
    duration: str  # as written: "30 days", "10 years"
    days: int  # the duration in days, as the engine counts it
    because: str | None = None
    cite: str | None = None
    source: Source | None = None


class Residency(_Model):
    """A `residency` rule: categories that stay in a region (a destination outside it is denied)."""

    categories: list[str]  # [] means every category
    region: str  # as written: "eea", "eu + {CH}"
    countries: list[str]
    because: str | None = None
    cite: str | None = None
    source: Source | None = None


class Transfer(_Model):
    """Personal data leaving the EEA (Art. 30(1)(e), 13(1)(f)): to a recipient in a
    third country, or to a destination a rule permits outside the EEA."""

    to: str  # a recipient's id, or a region/country as written in the rule
    country: str | None = None
    country_name: str | None = None
    mechanism: Literal["adequacy", "safeguard", "none"]
    safeguards: list[str] = []  # what the recipient holds ("dpf", "scc"…)
    article: str  # "Art. 45" (adequacy), "Art. 46" / "Art. 45 (EU-US DPF)"…, or "" for none
    source: Source | None = None


class Recipient(_Model):
    """A declared recipient (Art. 30(1)(d), 13(1)(e))."""

    id: str
    label: str
    role: str  # processor, controller, joint_controller
    country: str
    country_name: str
    holds: list[str] = []
    purposes: list[str] = []  # the purposes it receives data for (`for …`)
    contact: list[Text] = []
    transfer: Transfer | None = None  # None when the country is in the EEA
    description: Text | None = None
    source: Source | None = None


class CategoryUse(_Model):
    """A category a purpose may process: the permit rule that allows it."""

    category: str
    rule: str  # the rule's label, or its place
    conditional: bool  # the permit has a `when`/`unless`
    source: Source | None = None


class Right(_Model):
    """A data-subject right as it applies to a purpose (Arts. 15–22, 7(3), 77)."""

    id: Literal["access", "rectification", "erasure", "restriction", "objection",
                "portability", "withdrawal", "complaint", "automated"]
    article: str
    applies: bool
    text: str


class Purpose(_Model):
    """One processing activity (a row of the Art. 30 record)."""

    id: str
    label: str
    description: Text | None = None  # the purpose's doc comment
    parents: list[str] = []
    basis: str | None = None  # consent, contract, …; None for a marker or an undeclared basis
    basis_article: str = ""  # "Art. 6(1)(a)"…
    basis_source: Source | None = None
    interest: Text | None = None  # Art. 6(1)(f), 13(1)(d): the legitimate interest pursued
    subjects: list[Text] = []  # kinds of data subject (Art. 30(1)(c))
    categories: list[CategoryUse] = []
    all_categories: bool = False  # a permit names every category (`on *` or no `on`)
    recipients: list[str] = []  # recipient ids
    transfers: list[Transfer] = []
    retention: list[Retention] = []
    residency: list[Residency] = []
    automated: Text | None = None  # Art. 22 automated decision-making, with its logic
    provision: Text  # Art. 13(2)(e): declared, else derived from the basis
    rights: list[Right] = []
    on_behalf_of: str | None = None  # a client id: processed as a processor (Art. 30(2))
    special: bool = False  # processes an Art. 9 category
    source: Source | None = None


class Gap(_Model):
    """An item a document needs and the policy does not state (the W11xx lint codes)."""

    code: str
    item: str  # "legitimate interest of `fraud_prevention`"
    message: str
    source: Source | None = None


class Record(_Model):
    """Everything the documents show, for one policy."""

    schema_version: str = Field(default=SCHEMA_VERSION)
    policy: str | None  # the policy's name
    digest: str  # the policy's digest: what is enforced
    files: list[str] = []  # the policy's own files (not the libraries)
    controller: Party | None = None
    clients: list[Party] = []
    purposes: list[Purpose] = []  # every purpose an event can be for, in name order
    categories: list[Category] = []
    recipients: list[Recipient] = []
    retention: list[Retention] = []
    residency: list[Residency] = []
    gaps: list[Gap] = []

    @property
    def controller_purposes(self) -> list[Purpose]:
        """The Art. 30(1) rows: purposes processed as controller."""
        return [p for p in self.purposes if p.on_behalf_of is None]

    @property
    def processor_purposes(self) -> list[Purpose]:
        """The Art. 30(2) rows: purposes processed on behalf of a client."""
        return [p for p in self.purposes if p.on_behalf_of is not None]

    @cached_property
    def _by_id(self) -> dict[str, dict]:
        """Categories, recipients and clients by id (the renderers look them up per edge)."""
        return {"category": {c.id: c for c in self.categories}, "recipient": {r.id: r for r in self.recipients},
                "client": {c.id: c for c in self.clients}}

    def category(self, id: str) -> Category | None:
        return self._by_id["category"].get(id)

    def recipient(self, id: str) -> Recipient | None:
        return self._by_id["recipient"].get(id)

    def client(self, id: str) -> Party | None:
        return self._by_id["client"].get(id)
