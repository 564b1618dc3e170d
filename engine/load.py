"""Loading: paths to sources, `use` to library sources, then parse and check.

`compile_sources` is the one way from text to a Policy: the API, the CLI and
(later) the REPL all go through it.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from . import ast
from .check import check
from .diagnostics import Diagnostic, Severity, did_you_mean, render_all
from .resources import LIBRARIES, library_dir
from .source import Source, Span

if TYPE_CHECKING:  # policy.py imports this module's callers; only for annotations
    from .policy import Policy
from .syntax import parse_module

MAX_FILE_BYTES = 10 * 1024 * 1024


class PolicyError(Exception):
    """A policy that does not compile. `.diagnostics` holds every problem."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        summary = f"{len(errors)} error(s) in the policy" + (f"; first: {first}" if first else "")
        super().__init__(summary)

    def render(self, color: bool = False) -> str:
        return render_all(self.diagnostics, color)


def _read(path: Path, name: str, diagnostics: list[Diagnostic]) -> Source | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            diagnostics.append(_file_error(name, "is larger than 10 MiB"))
            return None
        data = path.read_bytes()
    except OSError as error:
        diagnostics.append(_file_error(name, f"cannot be read: {error.strerror or error}"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        diagnostics.append(_file_error(name, f"is not UTF-8 (byte {error.start})"))
        return None
    return Source(name, text.removeprefix("\ufeff").replace("\r\n", "\n"))


def _file_error(name: str, problem: str) -> Diagnostic:
    return Diagnostic("E0001", f"`{name}` {problem}", Span(Source(name, ""), 0, 0))


def read_paths(paths: Iterable[str | os.PathLike], diagnostics: list[Diagnostic]) -> list[Source]:
    """Files as given, and every `*.law` below a directory in sorted path order."""
    sources = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.law") if p.is_file())
            if not files:
                diagnostics.append(Diagnostic(
                    "E0002", f"`{given}` holds no `.law` files", None,
                    help="policy files end in `.law`"))
            for file in files:
                source = _read(file, str(Path(given) / file.relative_to(path)), diagnostics)
                if source:
                    sources.append(source)
        elif path.exists():
            source = _read(path, str(given), diagnostics)
            if source:
                sources.append(source)
        else:
            diagnostics.append(_file_error(str(given), "does not exist"))
    return sources


def library_sources(name: str) -> list[Source]:
    folder = library_dir(name)
    assert folder is not None
    diagnostics: list[Diagnostic] = []
    sources = []
    for file in sorted(folder.rglob("*.law")):
        source = _read(file, f"<{name}>/{file.relative_to(folder).as_posix()}", diagnostics)
        if source:
            sources.append(source)
    if diagnostics:  # a broken installation, not the user's fault
        raise RuntimeError(f"the `{name}` library cannot be read: {diagnostics[0]}")
    return sources


def parse_all(sources: list[Source], diagnostics: list[Diagnostic]) -> list[ast.Module]:
    """Parse the sources and every library they `use` (each once)."""
    modules = []
    for source in sources:
        module, found = parse_module(source)
        diagnostics.extend(found)
        modules.append(module)
    loaded: set[str] = set()
    index = 0
    while index < len(modules):
        for statement in modules[index].statements:
            if not isinstance(statement, ast.UseDecl):
                continue
            name = statement.library.value
            if library_dir(name) is None:
                diagnostics.append(Diagnostic(
                    "E0003", f"there is no library `{name}`", statement.library.span,
                    help=did_you_mean(name, LIBRARIES)
                    or "libraries: " + ", ".join(f"`{n}`" for n in sorted(LIBRARIES))))
            elif name not in loaded:
                loaded.add(name)
                for source in library_sources(name):
                    module, found = parse_module(source)
                    diagnostics.extend(found)
                    modules.append(module)
        index += 1
    return modules


def digest(modules: list[ast.Module]) -> str:
    """A hash of the formatted source of every file (libraries included), in
    path order: layout and whitespace do not change it, comments and rules do."""
    from .fmt import format_module

    hasher = hashlib.sha256()
    for module in sorted(modules, key=lambda m: m.source.name):
        try:
            canonical = format_module(module)
        except (AssertionError, RecursionError):  # never expected; the raw text still identifies
            canonical = module.source.text
        text = canonical.encode("utf-8")
        hasher.update(len(text).to_bytes(8, "big"))
        hasher.update(text)
    return "sha256:" + hasher.hexdigest()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextmanager
def _collector_paused():
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


def compile_sources(sources: list[Source], diagnostics: list[Diagnostic] | None = None):
    """Sources to a Policy; raises PolicyError when any error is found."""
    from .policy import Policy

    diagnostics = list(diagnostics or [])
    with _collector_paused():
        modules = parse_all(sources, diagnostics)
        checked, found = check(modules)
        diagnostics.extend(found)
        if any(d.severity is Severity.ERROR for d in diagnostics):
            raise PolicyError(diagnostics)
        return Policy(checked, digest(modules), sorted(diagnostics, key=Diagnostic.sort_key))


def load_policy(paths) -> "Policy":
    """A file, a directory, or a list of both, to a compiled Policy."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    diagnostics: list[Diagnostic] = []
    sources = read_paths(list(paths), diagnostics)
    return compile_sources(sources, diagnostics)


def load_policy_text(text: str, name: str = "<policy>") -> "Policy":
    """Policy text (one file's worth) to a compiled Policy."""
    return compile_sources([Source(name, text)])
