"""Placeholder: the rights of the data subject per basis (replaced by the notice's module)."""

from __future__ import annotations

from .model import Right


def rights_for(basis: str | None, automated: bool) -> list[Right]:
    return []


def provision_for(basis: str | None) -> str:
    return ""
