"""The Art. 13/14 privacy notice (`lawful notice`): a draft addressed to the data
subject, rendered from a `Record` as Markdown or as one HTML file.

The notice has a section for each item Arts. 13 and 14 require, in their order,
and says so explicitly when the policy does not state an item, so a missing DPO
or retention period shows up as a sentence to complete rather than as a silence.
Only the purposes processed as controller are the controller's notice; those
processed `on_behalf_of` a client are named in their own section as the client's
processing, for which the client is the controller and its own notice applies.

Every statement cites the declaration it comes from (a Markdown footnote, an HTML
superscript link into the Sources list). A derived statement cites what it is
derived from: the rights and, when none is declared, the Art. 13(2)(e) statement
cite the purpose's basis; a missing item cites the declaration that lacks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.records import prose
from engine.records.model import Category, Party, Purpose, Record, Recipient, Right, Source, Text, Transfer
from engine.records.prose import Bullets, Block, Inline, Item, Para, Ref, Section, Strong, Value
from engine.records.rights import NAMES, basis_words, rights_for

_ROLES = {
    "processor": "a processor, acting on our instructions",
    "controller": "an independent controller",
    "joint_controller": "a joint controller with us (Art. 26)",
}
_SAFEGUARDS = {
    "dpf": "EU-U.S. Data Privacy Framework certification",
    "scc": "standard contractual clauses",
    "bcr": "binding corporate rules",
}
_RIGHTS_13_2_B = ("access", "rectification", "erasure", "restriction", "objection", "portability")


def markdown(record: Record) -> str:
    """The notice as Markdown, its sources as footnotes."""
    return prose.markdown(document(record))


def html(record: Record) -> str:
    """The notice as one self-contained HTML file, its sources as an anchored list."""
    return prose.html(document(record))


def document(record: Record) -> prose.Document:
    """What the notice says, in the order of Arts. 13 and 14."""
    purposes = record.controller_purposes
    sections = [
        _controller(record.controller),
        _dpo(record.controller),
        _purposes(purposes),
        *([_on_behalf(record)] if record.processor_purposes else []),
        _interests(purposes),
        _categories(record, purposes),
        _recipients(record, purposes),
        _transfers(record, purposes),
        _retention(record, purposes),
        _rights(purposes),
        _withdrawal(purposes),
        _complaint(record.controller, purposes),
        _provision(purposes),
        _automated(purposes),
        _open_items(record),
    ]
    controller = record.controller.label if record.controller else "the controller"
    return prose.Document(title=f"Privacy notice (draft): {controller}", lead=_lead(record), sections=tuple(sections))


# ---- helpers -------------------------------------------------------------------------------------

def _text(text: Text) -> tuple[Inline, ...]:
    return (Value(text.text), Ref(text.source))


def _join(names: Sequence[Inline]) -> tuple[Inline, ...]:
    """`a`, `a and b`, `a, b and c`."""
    return _runs([[name] for name in names])


def _join_runs(parts: Sequence[Inline]) -> tuple[Inline, ...]:
    """`_join` over runs that each end with a Ref (a named thing and its note)."""
    runs: list[list[Inline]] = [[]]
    for part in parts:
        runs[-1].append(part)
        if isinstance(part, Ref):
            runs.append([])
    return _runs([r for r in runs if r])


def _runs(runs: Sequence[Sequence[Inline]]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for i, run in enumerate(runs):
        if i:
            out.append(" and " if i == len(runs) - 1 else ", ")
        out += run
    return tuple(out)


def _purpose_names(purposes: Iterable[Purpose], cite: str = "source") -> tuple[Inline, ...]:
    """Purposes by label, each citing its declaration (or its basis, `cite="basis"`)."""
    names: list[Inline] = []
    for p in purposes:
        names.append(_name(p))
        names.append(Ref(_basis_source(p) if cite == "basis" else p.source))
    return _join_runs(names)


def _name(purpose: Purpose) -> Strong:
    return Strong((Value(purpose.label),))


def _basis_source(purpose: Purpose) -> Source | None:
    """What a statement derived from the basis cites: the basis, else the purpose."""
    return purpose.basis_source or purpose.source


def _section(id: str, title: str, *blocks: Block) -> Section:
    return Section(id=id, title=title, blocks=tuple(blocks))


def _para(*parts: Inline) -> Para:
    return Para(tuple(parts))


def _bullets(items: Iterable[Item]) -> Bullets:
    return Bullets(tuple(items))


def _none(text: str, source: Source | None = None) -> Para:
    return _para(text, Ref(source))


# ---- sections ------------------------------------------------------------------------------------

def _lead(record: Record) -> tuple[Block, ...]:
    policy = record.policy or "(unnamed)"
    lead: list[Block] = [
        Para(("DRAFT. Generated from the policy ", Value(policy), " (", Value(record.digest), "). It states "
              "what the enforced policy declares, and says so where the policy does not state an item the "
              "notice needs. Review and complete it before publishing it; it is not legal advice."),
             note=True),
    ]
    who = (Value(record.controller.label), Ref(record.controller.source)) if record.controller \
        else ("the controller",)
    lead.append(_para("This notice tells you how ", *who, " (“we”) processes personal data about you, as "
                      "Articles 13 and 14 of the General Data Protection Regulation (GDPR) require. "
                      "“Art.” refers to the GDPR."))
    if record.controller and record.controller.description:
        lead.append(_para(*_text(record.controller.description)))
    return tuple(lead)


def _controller(controller: Party | None) -> Section:
    title = "Who is responsible for your data (Art. 13(1)(a), 14(1)(a))"
    if controller is None:
        return _section("controller", title, _para(
            "Not stated: the policy declares no controller. The name and contact details of the controller "
            "must be added."))
    where = (", ", Value(controller.country_name or controller.country or "")) \
        if (controller.country_name or controller.country) else ()
    blocks: list[Block] = [_para("The controller is ", Strong((Value(controller.label),)), *where, ".",
                                 Ref(controller.source))]
    if controller.contact:
        blocks += [_para("Contact:"), _bullets(Item(_text(c)) for c in controller.contact)]
    else:
        blocks.append(_none("Contact details: not stated. They must be added.", controller.source))
    if controller.representative:
        blocks += [_para("Our representative in the Union (Art. 27):"),
                   _bullets(Item(_text(r)) for r in controller.representative)]
    else:
        blocks.append(_none("Representative in the Union (Art. 27): none stated. One is needed only if the "
                            "controller is not established in the Union.", controller.source))
    return _section("controller", title, *blocks)


def _dpo(controller: Party | None) -> Section:
    title = "Data protection officer (Art. 13(1)(b), 14(1)(b))"
    if controller and controller.dpo:
        return _section("dpo", title, _para("You can contact our data protection officer:"),
                        _bullets(Item(_text(d)) for d in controller.dpo))
    return _section("dpo", title, _none(
        "Not stated: the policy names no data protection officer. If one is designated (Art. 37), their "
        "contact details must be added.", controller.source if controller else None))


def _purposes(purposes: Sequence[Purpose]) -> Section:
    title = "What we process your data for, and on which legal basis (Art. 13(1)(c), 14(1)(c))"
    if not purposes:
        return _section("purposes", title, _para(
            "Not stated: the policy declares no purpose for which we process personal data as controller."))
    items = []
    for p in purposes:
        children = []
        if p.description:
            children.append(Item(_text(p.description)))
        if p.basis:
            children.append(Item(("Legal basis: ", basis_words(p.basis), f" ({p.basis_article})."
                                  if p.basis_article else ".", Ref(p.basis_source))))
        else:
            children.append(Item(("Legal basis: not stated. Every purpose needs one (Art. 6(1)); it must be "
                                  "added.", Ref(p.source))))
        if p.special:
            children.append(Item(("It involves special categories of personal data (Art. 9(1)). The "
                                  "exception of Art. 9(2) relied on must be stated here.", Ref(p.source))))
        if p.subjects:
            children.append(Item(("Whom it concerns: ", *_join([Value(s.text) for s in p.subjects]), ".",
                                  *(Ref(s) for s in _unique(s.source for s in p.subjects)))))
        else:
            children.append(Item(("Whom it concerns: not stated.", Ref(p.source))))
        items.append(Item((_name(p), Ref(p.source)), tuple(children)))
    return _section("purposes", title, _bullets(items))


def _on_behalf(record: Record) -> Section:
    blocks: list[Block] = []
    clients: dict[str, list[Purpose]] = {}
    for p in record.processor_purposes:
        clients.setdefault(p.on_behalf_of or "", []).append(p)
    for client_id, purposes in clients.items():
        client = record.client(client_id)
        name: tuple[Inline, ...] = (Strong((Value(client.label if client else client_id),)),
                                    Ref(client.source if client else None))
        blocks.append(_para("For ", *_purpose_names(purposes), " we process personal data on behalf of ",
                            *name, ", as its processor (Art. 28). For this processing ", *name[:1],
                            " is the controller: its own privacy notice applies, and the rest of this notice "
                            "does not. Please address requests about it to ", *name[:1], "."))
        if client and client.contact:
            blocks.append(_bullets(Item(("Contact: ", *_text(c))) for c in client.contact))
    return _section("on-behalf", "Processing we do for others as a processor", *blocks)


def _interests(purposes: Sequence[Purpose]) -> Section:
    title = "Our legitimate interests (Art. 13(1)(d), 14(2)(b))"
    relying = [p for p in purposes if p.basis == "legitimate_interest"]
    if not relying:
        return _section("interests", title, _para("No purpose relies on legitimate interests (Art. 6(1)(f))."))
    items = [Item((_name(p), ": ", *_text(p.interest))) if p.interest else
             Item((_name(p), ": not stated. The legitimate interest pursued must be added.",
                   Ref(_basis_source(p)))) for p in relying]
    return _section("interests", title, _bullets(items))


def _categories(record: Record, purposes: Sequence[Purpose]) -> Section:
    title = "Which data we process, and where it comes from (Art. 14(1)(d), 14(2)(f))"
    items: list[Item] = []
    used: list[Category] = []
    for p in purposes:
        names: list[Inline] = []
        for use in p.categories:
            category = record.category(use.category)
            if category and category not in used:
                used.append(category)
            label = category.label if category else use.category
            names += [Value(label), *_kind(category), " (under conditions)" if use.conditional else "",
                      Ref(use.source)]
        if p.all_categories:
            used += [c for c in record.categories if c not in used]
            names.append("any category of personal data (the permit names none)")
        if names:
            items.append(Item((_name(p), ": ", *_join_runs(names), ".")))
        else:
            items.append(Item((_name(p), ": not stated. No data category is permitted for "
                               "this purpose.", Ref(p.source))))
    blocks: list[Block] = [_bullets(items)] if items else [_para("Not stated: there is no purpose.")]
    sourced = [c for c in used if c.sources]
    if sourced:
        blocks.append(_para("Data we do not collect from you comes from these sources:"))
        blocks.append(_bullets(Item((Strong((Value(c.label),)), ": ",
                                     *_join_runs([part for s in c.sources for part in _text(s)]), "."))
                               for c in sourced))
        blocks.append(_para("The policy names no other source: all other data is collected from you."))
    elif used:
        blocks.append(_para("The policy names no source other than you: the data is collected from you."))
    return _section("categories", title, *blocks)


def _kind(category: Category | None) -> tuple[Inline, ...]:
    if category is None:
        return ()
    if category.special:
        return (" (a special category, Art. 9)",)
    return (" (criminal-offence data, Art. 10)",) if category.criminal else ()


def _unique(sources: Iterable[Source | None]) -> list[Source]:
    out: list[Source] = []
    for s in sources:
        if s is not None and s not in out:
            out.append(s)
    return out


def _recipients(record: Record, purposes: Sequence[Purpose]) -> Section:
    title = "Who receives your data (Art. 13(1)(e), 14(1)(e))"
    ours = {p.id for p in purposes}
    others = {p.id for p in record.processor_purposes}
    labels = {p.id: p.label for p in record.purposes}
    items = []
    for r in _our_recipients(record, purposes):
        for_ids = [i for i in dict.fromkeys(r.purposes + [p.id for p in purposes if r.id in p.recipients])
                   if i in ours or i not in others]
        where = Value(r.country_name or r.country) if (r.country_name or r.country) else "country not stated"
        line: list[Inline] = [Strong((Value(r.label),)), Ref(r.source), " (", where, "): ",
                              _ROLES.get(r.role, r.role)]
        if for_ids:
            line += [", for ", *_join([Value(labels.get(i, i)) for i in for_ids])]
        line.append(".")
        children = (Item(_text(r.description)),) if r.description else ()
        items.append(Item(tuple(line), children))
    if not items:
        return _section("recipients", title, _para("No recipient is declared for the purposes above."))
    return _section("recipients", title, _bullets(items))


def _our_recipients(record: Record, purposes: Sequence[Purpose]) -> list[Recipient]:
    """The recipients of the controller's purposes, in the record's order: those a
    purpose names, and those declared for a purpose that is not a client's (or for
    none, as nothing says they only serve a client)."""
    ours = {p.id for p in purposes}
    named = {r for p in purposes for r in p.recipients}
    others = {p.id for p in record.processor_purposes}
    return [r for r in record.recipients
            if r.id in named or not r.purposes or any(i in ours or i not in others for i in r.purposes)]


def _transfers(record: Record, purposes: Sequence[Purpose]) -> Section:
    title = "Transfers outside the European Economic Area (Art. 13(1)(f), 14(1)(f))"
    found: list[Transfer] = []
    for transfer in [t for p in purposes for t in p.transfers] + \
                    [r.transfer for r in _our_recipients(record, purposes) if r.transfer]:
        if not any(_same(transfer, t) for t in found):
            found.append(transfer)
    if not found:
        return _section("transfers", title, _para(
            "The policy declares no transfer of your data to a country outside the European Economic Area."))
    items = []
    for t in found:
        recipient = record.recipient(t.to)
        name = recipient.label if recipient else t.to
        where = t.country_name or t.country
        line: list[Inline] = [Strong((Value(name),)), *((" (", Value(where), ")") if where and where != name else ()),
                              ": "]
        if t.mechanism == "adequacy":
            line += ["the European Commission has decided that the country ensures an adequate level of "
                     "protection (", Value(t.article or "Art. 45"), ")."]
        elif t.mechanism == "safeguard":
            held: list[Inline] = [Value(_SAFEGUARDS.get(s, s)) for s in t.safeguards] or ["a safeguard not named"]
            line += ["protected by ", *_join(held), *(("; legal ground: ", Value(t.article)) if t.article else ()),
                     ". You can obtain a copy of the safeguards from us (see the contact above)."]
        else:
            line += ["no adequacy decision and no safeguard is stated. A transfer needs one (Art. 45, 46) or a "
                     "derogation (Art. 49); this must be added."]
        line.append(Ref(t.source))
        items.append(Item(tuple(line)))
    return _section("transfers", title, _bullets(items))


def _same(a: Transfer, b: Transfer) -> bool:
    return (a.to, a.country, a.mechanism, a.article, a.safeguards) == (b.to, b.country, b.mechanism, b.article,
                                                                      b.safeguards)


def _retention(record: Record, purposes: Sequence[Purpose]) -> Section:
    title = "How long we keep your data (Art. 13(2)(a), 14(2)(a))"
    items = []
    for p in purposes:
        children = []
        for r in p.retention:
            what: tuple[Inline, ...] = _join([Value(_category_label(record, c)) for c in r.categories]) \
                if r.categories else ("all data",)
            why: list[Inline] = []  # the rule's reason and citation, in parentheses: either may be a phrase
            for text in (r.because, r.cite):
                if text:
                    why += ["; " if why else " (", Value(text)]
            if why:
                why.append(")")
            children.append(Item((*what, ": ", Value(r.duration), *why, ".", Ref(r.source))))
        if not children:
            children.append(Item(("Not stated. The period, or the criteria used to set it, must be added.",
                                  Ref(p.source))))
        items.append(Item((_name(p),), tuple(children)))
    if not items:
        return _section("retention", title, _para("Not stated: there is no purpose."))
    return _section("retention", title, _bullets(items))


def _category_label(record: Record, id: str) -> str:
    category = record.category(id)
    return category.label if category else id


def _right(purpose: Purpose, right: str) -> Right:
    """The right as the record states it for the purpose, else as its basis gives it."""
    stated = next((r for r in purpose.rights if r.id == right), None)
    return stated or next(r for r in rights_for(purpose.basis, purpose.automated is not None) if r.id == right)


def _groups(purposes: Sequence[Purpose], right: str) -> list[tuple[Right, list[Purpose]]]:
    """The purposes grouped by how a right is stated for them (same text, same answer)."""
    groups: list[tuple[Right, list[Purpose]]] = []
    for p in purposes:
        r = _right(p, right)
        for stated, members in groups:
            if (stated.applies, stated.text, stated.article) == (r.applies, r.text, r.article):
                members.append(p)
                break
        else:
            groups.append((r, [p]))
    return groups


def _right_items(purposes: Sequence[Purpose], right: str) -> list[Item]:
    """One bullet per way the right is stated, naming the purposes it is stated for."""
    groups = _groups(purposes, right)
    if len(groups) == 1 and len(groups[0][1]) == len(purposes):
        stated = groups[0][0]
        return [Item((stated.text, *(Ref(_basis_source(p)) for p in purposes)))]
    items = []
    for stated, members in groups:
        lead = "For " if stated.applies else "Not for "
        items.append(Item((lead, *_purpose_names(members, cite="basis"), ": ", stated.text)))
    return items


def _rights(purposes: Sequence[Purpose]) -> Section:
    title = "Your rights (Art. 13(2)(b), 14(2)(c))"
    if not purposes:
        return _section("rights", title, _para("Not stated: there is no purpose, so no right can be stated for one."))
    items = []
    for right in _RIGHTS_13_2_B:
        items.append(Item((_named(right, _right(purposes[0], right).article),),
                          tuple(_right_items(purposes, right))))
    marketing = [p for p in purposes if "direct_marketing" in p.parents]
    blocks: list[Block] = [_para("You can exercise these rights free of charge by contacting us. We answer "
                                 "within one month, or within three months for complex or numerous requests, "
                                 "telling you of the extension within the first month (Art. 12(3))."),
                           _bullets(items)]
    if marketing:
        blocks.append(_para(*_purpose_names(marketing), " is direct marketing: you can object to it at any time, "
                            "and your data is then no longer used for it (Art. 21(2), (3))."))
    return _section("rights", title, *blocks)


def _named(right: str, article: str) -> Strong:
    return Strong((NAMES[right], f" ({article})"))


def _withdrawal(purposes: Sequence[Purpose]) -> Section:
    title = "Withdrawing your consent (Art. 13(2)(c), 14(2)(d))"
    groups = [(r, members) for r, members in _groups(purposes, "withdrawal") if r.applies]
    if not groups:
        return _section("withdrawal", title, _para(
            _named("withdrawal", "Art. 7(3)"), ": no purpose relies on your consent, so there is no consent "
            "to withdraw."))
    items = [Item(("For ", *_purpose_names(members, cite="basis"), ": ", r.text)) for r, members in groups]
    return _section("withdrawal", title, _bullets([Item((_named("withdrawal", groups[0][0].article),),
                                                        tuple(items))]))


def _complaint(controller: Party | None, purposes: Sequence[Purpose]) -> Section:
    title = "Complaints to a supervisory authority (Art. 13(2)(d), 14(2)(e))"
    items = _right_items(purposes, "complaint") or [
        Item((next(r for r in rights_for(None, False) if r.id == "complaint").text,))]
    if controller and controller.authority:
        items.append(Item(("Our lead supervisory authority is ", *_text(controller.authority), ".")))
    else:
        items.append(Item(("Our lead supervisory authority: not stated.",
                           Ref(controller.source if controller else None))))
    return _section("complaint", title, _bullets([Item((_named("complaint", "Art. 77"),), tuple(items))]))


def _provision(purposes: Sequence[Purpose]) -> Section:
    title = "Whether you must provide your data (Art. 13(2)(e))"
    if not purposes:
        return _section("provision", title, _para("Not stated: there is no purpose."))
    items = [Item((_name(p), ": ", Value(p.provision.text),
                   Ref(p.provision.source or _basis_source(p)))) for p in purposes]
    return _section("provision", title, _bullets(items))


def _automated(purposes: Sequence[Purpose]) -> Section:
    title = "Automated decisions, including profiling (Art. 13(2)(f), 14(2)(g))"
    deciding = [p for p in purposes if p.automated]
    if not deciding:
        return _section("automated", title, _para(
            "No purpose declares a decision based solely on automated processing, including profiling, that "
            "has legal or similarly significant effects on you (Art. 22)."))
    items = []
    for p in deciding:
        assert p.automated is not None
        right = _right(p, "automated")
        children = (Item((_named("automated", right.article), ": ", right.text, Ref(_basis_source(p)))),) \
            if right.applies else ()
        items.append(Item((_name(p), ": ", *_text(p.automated)), children))
    rest = [p for p in purposes if not p.automated]
    blocks: list[Block] = [_bullets(items)]
    if rest:
        blocks.append(_para("No other purpose declares automated decision-making."))
    return _section("automated", title, *blocks)


def _open_items(record: Record) -> Section:
    title = "Before publishing: items the policy does not state"
    if not record.gaps:
        return _section("open-items", title, _para("The policy's checks report no missing item. Remove this "
                                                   "section before publishing."))
    items = [Item((Value(g.item), ": ", Value(g.message), " (", Value(g.code), ").", Ref(g.source)))
             for g in record.gaps]
    return _section("open-items", title, _para("For the controller and its DPO: complete these, then remove "
                                               "this section."), _bullets(items))
