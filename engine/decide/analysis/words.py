"""Classes of values in words and in JSON: what a remedy asks for and what a
class of events in a diff covers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Mapping

from .space import ABSENT, Other, Variable

#: how many names a description lists before it counts the rest
SHOWN = 8


def names(items: list[str], shown: int = SHOWN) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return ", ".join(items[:shown]) + f" and {len(items) - shown} more"


def countries(chosen: set[str], regions: Mapping[str, frozenset[str]], everything: set[str]) -> str:
    """A set of countries named through the policies' regions where it can be."""
    if chosen == everything:
        return "any country"
    for name, members in sorted(regions.items()):
        if members == chosen:
            return f"in {name}"
    rest = everything - chosen
    for name, members in sorted(regions.items()):
        if members == rest:
            return f"outside {name}"
    if len(chosen) <= SHOWN:
        return "in {" + ", ".join(sorted(chosen)) + "}"
    inside = sorted((len(m), n) for n, m in regions.items() if m <= chosen)
    if inside and len(chosen - regions[inside[-1][1]]) <= SHOWN:
        name = inside[-1][1]  # the largest region inside, and the few countries beside it
        return f"in {name} + {{" + ", ".join(sorted(chosen - regions[name])) + "}"
    wider = sorted((len(m), n) for n, m in regions.items() if chosen <= m)
    if wider and len(regions[wider[0][1]] - chosen) <= SHOWN:
        name = wider[0][1]
        return f"in {name} except {{" + ", ".join(sorted(regions[name] - chosen)) + "}"
    outside = [n for n, m in sorted(regions.items()) if not (m & chosen)]
    if outside:
        covering = set().union(*(regions[n] for n in outside))
        if chosen == everything - covering:
            return "outside " + " + ".join(outside)
    return f"in one of {len(chosen)} countries ({names(sorted(chosen))})"


def duration(value: timedelta) -> str:
    days, seconds = value.days, value.seconds
    text = f"{days} day{'s' if days != 1 else ''}"
    if seconds:
        text += f" {seconds} s"
    return text


def ranges(variable: Variable, indexes: set[int]) -> list[str]:
    """Chosen classes of an int or duration variable as ranges of values."""
    raw = variable.raw
    chosen = {value for i in indexes for value in variable.classes[i] if value is not ABSENT}
    show = duration if variable.kind == "duration" else str
    one = timedelta(seconds=1) if variable.kind == "duration" else 1
    parts: list[str] = []
    start = None
    for position, value in enumerate(raw):
        if value in chosen and start is None:
            start = position
        if start is not None and (position + 1 == len(raw) or raw[position + 1] not in chosen):
            low, following = raw[start], raw[position + 1] if position + 1 < len(raw) else None
            if variable.kind == "duration":
                parts.append(_period(low if start else None, following))
            elif following is None:
                parts.append(f"{show(low)} or more" if start else "any")
            elif start == 0:
                parts.append(f"below {show(following)}")
            elif following - one == low:
                parts.append(show(low))
            else:
                parts.append(f"{show(low)} to {show(following - one)}")
            start = None
    return parts


def _number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


def _numbers(variable: Variable, members: list[Any]) -> list[str]:
    """The numbers among chosen values, with the largest candidate read as "or
    more" and the smallest as "or less" (they stand for every number beyond)."""
    raw = sorted({m for c in variable.classes for m in c if _number(m)})
    chosen = sorted(m for m in members if _number(m))
    if not chosen:
        return []
    text = ", ".join(json.dumps(m) for m in chosen[:SHOWN])
    if len(chosen) > SHOWN:
        text += f" and {len(chosen) - SHOWN} more"
    if chosen[-1] == raw[-1]:
        text = f"{text} or more" if len(chosen) == 1 else f"{text}, or more"
    if chosen[0] == raw[0] and len(raw) > 1:
        text = f"{text} (or less)"
    return [f"a number: {text}"]


def _period(low: timedelta | None, following: timedelta | None) -> str:
    """A range of durations: bounds a second off a whole day read as "more than"
    and "at most" (that is how `data_age > 13 months` cuts them)."""
    second = timedelta(seconds=1)
    bounds = []
    if low is not None:
        bounds.append(f"more than {duration(low - second)}" if (low - second).seconds == 0
                      else f"at least {duration(low)}")
    if following is not None:
        bounds.append(f"at most {duration(following - second)}" if (following - second).seconds == 0
                      else f"less than {duration(following)}")
    return ", ".join(bounds) or "any"


def value(item: Any) -> str:
    if item is ABSENT:
        return "absent"
    return json.dumps(item, ensure_ascii=False, default=str)


def only_presence(variable: Variable, indexes: set[int]) -> bool:
    """Whether the chosen classes are every value but absence (`has context.KEY`)."""
    present = {i for i, members in enumerate(variable.classes) if all(m is not ABSENT for m in members)}
    return len(present) < len(variable.classes) and set(indexes) == present


def describe(variable: Variable, indexes: set[int], regions: Mapping[str, frozenset[str]]) -> str:
    """`variable: the values of the chosen classes`, in words."""
    if variable.kind == "value" and only_presence(variable, indexes):
        return f"{variable.name} present (any value)"
    absent = any(variable.classes[i][0] is ABSENT for i in indexes)
    members = [m for i in sorted(indexes) for m in variable.classes[i] if m is not ABSENT]
    kind, name = variable.kind, variable.name
    if kind in ("purpose", "category"):
        return f"{name} {names(sorted(members))}"
    if kind == "bool":
        truth = members == [True]
        if name == "objected":
            return "the subject objected" if truth else "no objection"
        if name == "automated":
            return "a solely automated decision" if truth else "not solely automated"
        safeguard = name.split(":", 1)[1]
        safeguard = "a safeguard the policies do not name" if safeguard == "*" else f'"{safeguard}"'
        return f"safeguards include {safeguard}" if truth else f"safeguards lack {safeguard}"
    if kind == "consent":
        return "consent held: " + " or ".join(members)
    parts: list[str] = []
    if kind == "country":
        everything = {m for members_ in variable.classes for m in members_ if m is not ABSENT}
        if members:
            parts.append(countries(set(members), regions, everything))
    elif kind in ("int", "duration"):
        parts += ranges(variable, set(indexes))
    else:
        others = [m for m in members if isinstance(m, Other)]
        members = [m for m in members if not isinstance(m, Other)]
        parts += _numbers(variable, members)
        members = [m for m in members if not _number(m)]
        parts += [value(m) for m in members[:SHOWN]]
        if others:
            parts.append("another string")
        if len(members) > SHOWN:
            parts.append(f"{len(members) - SHOWN} more")
    if absent:
        parts.append("absent")
    return f"{name} " + " or ".join(parts)


def listed(variable: Variable, indexes: set[int]) -> list[Any]:
    """The chosen classes' raw values, for JSON (durations in seconds), leaving out
    absence and the stand-ins for any other string (the description says them)."""
    out: list[Any] = []
    for i in sorted(indexes):
        for member in variable.classes[i]:
            if member is ABSENT or isinstance(member, Other):
                continue
            elif isinstance(member, timedelta):
                out.append(member.total_seconds())
            else:
                out.append(member)
    return out
