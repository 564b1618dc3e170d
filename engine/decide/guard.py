"""Guarding data access: a decorator, a context manager and `Denied`.

    @policy.guard(purpose="newsletter", categories=["email"],
                  event=lambda customer: {"destination": "DE", "subject": customer.subject()})
    def send_newsletter(customer): ...

    with policy.check(event) as decision:   # raises engine.Denied on deny
        use(decision.obligations)

Both are on `Policy` and on `PolicyStore` (which decides with whatever policy it
holds at the time). A guard never lets a call through on an error: an event
builder that raises, or returns something that is not an event, is a deny that
says so (fail closed).
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar, Token
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Protocol

from .decision import Decision
from .reasons import unreadable



class DecisionLog(Protocol):
    """Where a guard records its decisions (`engine.DecisionLog` is one)."""

    def record(self, event: Any, decision: Decision) -> Any: ...

_CURRENT: ContextVar[Decision | None] = ContextVar("lawful_decision", default=None)


class Denied(PermissionError):
    """A guarded call or check was denied. `.decision` is the full decision, every reason."""

    def __init__(self, decision: Decision, action: str | None = None):
        self.decision = decision
        first = decision.reasons[0].message if decision.reasons else "denied"
        more = len(decision.reasons) - 1
        where = f"{action}: " if action else ""
        super().__init__(f"{where}denied: {first}" + (f" (and {more} more reason(s))" if more else ""))


def current_decision() -> Decision | None:
    """Inside a guarded function (or a `check` block): the decision that let it run,
    for its obligations. None elsewhere."""
    return _CURRENT.get()


class Check:
    """`with policy.check(event) as decision:` — decides on entry, raises Denied on
    deny; the block sees the allow (and its obligations). Also `async with`."""

    __slots__ = ("_guarding", "_event", "_log", "_token")

    def __init__(self, guarding: "Guarding", event: Any, log: "DecisionLog | None"):
        self._guarding, self._event, self._log = guarding, event, log
        self._token: Token[Decision | None] | None = None

    def __enter__(self) -> Decision:
        decision = self._guarding.decide(self._event, self._log)
        if not decision.allowed:
            raise Denied(decision)
        self._token = _CURRENT.set(decision)
        return decision

    def __exit__(self, *exc) -> Literal[False]:
        assert self._token is not None  # set on entry
        _CURRENT.reset(self._token)
        return False

    async def __aenter__(self) -> Decision:
        return self.__enter__()

    async def __aexit__(self, *exc) -> bool:
        return self.__exit__(*exc)


class Guarding:
    """`guard` and `check` for anything with `evaluate(event)` and a `digest`."""

    #: where guarded decisions are logged when a guard names no log (PolicyStore sets it)
    decision_log: "DecisionLog | None" = None

    if TYPE_CHECKING:  # what each subclass provides
        @property
        def digest(self) -> str: ...

        def evaluate(self, event: Any, strict: bool = False, now: datetime | None = None) -> Decision: ...

    def decide(self, event: Any, log: "DecisionLog | None" = None) -> Decision:
        """Evaluate and, with a log (this call's or the default), record the decision."""
        return self.logged(event, self.evaluate(event), log)

    def logged(self, event: Any, decision: Decision, log: "DecisionLog | None") -> Decision:
        log = log or self.decision_log
        if log is not None:
            log.record(event, decision)
        return decision

    def check(self, event: Any, *, log: "DecisionLog | None" = None) -> Check:
        """A context manager that lets its block run only when `event` is allowed."""
        return Check(self, event, log)

    def guard(self, purpose: str | None = None, categories: Iterable[str] | None = None,
              event: Callable[..., Any] | None = None, *,
              log: "DecisionLog | None" = None) -> Callable:
        """A decorator: every call of the function is first decided, and runs only when
        allowed (else `engine.Denied`). `event` is called with the function's
        arguments and returns the event (a dict); `purpose` and `categories`, when
        given, are set on it (they win over the builder's). Plain and `async def`
        functions alike; inside, `engine.current_decision()` gives the allow."""
        fixed: dict[str, Any] = {}
        if purpose is not None:
            fixed["purpose"] = purpose
        if categories is not None:
            fixed["categories"] = [categories] if isinstance(categories, str) else list(categories)

        def decorate(function: Callable) -> Callable:
            action = getattr(function, "__qualname__", repr(function))

            def allow(args, kwargs) -> Decision:
                try:
                    built = dict(event(*args, **kwargs)) if event is not None else {}
                except Exception as error:  # fail closed, and say why
                    decision = self.logged(None, unreadable(
                        self.digest, f"the guard of `{action}` could not build its event: "
                        f"{type(error).__name__}: {error}"), log)
                else:
                    built.update(fixed)
                    decision = self.decide(built, log)
                if not decision.allowed:
                    raise Denied(decision, action)
                return decision

            if inspect.iscoroutinefunction(function):
                @functools.wraps(function)
                async def guarded_async(*args, **kwargs):
                    token = _CURRENT.set(allow(args, kwargs))
                    try:
                        return await function(*args, **kwargs)
                    finally:
                        _CURRENT.reset(token)

                return guarded_async

            @functools.wraps(function)
            def guarded(*args, **kwargs):
                token = _CURRENT.set(allow(args, kwargs))
                try:
                    return function(*args, **kwargs)
                finally:
                    _CURRENT.reset(token)

            return guarded

        return decorate


__all__ = ["Check", "Denied", "Guarding", "current_decision"]
