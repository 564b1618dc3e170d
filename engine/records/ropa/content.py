"""The Art. 30 record as tables: what every format of `lawful ropa` shows.

Markdown, HTML and the two spreadsheets all render these `Table`s, so the
formats cannot disagree: a spreadsheet shows each table as a sheet (one row per
purpose, one column per item of Art. 30(1)(a)–(g)); the documents show a wide
table as a card per row (`Table.cards`), which stays readable on paper.

A cell is a tuple of `Item`s: one statement each, with the `Source` (file:line)
of the declaration it comes from, so every published statement can be traced to
the policy text that is enforced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Category, CategoryUse, Party, Purpose, Record, Recipient, Retention, Source, Text, Transfer

#: what a cell says when the policy is silent on an item the record needs
NOT_STATED = "not stated in the policy"


@dataclass(frozen=True)
class Item:
    """One statement of a cell, with where the policy says it."""

    text: str
    source: Source | None = None


Cell = tuple[Item, ...]


@dataclass(frozen=True)
class Column:
    """A column: its header, and its width in characters (for the spreadsheets)."""

    header: str
    width: int = 30


@dataclass(frozen=True)
class Table:
    """One table of the record: a sheet of the workbook, a table of the documents.

    `cards`: the documents show each row as its own two-column table (item,
    content) headed by the row's first cell, because the row is too wide for a
    page. `empty`: what the documents say when there is no row."""

    sheet: str
    title: str
    intro: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    cards: bool = False
    empty: str = "None."


@dataclass(frozen=True)
class Section:
    """A heading of the documents with its tables."""

    title: str
    intro: str
    tables: tuple[Table, ...]


def sections(record: Record) -> tuple[Section, ...]:
    """The record, in the order the documents show it."""
    parts = [Section("Art. 30(1): record of processing activities of the controller",
                     "One entry per purpose the policy processes as controller: items (a) to (g) "
                     "of GDPR Art. 30(1).",
                     (party_table(record, "Controller"), activities_table(record)))]
    if record.processor_purposes:
        parts.append(Section("Art. 30(2): record of processing activities of the processor",
                             "The processing the policy's organisation carries out on behalf of each "
                             "client controller: items (a) to (d) of GDPR Art. 30(2).",
                             (party_table(record, "Processor"), clients_table(record))))
    parts.append(Section("Recipients, retention and categories",
                         "Every recipient, retention rule and category of personal data the policy declares.",
                         (recipients_table(record), retention_table(record), categories_table(record))))
    parts.append(Section("Not stated in the policy",
                         "Items a record needs that the policy does not state (lint codes W11xx).",
                         (gaps_table(record),)))
    return tuple(parts)


def tables(record: Record) -> tuple[Table, ...]:
    """Every table, the policy's first: the sheets of the workbook, in order."""
    return (policy_table(record),) + tuple(t for s in sections(record) for t in s.tables)


# --- the tables -----------------------------------------------------------


def policy_table(record: Record) -> Table:
    """What is enforced: the policy's name, digest and files."""
    rows = [
        ("Policy", (Item(record.policy or "(unnamed policy)"),)),
        ("Digest of the enforced policy", (Item(record.digest),)),
        ("Files", tuple(Item(f) for f in record.files) or (Item("none listed"),)),
        ("Record format", (Item(f"lawful ropa, schema version {record.schema_version}"),)),
    ]
    return Table("Policy", "Policy", "The policy this record is generated from: it is what the engine enforces.",
                 (Column("Item", 30), Column("Value", 90)),
                 tuple(((Item(key),), value) for key, value in rows))


def party_table(record: Record, role: str) -> Table:
    """Art. 30(1)(a) and 30(2)(a): the policy's organisation as "Controller" or as
    "Processor", with its contacts, representative (Art. 27) and DPO."""
    rows = () if record.controller is None else (_party_row(record.controller, role),)
    return Table(role, f"(a) {role}",
                 f"Name and contact details of the {role.lower()}, its representative (Art. 27) and "
                 "its data protection officer.",
                 _PARTY_COLUMNS, rows, cards=True, empty=f"No {role.lower()} is declared in the policy.")


_PARTY_COLUMNS = (Column("Name", 30), Column("Role", 18), Column("Country", 16), Column("Contact", 40),
                  Column("Data protection officer", 36), Column("Representative (Art. 27)", 30),
                  Column("Supervisory authority", 30), Column("Security measures (Art. 32(1))", 44),
                  Column("Description", 40))


def _party_row(party: Party, role: str) -> tuple[Cell, ...]:
    country = " ".join(filter(None, [party.country_name, f"({party.country})" if party.country else None]))
    return ((Item(party.label, party.source),), (Item(role),), (Item(country),) if country else (),
            _texts(party.contact, NOT_STATED), _texts(party.dpo, NOT_STATED), _texts(party.representative, "none"),
            _texts([party.authority] if party.authority else []), _texts(party.security, NOT_STATED),
            _texts([party.description] if party.description else []))


def activities_table(record: Record) -> Table:
    """Art. 30(1)(b)–(g): one row per purpose processed as controller."""
    controller, security = _organisation(record), _security(record)
    rows = tuple((
        (Item(p.label, p.source),), (Item(p.id),), controller, _description(p), _basis(p), _interest(p),
        _texts(p.subjects, NOT_STATED), _categories(record, p), _recipients(record, p.recipients),
        _transfers(record, p.transfers), _retention(record, p.retention), security,
        _texts([p.automated] if p.automated else []),
    ) for p in record.controller_purposes)
    columns = (Column("Purpose", 24), Column("Name in the policy", 18), Column("(a) Controller", 22),
               Column("(b) Description", 30), Column("(b) Lawful basis", 22), Column("(b) Legitimate interest", 30),
               Column("(c) Data subjects", 20), Column("(c) Personal data", 34), Column("(d) Recipients", 30),
               Column("(e) Transfers to third countries", 40), Column("(f) Time limits for erasure", 34),
               Column("(g) Security measures", 40), Column("Automated decisions (Art. 22)", 36))
    return Table("Art. 30(1)", "Processing activities", "Items (b) to (g) for each purpose.", columns, rows,
                 cards=True, empty="The policy processes no purpose as controller.")


def clients_table(record: Record) -> Table:
    """Art. 30(2)(a)–(d): one row per client controller the policy processes for."""
    processor, security = _organisation(record), _security(record)
    by_client: dict[str, list[Purpose]] = {}
    for purpose in record.processor_purposes:
        by_client.setdefault(purpose.on_behalf_of or "", []).append(purpose)
    declared = [c.id for c in record.clients if c.id in by_client]
    rows = []
    for client_id in declared + sorted(set(by_client) - set(declared)):
        client, purposes = record.client(client_id), by_client[client_id]
        name = (Item(client.label, client.source),) if client else (Item(f"{client_id} (not declared)"),)
        uses = tuple(Item(f"{p.label}: {_category_text(record, u)}", u.source) for p in purposes
                     for u in p.categories) + tuple(Item(f"{p.label}: every category", p.source)
                                                    for p in purposes if p.all_categories)
        rows.append((
            name, processor, _texts(client.contact if client else [], NOT_STATED),
            _texts(client.dpo if client else [], NOT_STATED), _texts(client.representative if client else [], "none"),
            tuple(Item(p.label, p.source) for p in purposes), uses or (Item(NOT_STATED),),
            _unique(item for p in purposes for item in _texts(p.subjects)) or (Item(NOT_STATED),),
            _unique(Item(_transfer_text(record, t), t.source) for p in purposes for t in p.transfers)
            or (Item("none"),),
            security + _texts(client.security if client else []),
        ))
    columns = (Column("(a) Client controller", 26), Column("(a) Processor", 24), Column("(a) Contact", 34),
               Column("(a) Data protection officer", 30), Column("(a) Representative (Art. 27)", 26),
               Column("(b) Processing on its behalf", 26), Column("(b) Personal data", 36),
               Column("(b) Data subjects", 20), Column("(c) Transfers to third countries", 40),
               Column("(d) Security measures", 40))
    return Table("Art. 30(2)", "Processing on behalf of clients",
                 "Items (a) to (d) for each client controller.", columns, tuple(rows), cards=True)


def recipients_table(record: Record) -> Table:
    """Art. 30(1)(d): every declared recipient."""
    rows = tuple((
        (Item(r.label, r.source),), (Item(r.id),), (Item(r.role.replace("_", " ")),),
        (Item(f"{r.country_name} ({r.country})"),), tuple(Item(_purpose_label(record, p)) for p in r.purposes),
        _transfers(record, [r.transfer]) if r.transfer else (Item("none: in the EEA"),),
        _texts(r.contact), _texts([r.description] if r.description else []),
    ) for r in record.recipients)
    columns = (Column("Recipient", 26), Column("Name in the policy", 16), Column("Role", 16), Column("Country", 20),
               Column("Purposes", 26), Column("Transfer", 40), Column("Contact", 30), Column("Description", 30))
    return Table("Recipients", "Recipients", "Every recipient the policy declares (Art. 30(1)(d), (e)).",
                 columns, rows, empty="The policy declares no recipient.")


def retention_table(record: Record) -> Table:
    """Art. 30(1)(f): every retention rule."""
    rows = tuple((
        (Item(r.duration, r.source),), (Item(str(r.days)),), _retained(record, r),
        (Item(r.because),) if r.because else (), (Item(r.cite),) if r.cite else (),
    ) for r in record.retention)
    columns = (Column("Kept for", 16), Column("Days", 8), Column("Categories", 34), Column("Because", 36),
               Column("Citation", 24))
    return Table("Retention", "Retention", "How long personal data is kept (Art. 30(1)(f)).", columns, rows,
                 empty="The policy states no retention rule.")


def categories_table(record: Record) -> Table:
    """Art. 30(1)(c): every category of personal data, special ones marked."""
    rows = tuple((
        (Item(c.label, c.source),), (Item(c.id),), (Item("yes (Art. 9)"),) if c.special else (),
        (Item("yes (Art. 10)"),) if c.criminal else (), tuple(Item(_category_label(record, p)) for p in c.parents),
        _texts(c.sources), _texts([c.description] if c.description else []),
    ) for c in record.categories)
    columns = (Column("Category", 26), Column("Name in the policy", 22), Column("Special category", 16),
               Column("Criminal offences", 16), Column("Part of", 20), Column("Obtained from", 34),
               Column("Description", 34))
    return Table("Categories", "Categories of personal data",
                 "Every category the policy declares; special categories (Art. 9) and data on "
                 "criminal convictions (Art. 10) are marked.", columns, rows,
                 empty="The policy declares no category.")


def gaps_table(record: Record) -> Table:
    """What the policy leaves unsaid."""
    rows = tuple(((Item(g.item, g.source),), (Item(g.code),), (Item(g.message),)) for g in record.gaps)
    return Table("Gaps", "Gaps", "Each item the policy does not state, where to state it.",
                 (Column("Item", 40), Column("Code", 10), Column("What is missing", 60)), rows,
                 empty="None: the policy states every item.")


# --- cells ----------------------------------------------------------------


def _texts(texts: list[Text], missing: str | None = None) -> Cell:
    """A cell of the policy's statements; `missing` when there are none."""
    cell = tuple(Item(t.text, t.source) for t in texts)
    return cell or ((Item(missing),) if missing else ())


def _organisation(record: Record) -> Cell:
    """The policy's organisation (the controller, or the processor in Art. 30(2))."""
    party = record.controller
    return (Item(party.label, party.source),) if party else (Item("no controller declared"),)


def _security(record: Record) -> Cell:
    """The organisation's security measures (Art. 30(1)(g), 30(2)(d))."""
    return _texts(record.controller.security if record.controller else [], NOT_STATED)


def _unique(items: Iterable[Item]) -> Cell:
    """The items in order, each once."""
    return tuple(dict.fromkeys(items))


def _description(purpose: Purpose) -> Cell:
    cell = _texts([purpose.description] if purpose.description else [])
    if purpose.parents:
        cell += (Item("part of: " + ", ".join(purpose.parents)),)
    return cell


def _basis(purpose: Purpose) -> Cell:
    if purpose.basis is None:
        return (Item(NOT_STATED),)
    article = f" ({purpose.basis_article})" if purpose.basis_article else ""
    return (Item(purpose.basis.replace("_", " ") + article, purpose.basis_source),)


def _interest(purpose: Purpose) -> Cell:
    if purpose.interest is not None:
        return (Item(purpose.interest.text, purpose.interest.source),)
    return (Item(NOT_STATED),) if purpose.basis == "legitimate_interest" else ()


def _categories(record: Record, purpose: Purpose) -> Cell:
    cell = tuple(Item(_category_text(record, use), use.source) for use in purpose.categories)
    if purpose.all_categories:
        cell = (Item("every category", purpose.source),) + cell
    return cell or (Item(NOT_STATED),)


def _category_text(record: Record, use: CategoryUse) -> str:
    """A category a purpose processes, marked special (Art. 9) or criminal (Art. 10)
    and conditional when its permit has a condition."""
    category = record.category(use.category)
    marks = _marks(category) + (["when its conditions hold"] if use.conditional else [])
    return _category_label(record, use.category) + (f" ({'; '.join(marks)})" if marks else "")


def _marks(category: Category | None) -> list[str]:
    if category is None:
        return []
    return (["special category, Art. 9"] if category.special else []) + (
        ["criminal offences, Art. 10"] if category.criminal else [])


def _category_label(record: Record, id: str) -> str:
    category = record.category(id)
    return category.label if category else id


def _purpose_label(record: Record, id: str) -> str:
    return next((p.label for p in record.purposes if p.id == id), id)


def _recipients(record: Record, ids: list[str]) -> Cell:
    return tuple(_recipient_item(record.recipient(id), id) for id in ids) or (Item("none"),)


def _recipient_item(recipient: Recipient | None, id: str) -> Item:
    if recipient is None:
        return Item(f"{id} (not declared)")
    where = f"{recipient.role.replace('_', ' ')}, {recipient.country_name}"
    return Item(f"{recipient.label} ({where})", recipient.source)


def _transfers(record: Record, transfers: list[Transfer]) -> Cell:
    return tuple(Item(_transfer_text(record, t), t.source) for t in transfers) or (Item("none"),)


def _transfer_text(record: Record, transfer: Transfer) -> str:
    """Where data goes outside the EEA and under which Chapter V mechanism."""
    recipient = record.recipient(transfer.to)
    to = recipient.label if recipient else transfer.to
    country = transfer.country_name or transfer.country
    where = f"{to} ({country})" if country and country != to else to
    if transfer.mechanism == "adequacy":
        mechanism = f"adequacy decision ({transfer.article or 'Art. 45'})"
    elif transfer.mechanism == "safeguard":
        mechanism = transfer.article or "appropriate safeguards (Art. 46)"
        if transfer.safeguards:
            mechanism += "; safeguards: " + ", ".join(transfer.safeguards)
    else:
        mechanism = "no transfer mechanism stated in the policy"
    return f"{where}: {mechanism}"


def _retention(record: Record, rules: list[Retention]) -> Cell:
    cell = tuple(Item(f"{_retained_text(record, r)}: {r.duration}" + _why(r), r.source) for r in rules)
    return cell or (Item(NOT_STATED),)


def _retained(record: Record, rule: Retention) -> Cell:
    return tuple(Item(_category_label(record, c)) for c in rule.categories) or (Item("every category"),)


def _retained_text(record: Record, rule: Retention) -> str:
    return ", ".join(item.text for item in _retained(record, rule))


def _why(rule: Retention) -> str:
    reasons = [r for r in (rule.because, rule.cite) if r]
    return f" ({'; '.join(reasons)})" if reasons else ""
