"""Pausing Python's cyclic collector while a large graph of young objects is
built (compiling, parsing, linting)."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextmanager
def collector_paused():
    """Compiling builds a large graph of young objects, and Python's cyclic
    collector would scan it again and again (a third of the time of a large
    policy). Reference counting still frees memory meanwhile; the collector is
    back on when the last concurrent compile ends, if it was on before."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
