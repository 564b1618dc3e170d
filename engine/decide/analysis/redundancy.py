"""Rules whose removal changes no decision, found exactly: the policy's decision
diagram with the rule left out is the same diagram (the diagrams are
hash-consed, so "the same" is one comparison), which is the statement that
`diff(policy, policy without the rule)` is empty.

A forbid that only denies what no permit would allow anyway is a *guard*: it
changes no decision today, and keeps denying when a permit is widened later.
That is what such forbids are written for, so they are told apart from the
forbids another forbid (or the consent rule) already does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import ir
from .mdd import FALSE, TRUE
from .remedies import analysis, guard


@dataclass(frozen=True)
class Redundant:
    rule: ir.CheckedRule
    #: "permit" (other permits allow all it allows, with the same obligations),
    #: "forbid" (what it denies is denied anyway, by another rule), "guard"
    #: (a forbid that denies only what no permit allows, or an oblige that meets
    #: no allow), or "oblige" (where it meets an allow, other rules hand out its
    #: obligations anyway)
    kind: str
    #: the rules that make it so: those that decide where it applies
    partners: tuple[ir.CheckedRule, ...]
    #: a forbid whose events the built-in consent rule denies anyway
    consent: bool = False


class _Cells:
    """Every rule's diagram split by purpose and category class: the analysis of
    one rule then reads only the rules that share a (purpose, category) cell
    with it, not the whole policy."""

    def __init__(self, space, model):
        self.manager = space.manager
        self.purposes = space.by_name["purpose"]
        self.categories = space.by_name["category"]
        self.parts = {id(r): self.split(r.applies) for r in model.rules}
        self.index: dict[tuple, list] = {}
        for diagram in model.rules:
            for key, sub in self.parts[id(diagram)].items():
                self.index.setdefault(key, []).append((diagram, sub))

    def split(self, node: int) -> dict[tuple[int | None, int | None], int]:
        """(purpose class or None for any, category class or None) -> the rest."""
        manager = self.manager
        out: dict[tuple[int | None, int | None], int] = {}
        if node == FALSE:
            return out
        heads: list[tuple[int | None, int]] = ([(p, kid) for p, kid in enumerate(manager.kids(node)) if kid != FALSE]
                 if node != TRUE and manager.level(node) == self.purposes.level else [(None, node)])
        for p, rest in heads:
            if rest != TRUE and manager.level(rest) == self.categories.level:
                for c, kid in enumerate(manager.kids(rest)):
                    if kid != FALSE:
                        out[(p, c)] = kid
            else:
                out[(p, None)] = rest
        return out

    def cells(self, node: int):
        """The concrete (purpose, category) cells of a diagram, with its rest there."""
        for (p, c), rest in self.split(node).items():
            for pp in ([p] if p is not None else range(len(self.purposes.classes))):
                for cc in ([c] if c is not None else range(len(self.categories.classes))):
                    yield (pp, cc), rest

    def others(self, cell: tuple[int, int], keep) -> int:
        """The union, at a cell, of the rules `keep(diagram)` accepts."""
        p, c = cell
        found = [sub for key in ((p, c), (p, None), (None, c), (None, None))
                 for diagram, sub in self.index.get(key, ()) if keep(diagram)]
        return self.manager.any_of(found)


def _removable(cells: _Cells, model, diagram, remaining: set[int]) -> bool:
    """Whether removing the rule from the rules in `remaining` (ids of diagrams)
    leaves every decision as it is, given that they decide as the policy does."""
    manager = cells.manager
    rule = diagram.rule
    mine = id(diagram)

    def kept(effect, obligation=None):
        return lambda d: (id(d) in remaining and id(d) != mine and d.rule.effect == effect
                          and (obligation is None or obligation in d.rule.obligations))

    def handing(obligation):  # a permit's `with` or an oblige: where an allow gets it
        return lambda d: (id(d) in remaining and id(d) != mine and d.rule.effect != "forbid"
                          and obligation in d.rule.obligations)
    if rule.effect == "oblige":
        for cell, rest in cells.cells(manager.both(diagram.applies, model.allow)):
            for name in rule.obligations:
                if manager.both(rest, cells.others(cell, handing(name))) != rest:
                    return False
        return True
    if rule.effect == "permit":
        changed = manager.both(diagram.applies, model.allow)  # where it may be the only cover
        for cell, rest in cells.cells(changed):
            if manager.both(rest, cells.others(cell, kept("permit"))) != rest:
                return False
            for name in rule.obligations:
                if manager.both(rest, cells.others(cell, handing(name))) != rest:
                    return False
        return True
    base = manager.both(model.valid, model.consent_ok)
    for cell, rest in cells.cells(manager.both(diagram.applies, base)):
        covered = cells.others(cell, lambda d: id(d) in remaining and d.rule.effect == "permit")
        exposed = manager.both(rest, covered)  # where nothing else would deny but the forbids
        if manager.both(exposed, cells.others(cell, kept("forbid"))) != exposed:
            return False
    return True


def redundant(policy, first: frozenset[int] = frozenset()) -> list[Redundant]:
    """Rules of the policy (an `engine.Policy`) whose removal changes no decision:
    no event's effect and no allow's obligations. They can be removed together:
    the rules are tried from the last to the first, each against the policy
    without those already found (of two rules that repeat each other, the later
    is reported; rules whose indexes are in `first` are tried before the others).
    Guards are listed too; keeping or removing them changes nothing either."""
    with guard(policy):
        return _redundant(policy, first)


def _redundant(policy, first: frozenset[int]) -> list[Redundant]:
    space, model = analysis(policy)
    cells = _cells(policy, space, model)
    single = {r.rule.index: r for r in _each(policy)}
    remaining = {id(r) for r in model.rules}
    found = [r for r in single.values() if r.kind == "guard"]
    order = sorted(model.rules, key=lambda r: (r.rule.index not in first, -r.rule.index))
    for diagram in order:
        candidate = single.get(diagram.rule.index)
        if candidate is None or candidate.kind == "guard":
            continue
        if _removable(cells, model, diagram, remaining):
            remaining.discard(id(diagram))
            found.append(candidate)
    found.sort(key=lambda r: r.rule.index)
    return found


def singly(policy) -> list[Redundant]:
    """Each rule whose removal alone changes no decision (two rules that repeat
    each other are both in it)."""
    with guard(policy):
        return list(_each(policy))


def _cells(policy, space, model) -> _Cells:
    found = getattr(policy, "_cells", None)
    if found is None:
        found = _Cells(space, model)
        object.__setattr__(policy, "_cells", found)
    return found


def _each(policy) -> list[Redundant]:
    found = getattr(policy, "_redundant", None)
    if found is None:
        found = _singly(policy)
        object.__setattr__(policy, "_redundant", found)
    return found


def _singly(policy) -> list[Redundant]:
    space, model = analysis(policy)
    manager = space.manager
    cells = _cells(policy, space, model)
    everything = {id(r) for r in model.rules}
    found: list[Redundant] = []
    for diagram in model.rules:
        if not _removable(cells, model, diagram, everything):
            continue
        if diagram.rule.effect == "oblige":
            where = manager.both(diagram.applies, model.allow)
            if where == FALSE:  # it meets no allow today, and adds to one a wider permit makes
                found.append(Redundant(diagram.rule, "guard", ()))
                continue
            found.append(Redundant(diagram.rule, "oblige", _partners(cells, diagram, where, "oblige")
                                   + _partners(cells, diagram, where, "permit")))
        elif diagram.rule.effect == "forbid":
            permitted = manager.all_of([diagram.applies, model.valid, model.covered])
            if permitted == FALSE:
                found.append(Redundant(diagram.rule, "guard", ()))
                continue
            where = manager.both(permitted, model.consent_ok)
            partners = _partners(cells, diagram, where, "forbid")
            found.append(Redundant(diagram.rule, "forbid", partners,
                                   consent=manager.both(permitted, manager.negate(model.consent_ok)) != FALSE))
        else:
            where = manager.both(diagram.applies, model.allow)
            partners = (_partners(cells, diagram, where, "permit") if where != FALSE  # covered by others
                        else _partners(cells, diagram, diagram.applies, "forbid"))  # never allows
            found.append(Redundant(diagram.rule, "permit", partners))
    return found


def _partners(cells: _Cells, diagram, where: int, effect: str, most: int = 3) -> tuple:
    """Up to `most` rules of an effect that also decide somewhere in `where`."""
    manager = cells.manager
    found: list = []
    for cell, rest in cells.cells(where):
        p, c = cell
        for key in ((p, c), (p, None), (None, c), (None, None)):
            for other, sub in cells.index.get(key, ()):
                if (other is not diagram and other.rule.effect == effect and other.rule not in found
                        and manager.both(sub, rest) != FALSE):
                    found.append(other.rule)
                    if len(found) == most:
                        return tuple(found)
    return tuple(found)
