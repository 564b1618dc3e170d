"""The Record of a policy: one pass over the checked policy and its declarations
(`Policy.authored`), so every document renders the same facts. Items a document
needs and the policy does not state become W11xx diagnostics (shown by `lawful
lint`) and the Record's `gaps`."""

from __future__ import annotations

from collections import defaultdict

from .. import ir
from ..core.diagnostics import Diagnostic
from ..core.resources import library_of
from ..core.source import Span
from ..decide.policy import Policy
from ..syntax import ast
from ..syntax.printer import expr as printed
from . import model as m
from .rights import provision_for, rights_for
from .transfers import country_name, in_eea, mechanism

#: the article of each lawful basis (Art. 6(1))
BASIS_ARTICLES = {
    "consent": "Art. 6(1)(a)", "contract": "Art. 6(1)(b)", "legal_obligation": "Art. 6(1)(c)",
    "vital_interest": "Art. 6(1)(d)", "public_task": "Art. 6(1)(e)", "legitimate_interest": "Art. 6(1)(f)",
}


def source(span: Span | None) -> m.Source | None:
    return m.Source(file=span.file, line=span.line) if span is not None else None


def label(name: str, details=()) -> str:
    """A declaration's `named` text, else its name spelled out."""
    for detail in details:
        if detail.word.value == "named":
            return detail.values[0].value
    return name.replace("_", " ").replace(".", " ")


def _texts(details, word: str) -> list[m.Text]:
    return [m.Text(text=v.value, source=source(v.span)) for d in details if d.word.value == word for v in d.values]


def _text(details, word: str) -> m.Text | None:
    found = _texts(details, word)
    return found[0] if found else None


def _doc(decl) -> m.Text | None:
    return m.Text(text=decl.doc, source=source(decl.span)) if getattr(decl, "doc", None) else None


def _own(span: Span | None) -> bool:
    return span is not None and library_of(span.file) is None


def record(policy: Policy) -> m.Record:
    """The Record of a compiled policy."""
    return Builder(policy).record()


def gap_diagnostics(policy: Policy) -> list[Diagnostic]:
    """The W11xx findings: items the documents need and the policy does not state."""
    builder = Builder(policy)
    builder.record()
    return builder.gaps


class Builder:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.decls = policy.authored.declarations
        self.gaps: list[Diagnostic] = []
        statements = [s for module in policy.authored.modules for s in module.statements]
        self.rules = [s for s in statements if isinstance(s, ast.Rule)]
        # permits by the purposes they name (None: every purpose)
        self.permits: dict[str | None, list[ir.CheckedRule]] = defaultdict(list)
        for rule in policy.checked.rules:
            if rule.effect == "permit":
                for purpose in (rule.purposes if rule.purposes is not None else (None,)):
                    self.permits[purpose].append(rule)
        self.checked_by_start = {r.span.start: r for r in policy.checked.rules if r.span is not None}
        self._indexes: dict[int, dict] = {}
        self._reach: set[str] | None = None  # the categories with an Art. 9 category under them
        self._own_special = False
        self._checks_transfers = "gdpr_transfers" in policy.checked.labels
        self._gap_items: list[m.Gap] = []

    def gap(self, code: str, item: str, message: str, span: Span | None, help: str) -> None:
        self.gaps.append(Diagnostic(code, message, span, help=help))
        self._gap_items.append(m.Gap(code=code, item=item, message=message, source=source(span)))

    # ---- parts --------------------------------------------------------------------

    def record(self) -> m.Record:
        self._gap_items, self.gaps = [], []
        controller = self.controller()
        clients = [self.party(name, decl) for name, decl in sorted(self.decls.clients.items())]
        recipients = [self.recipient(name, decl) for name, decl in sorted(self.decls.recipient_decls.items())
                      if name in self.decls.recipients]
        retention = [self.retention(rule) for rule in self.rules if rule.kind == "retain"]
        residency = [self.residency(rule) for rule in self.rules if rule.kind == "residency"]
        purposes = [self.purpose(name, recipients, retention, residency)
                    for name in sorted(self.policy.checked.vocabulary.event_bases) if self._mine(name)]
        used = {use.category for p in purposes for use in p.categories}
        categories = [self.category(name) for name in self.decls.categories.names()
                      if name in used or (name in self.decls.categories.declared
                                          and _own(self.decls.categories.declared[name].span))]
        self.controller_gaps(controller, purposes, recipients)
        files = sorted({mod.source.name for mod in self.policy.authored.modules if library_of(mod.source.name) is None})
        return m.Record(policy=self.policy.name, digest=self.policy.digest, files=files, controller=controller,
                        clients=clients, purposes=purposes, categories=categories, recipients=recipients,
                        retention=retention, residency=residency, gaps=self._gap_items)

    def party(self, name: str, decl, country: str | None = None) -> m.Party:
        return m.Party(
            id=name, label=label(name, decl.details), country=country,
            country_name=country_name(country) if country else None,
            contact=_texts(decl.details, "contact"), dpo=_texts(decl.details, "dpo"),
            representative=_texts(decl.details, "representative"), authority=_text(decl.details, "authority"),
            security=_texts(decl.details, "security"), description=_doc(decl), source=source(decl.span))

    def controller(self) -> m.Party | None:
        decl, checked = self.decls.controller_decl, self.decls.controller
        if decl is None or checked is None:
            return None
        return self.party(checked.name, decl, checked.country)

    def controller_gaps(self, controller: m.Party | None, purposes: list[m.Purpose],
                        recipients: list[m.Recipient]) -> None:
        decl = self.decls.controller_decl
        if controller is None or decl is None:
            return
        span = decl.name.span
        if not controller.contact:
            self.gap("W1103", "the controller's contact details", f"the controller `{controller.id}` states no contact",
                     span, "add `contact \"…\"` (Arts. 13(1)(a), 30(1)(a)): an address or e-mail for the subjects")
        if not controller.security:
            self.gap("W1106", "security measures", f"the controller `{controller.id}` states no security measures",
                     span, "add `security \"…\"`: the technical and organisational measures (Arts. 30(1)(g), 32(1))")
        if controller.country and not in_eea(controller.country) and not controller.representative:
            self.gap("W1104", "the representative in the Union",
                     f"the controller is established outside the EEA ({controller.country_name}) and names "
                     "no representative", span,
                     "add `representative \"…\"`: a controller outside the Union names one in it (Art. 27)")
        for recipient in recipients:
            if not recipient.purposes:
                decl_r = self.decls.recipient_decls[recipient.id]
                self.gap("W1107", f"the purposes of the recipient `{recipient.id}`",
                         f"no purpose says what the recipient `{recipient.id}` receives data for", decl_r.name.span,
                         "add `for PURPOSE, …` to the recipient: the record lists recipients per purpose "
                         "(Art. 30(1)(d))")
        for purpose in purposes:
            decl_p = self._declaring(purpose.id)
            span_p = decl_p.name.span if decl_p is not None else None
            if not purpose.subjects:
                self.gap("W1105", f"the data subjects of `{purpose.id}`",
                         f"the purpose `{purpose.id}` states no kind of data subject", span_p,
                         "add `subjects \"…\"` (Art. 30(1)(c)): whose data it is (customers, employees…)")
            if not purpose.retention and (purpose.categories or purpose.all_categories):
                self.gap("W1108", f"the retention of `{purpose.id}`",
                         f"no `retain` rule limits how long the data of `{purpose.id}` is kept", span_p,
                         "add `retain CATEGORY for DURATION` (Arts. 5(1)(e), 13(2)(a), 30(1)(f))")

    def _mine(self, name: str) -> bool:
        """The purpose is declared in the policy's own files (not a library's)."""
        decl = self._declaring(name)
        return decl is not None and _own(decl.span)

    def _declaring(self, name: str) -> ast.PurposeDecl | None:
        """The purpose's own declaration (a dotted one may only be implied)."""
        return self.decls.purposes.declared.get(name)

    def _nearest(self, name: str) -> list[ast.PurposeDecl]:
        """The declarations of the purpose and its ancestors, nearest first (the
        purpose itself, then by depth, then by name)."""
        ancestors = self.decls.purposes.ancestors.get(name, frozenset({name}))
        by_depth = sorted(ancestors, key=lambda a: (-len(self.decls.purposes.ancestors.get(a, ())), a))
        return [d for d in map(self._declaring, by_depth) if d is not None]

    def _inherited(self, name: str, word: str) -> list[m.Text]:
        """The purpose's own texts for `word`, else the nearest ancestor's that has one."""
        for decl in self._nearest(name):
            found = _texts(decl.details, word)
            if found:
                return found
        return []

    def purpose(self, name: str, recipients: list[m.Recipient], retention: list[m.Retention],
                residency: list[m.Residency]) -> m.Purpose:
        decls = self.decls
        decl = self._declaring(name)
        details = decl.details if decl is not None else ()
        ancestors = decls.purposes.ancestors.get(name, frozenset({name}))
        basis = self.policy.checked.vocabulary.bases.get(name)
        basis_decl = next((d for d in self._nearest(name) if d.basis is not None), None)
        uses: dict[tuple[str, str], m.CategoryUse] = {}
        all_categories = False
        keys: list[str | None] = [*sorted(ancestors), None]
        for key in keys:
            for rule in self.permits.get(key, ()):
                if rule.categories is None:
                    all_categories = True
                    continue
                for category in sorted(rule.categories):
                    uses.setdefault((category, rule.name), m.CategoryUse(
                        category=category, rule=rule.name, conditional=rule.when is not None or rule.unless is not None,
                        source=source(rule.span)))
        categories = sorted(uses.values(), key=lambda u: (u.category, u.source.line if u.source else 0, u.rule))
        names = {u.category for u in categories}
        mine = self._recipients_for(recipients, ancestors)
        # a legitimate interest is stated only for a purpose that rests on one
        interest = self._inherited(name, "interest") if basis == "legitimate_interest" else []
        automated = self._inherited(name, "automated")
        provision = self._inherited(name, "provision")
        subjects = self._inherited(name, "subjects")
        behalf = next((d.behalf[0].value for d in self._nearest(name) if d.behalf), None)
        if basis == "legitimate_interest" and not interest and decl is not None:
            self.gap("W1101", f"the legitimate interest of `{name}`",
                     f"the purpose `{name}` is based on a legitimate interest but states none", decl.name.span,
                     "add `interest \"…\"`: the interest pursued is told to the subjects (Arts. 6(1)(f), 13(1)(d))")
        special = self._special(names, all_categories)
        return m.Purpose(
            id=name, label=label(name, details), description=_doc(decl) if decl is not None else None,
            parents=sorted(a for a in ancestors if a != name and a in decls.purposes.declared
                           and name in decls.purposes.graph and decls.purposes.graph.has_edge(name, a)),
            basis=basis, basis_article=BASIS_ARTICLES.get(basis or "", ""),
            basis_source=source(basis_decl.basis.span) if basis_decl is not None and basis_decl.basis else None,
            interest=interest[0] if interest else None, subjects=subjects, categories=categories,
            all_categories=all_categories, recipients=[r.id for r in mine],
            transfers=[r.transfer for r in mine if r.transfer is not None]
            + self._rule_transfers(keys, mine),
            retention=[self._narrowed(r, names, all_categories) for r in self._touching(retention, names, all_categories)],
            residency=[self._narrowed(r, names, all_categories) for r in self._touching(residency, names, all_categories)],
            automated=automated[0] if automated else None,
            provision=provision[0] if provision else m.Text(text=provision_for(basis), source=
                                                             source(basis_decl.basis.span) if basis_decl is not None and basis_decl.basis else None),
            rights=rights_for(basis, bool(automated)), on_behalf_of=behalf, special=special,
            source=source(decl.span if decl is not None else None))

    def _special(self, names: set[str], all_categories: bool) -> bool:
        """The purpose can process an Art. 9 category: one it names is special, or has
        a special category under it; a permit on every category counts when the
        policy's own files declare a special category."""
        if self._reach is None:
            declared = self.decls.categories.declared
            special = [c for c in self.decls.categories.names() if self._under(c, "special")]
            self._reach = {a for c in special for a in self.decls.categories.ancestors.get(c, frozenset({c}))}
            self._own_special = any(c in declared and _own(declared[c].span) for c in special)
        return any(n in self._reach for n in names) or (all_categories and self._own_special)

    def _rule_transfers(self, keys: list[str | None], recipients: list[m.Recipient]) -> list[m.Transfer]:
        """The countries outside the EEA the purpose's permits send data to (`to`),
        less those a recipient of the purpose already receives it in. With the GDPR
        library's transfer rule, a destination without an adequacy decision needs a
        safeguard or a derogation on each event: that is the mechanism stated."""
        covered = {r.country for r in recipients}
        countries: dict[str, ir.CheckedRule] = {}
        for key in keys:
            for rule in self.permits.get(key, ()):
                for country in sorted(rule.destination or ()):
                    if country not in covered and not in_eea(country):
                        countries.setdefault(country, rule)
        found = []
        for country, rule in sorted(countries.items()):
            kind, safeguards, article = mechanism(country, frozenset()) or ("none", [], "")
            if kind == "none" and self._checks_transfers:
                kind, article = "safeguard", ("an Art. 46 safeguard or an Art. 49 derogation, required for each "
                                              "transfer by the rule gdpr_transfers")
            found.append(m.Transfer(to=country, country=country, country_name=country_name(country),
                                    mechanism=kind, safeguards=safeguards, article=article,
                                    source=source(rule.span)))
        return found

    def _under(self, category: str, root: str) -> bool:
        return root in self.decls.categories.ancestors.get(category, frozenset({category}))

    def _recipients_for(self, recipients: list[m.Recipient], ancestors: frozenset[str]) -> list[m.Recipient]:
        """The recipients (in their order) whose `for` names the purpose or an ancestor."""
        key = id(recipients)
        index = self._indexes.get(key)
        if index is None:
            index = defaultdict(list)
            for position, recipient in enumerate(recipients):
                for purpose in recipient.purposes:
                    index[purpose].append(position)
            self._indexes[key] = index
        found = {position for ancestor in ancestors for position in index.get(ancestor, ())}
        return [recipients[i] for i in sorted(found)]

    def _touching(self, rules: list, names: set[str], all_categories: bool) -> list:
        """The retain or residency rules (in their order) that concern a purpose using
        `names`: a rule on every category, or one of whose categories is an ancestor
        or a descendant of one the purpose uses. Indexed by category, so the cost
        follows the rules that can concern the purpose, not all of them."""
        if all_categories:
            return list(rules)
        index = self._category_index(rules)
        found: set[int] = set(index.get(None, ()))
        ancestors = self.decls.categories.ancestors
        for name in names:
            for ancestor in ancestors.get(name, frozenset({name})):
                found.update(index.get(("on", ancestor), ()))  # a rule on an ancestor (or on the name)
            found.update(index.get(("under", name), ()))  # a rule on a descendant
        return [rules[i] for i in sorted(found)]

    def _category_index(self, rules: list) -> dict:
        """(kind, category) -> positions of the rules naming it ("on") or a category
        under it ("under"); None -> the rules on every category. Built once per list."""
        key = id(rules)
        cached = self._indexes.get(key)
        if cached is not None:
            return cached
        index: dict = defaultdict(list)
        ancestors = self.decls.categories.ancestors
        for position, rule in enumerate(rules):
            if not rule.categories:
                index[None].append(position)
            for target in rule.categories:
                index[("on", target)].append(position)
                for ancestor in ancestors.get(target, frozenset({target})) - {target}:
                    index[("under", ancestor)].append(position)
        self._indexes[key] = index
        return index

    def _narrowed(self, rule, names: set[str], all_categories: bool):
        """A retain or residency rule as it concerns one purpose: only the categories
        the purpose uses, each the narrower of the rule's and the purpose's (`retain
        account` for a purpose on `account.email` says `account.email`)."""
        if all_categories:
            return rule
        ancestors = self.decls.categories.ancestors
        found = set()
        for target in rule.categories or sorted(names):
            for name in names:
                if target in ancestors.get(name, frozenset({name})):
                    found.add(name)
                elif name in ancestors.get(target, frozenset({target})):
                    found.add(target)
        return rule.model_copy(update={"categories": sorted(found)})

    def category(self, name: str) -> m.Category:
        decl = self.decls.categories.declared.get(name)
        details = decl.details if decl is not None else ()
        parents = sorted(self.decls.categories.graph.successors(name)) if name in self.decls.categories.graph else []
        return m.Category(id=name, label=label(name, details), parents=parents,
                          special=self._under(name, "special"), criminal=self._under(name, "criminal"),
                          sources=_texts(details, "source"), description=_doc(decl) if decl is not None else None,
                          source=source(decl.span if decl is not None else None))

    def recipient(self, name: str, decl: ast.RecipientDecl) -> m.Recipient:
        checked = self.decls.recipients[name]
        found = mechanism(checked.country, checked.holds)
        transfer = None
        if found is not None:
            kind, safeguards, article = found
            transfer = m.Transfer(to=name, country=checked.country, country_name=country_name(checked.country),
                                  mechanism=kind, safeguards=safeguards, article=article,
                                  source=source(decl.span))
            if kind == "none":
                self.gap("W1102", f"the transfer to `{name}`",
                         f"the recipient `{name}` receives the data outside the EEA ({country_name(checked.country)}) "
                         "with no adequacy decision and no safeguard", decl.name.span,
                         "add what it holds: `holds \"scc\"` (Art. 46), `\"bcr\"` (Art. 47), `\"dpf\"` for a "
                         "certified US recipient (Art. 45)")
        return m.Recipient(
            id=name, label=label(name, decl.details), role=checked.role, country=checked.country,
            country_name=country_name(checked.country), holds=sorted(checked.holds),
            purposes=[p.value for p in decl.purposes], contact=_texts(decl.details, "contact"), transfer=transfer,
            description=_doc(decl), source=source(decl.span))

    def retention(self, rule: ast.Rule) -> m.Retention:
        assert rule.period is not None
        period = rule.period
        return m.Retention(
            categories=[c.value for c in rule.target.categories] if rule.target.categories is not None else [],
            duration=f"{period.amount} {period.unit}", days=period.days,
            because=rule.because.value if rule.because else None, cite=rule.cite.value if rule.cite else None,
            source=source(rule.span))

    def residency(self, rule: ast.Rule) -> m.Residency:
        assert rule.region is not None
        checked = self.checked_by_start.get(rule.span.start) if rule.span is not None else None
        countries: list[str] = []
        if checked is not None and isinstance(checked.when, ir.Member) and isinstance(checked.when.right, ir.Const):
            countries = sorted(checked.when.right.value)
        return m.Residency(
            categories=[c.value for c in rule.target.categories] if rule.target.categories is not None else [],
            region=printed(rule.region), countries=countries,
            because=rule.because.value if rule.because else None, cite=rule.cite.value if rule.cite else None,
            source=source(rule.span))
