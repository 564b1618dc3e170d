"""Exact analysis of policies over the whole event space, without a solver:
what would make a denied event allowed (`remedies`), and what a policy change
does (`diff`). Both rest on `space`: the event space cut into finitely many
classes, and each policy's decisions over them as decision diagrams (`mdd`)."""

from .diff import Diff, diff
from .remedies import Remedies, remedies

__all__ = ["Diff", "Remedies", "diff", "remedies"]
