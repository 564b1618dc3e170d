"""The loader: the pipeline from paths to a Policy, as a named list of stages
(`STAGES`: read → parse → use → check → digest → compile), each timed.

`build` runs them; `load_policy`, `load_policy_text` and `compile_sources` (the
store and the REPL) all go through it, so there is one way from text to a
Policy. `lawful lint --timings` prints each stage's time.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .syntax import ast
from .check import Authored, check
from .ir import CheckedPolicy
from .core.collector import collector_paused
from .core.diagnostics import Diagnostic, Severity, did_you_mean, render_all
from .core.resources import NATIONAL_PREFIX, library_dir, library_names
from .core.source import Source, Span

from .decide.policy import Policy
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


@dataclass(frozen=True)
class PolicyFile(Source):
    """A source read from a policy path. `key` is its path relative to the policy
    root it was found under (a file given by itself: its name), the same however
    the root was spelled: the digest orders files by it. `library`: part of a
    library the policy `use`s (ordered after the policy's own files)."""

    key: str = ""
    library: bool = False


@dataclass
class Snapshot:
    """The policy files below some paths as they were read at one moment: the
    sources, the problems met reading them, and a signature of the tree (every
    directory listed, link followed and file read, with its inode, size and
    times) to tell whether it changed since. Two snapshots compare equal when
    they read the same tree the same way."""

    sources: list[PolicyFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    signature: list[tuple] = field(default_factory=list)
    #: the real directories the files were found in (what a watcher must watch)
    directories: set[str] = field(default_factory=set)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Snapshot) and self.signature == other.signature
                and [(s.name, s.text) for s in self.sources] == [(s.name, s.text) for s in other.sources]
                and [d.message for d in self.diagnostics] == [d.message for d in other.diagnostics])


def _stat_signature(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _problem(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error) or type(error).__name__


def read_file(path: Path, name: str, diagnostics: list[Diagnostic], key: str = "",
          library: bool = False) -> PolicyFile | None:
    try:  # non-blocking: a FIFO put in a file's place must not hang the reader
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                diagnostics.append(file_error(name, "is not a regular file"))
                return None
            data = file.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        diagnostics.append(file_error(name, f"cannot be read: {_problem(error)}"))
        return None
    if len(data) > MAX_FILE_BYTES:
        diagnostics.append(file_error(name, "is larger than 10 MiB"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        diagnostics.append(file_error(name, f"is not UTF-8 (byte {error.start})"))
        return None
    return PolicyFile(name, text.removeprefix("\ufeff").replace("\r\n", "\n"),
                      key=key or name, library=library)


def file_error(name: str, problem: str) -> Diagnostic:
    return Diagnostic("E0001", f"`{name}` {problem}", Span(Source(name, ""), 0, 0))


def _display(path: str) -> str:
    """How a path names its files: `./p/` and `p` both as `p`."""
    return str(Path(path))


def _missing(path: str, name: str) -> str:
    """Why a path that cannot be stat'ed cannot be: a broken or looping link, or absent."""
    try:
        target = os.readlink(path)
    except (OSError, ValueError):
        return "does not exist"
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return f"is a symbolic link loop (it points to `{target}`)"
        return f"is a symbolic link to `{target}`, which cannot be read: {_problem(error)}"
    except ValueError:
        pass
    return f"is a symbolic link to `{target}`"


def hidden(name: str) -> bool:
    """Entries of a policy directory that are not read: names starting with `.`
    (`.git`, editors' lock files, and a Kubernetes ConfigMap's `..data` and
    `..2026_…` internals, whose files are reached through the top-level links)."""
    return name.startswith(".")


def _is_dir(path) -> bool:
    try:
        return os.path.isdir(path)
    except (OSError, ValueError):
        return False


def scan(paths: Iterable[str | os.PathLike], read: bool = True) -> Snapshot:
    """Read the policy files at `paths`: files as given, and every `*.law` below a
    directory, following symbolic links (each file once, however many names lead to
    it), skipping hidden entries. Anything that cannot be read or listed is a
    diagnostic, never a silent skip. `read=False` only lists and stats (to compare
    signatures cheaply)."""
    snapshot = Snapshot()
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    paths = list(paths)
    # directories first: a file both given and found below a given directory is named (and
    # ordered) the same way whatever the order of the paths
    paths.sort(key=lambda given: not _is_dir(given))
    for given in paths:
        display = _display(os.fspath(given))
        try:
            st = os.stat(given)
        except (OSError, ValueError):
            spelled = os.fspath(given)  # named as the user wrote it
            snapshot.diagnostics.append(file_error(spelled, _missing(spelled, display)))
            snapshot.signature.append(("missing", display))
            continue
        if stat.S_ISDIR(st.st_mode):
            problems = len(snapshot.diagnostics)
            found = _walk(Path(given), display, st, snapshot, seen_files, seen_dirs, read)
            if not found and len(snapshot.diagnostics) == problems:
                snapshot.diagnostics.append(Diagnostic(
                    "E0002", f"`{display}` holds no `.law` files", None,
                    help="policy files end in `.law`"))
        else:
            if (st.st_dev, st.st_ino) in seen_files:
                continue
            seen_files.add((st.st_dev, st.st_ino))
            snapshot.directories.add(os.path.dirname(os.path.realpath(given)))
            _add_file(Path(given), display, Path(given).name, st, snapshot, read)
    return snapshot


def _add_file(path: Path, name: str, key: str, st: os.stat_result, snapshot: Snapshot, read: bool) -> None:
    snapshot.signature.append(("file", name, _stat_signature(st)))
    if not stat.S_ISREG(st.st_mode):
        snapshot.diagnostics.append(file_error(name, "is not a regular file"))
    elif read:
        source = read_file(path, name, snapshot.diagnostics, key)
        if source is not None:
            snapshot.sources.append(source)


def _walk(root: Path, display: str, root_stat: os.stat_result, snapshot: Snapshot,
          seen_files: set, seen_dirs: set, read: bool) -> int:
    """Depth first, in sorted name order; returns the number of `.law` files found."""
    found = 0
    # each frame: (directory, its display name, its key prefix, the (dev, ino) of it and its ancestors)
    stack: list[tuple[Path, str, str, tuple[tuple[int, int], ...]]] = [
        (root, display, "", ((root_stat.st_dev, root_stat.st_ino),))]
    seen_dirs.add((root_stat.st_dev, root_stat.st_ino))
    while stack:
        folder, name, prefix, ancestors = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted((entry.name for entry in listing), reverse=True)
            st = os.stat(folder)
        except (OSError, ValueError) as error:
            snapshot.diagnostics.append(file_error(name, f"cannot be listed: {_problem(error)}"))
            snapshot.signature.append(("unlistable", name, _problem(error)))
            continue
        snapshot.signature.append(("dir", name, _stat_signature(st), tuple(entries)))
        snapshot.directories.add(os.path.realpath(folder))
        subfolders = []
        for entry in reversed(entries):  # sorted order
            if hidden(entry):
                continue
            path, entry_name, key = folder / entry, f"{name}/{entry}", prefix + entry
            try:
                if os.path.islink(path):
                    snapshot.signature.append(("link", entry_name, os.readlink(path)))
                st = os.stat(path)
            except (OSError, ValueError):
                snapshot.diagnostics.append(file_error(entry_name, _missing(os.fspath(path), entry_name)))
                snapshot.signature.append(("missing", entry_name))
                continue
            identity = (st.st_dev, st.st_ino)
            if stat.S_ISDIR(st.st_mode) and entry.endswith(".law"):  # a file replaced by a folder
                snapshot.diagnostics.append(file_error(entry_name, "is a directory, not a policy file"))
                snapshot.signature.append(("file", entry_name, _stat_signature(st)))
            elif stat.S_ISDIR(st.st_mode):
                if identity in ancestors:
                    snapshot.diagnostics.append(file_error(
                        entry_name, "is a symbolic link loop (it leads back to a directory above it)"))
                    snapshot.signature.append(("loop", entry_name))
                elif identity not in seen_dirs:  # else: already read under another name
                    seen_dirs.add(identity)
                    subfolders.append((path, entry_name, key + "/", ancestors + (identity,)))
            elif entry.endswith(".law"):
                if identity in seen_files:  # the same file under a second name: read once
                    continue
                seen_files.add(identity)
                if os.path.islink(path):  # a change at the link's target must be seen too
                    snapshot.directories.add(os.path.dirname(os.path.realpath(path)))
                found += 1
                _add_file(path, entry_name, key, st, snapshot, read)
        stack.extend(reversed(subfolders))
    return found


def read_paths(paths: Iterable[str | os.PathLike], diagnostics: list[Diagnostic]) -> list[Source]:
    """Files as given, and every `*.law` below a directory in sorted path order (see `scan`)."""
    snapshot = scan(list(paths))
    diagnostics.extend(snapshot.diagnostics)
    return list(snapshot.sources)


def library_sources(name: str) -> list[Source]:
    folder = library_dir(name)
    assert folder is not None
    diagnostics: list[Diagnostic] = []
    sources: list[Source] = []
    for file in sorted(folder.rglob("*.law")):
        source = read_file(file, f"<{name}>/{file.relative_to(folder).as_posix()}", diagnostics, library=True)
        if source:
            sources.append(source)
    if diagnostics:  # a broken installation, not the user's fault
        raise RuntimeError(f"the `{name}` library cannot be read: {diagnostics[0]}")
    return sources


_LIBRARY_MODULES: dict[str, tuple[tuple, tuple[ast.Module, ...]]] = {}


def library_modules(name: str) -> tuple[ast.Module, ...]:
    """A library's parsed files, parsed once per process while its files are unchanged
    (the modules are immutable: every policy that `use`s the library shares them)."""
    folder = library_dir(name)
    assert folder is not None
    files = sorted(folder.rglob("*.law"))
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    held = _LIBRARY_MODULES.get(name)
    if held is not None and held[0] == stamp:
        return held[1]
    diagnostics: list[Diagnostic] = []
    modules = tuple(parse_sources(library_sources(name), diagnostics))
    if diagnostics:  # a broken installation, not the user's fault
        raise RuntimeError(f"the `{name}` library does not parse: {diagnostics[0]}")
    _LIBRARY_MODULES[name] = (stamp, modules)
    return modules


def parse_sources(sources: list[Source], diagnostics: list[Diagnostic]) -> list[ast.Module]:
    modules = []
    for source in sources:
        module, found = parse_module(source)
        diagnostics.extend(found)
        modules.append(module)
    return modules


def resolve_uses(modules: list[ast.Module], diagnostics: list[Diagnostic]) -> list[ast.Module]:
    """The modules and, after them, those of every library they (or those) `use`, each once."""
    modules = list(modules)
    loaded: set[str] = set()
    index = 0
    while index < len(modules):
        for statement in modules[index].statements:
            if not isinstance(statement, ast.UseDecl):
                continue
            name = statement.library.value
            if library_dir(name) is None:
                known = library_names()
                national = [n for n in known if n.startswith(NATIONAL_PREFIX)]
                if name.startswith(NATIONAL_PREFIX):  # a country's layer: list those there are
                    help = ("the national layers are " + ", ".join(f"`{n}`" for n in national)
                            + " (docs/gdpr.md, \"National layers\", tells how to add one)")
                else:
                    help = did_you_mean(name, known) or "libraries: " + ", ".join(f"`{n}`" for n in known)
                diagnostics.append(Diagnostic(
                    "E0003", f"there is no library `{name}`", statement.library.span, help=help))
            else:
                # a national layer comes after the GDPR library it adds to, however it is
                # written: the library's rules first, the same order either way
                for wanted in (["gdpr"] if name.startswith(NATIONAL_PREFIX) else []) + [name]:
                    if wanted not in loaded:
                        loaded.add(wanted)
                        modules.extend(library_modules(wanted))
        index += 1
    return modules


def digest(modules: list[ast.Module]) -> str:
    """A hash of the formatted source of every file (libraries included), in
    path order: layout and whitespace do not change it, comments and rules do.

    The order is that of each file's path relative to its policy root (`PolicyFile.key`),
    then the libraries': never the spelling of the paths the policy was loaded from
    (relative, absolute, `./p`, `p/`, through a link, files listed in another order).
    Files with the same relative path (under two roots) are ordered by their text."""
    from .syntax.printer import format_module

    def canonical(module: ast.Module) -> str:
        try:
            return format_module(module)
        except (AssertionError, RecursionError):  # never expected; the raw text still identifies
            return module.source.text

    def order(entry: tuple[ast.Module, str]) -> tuple:
        source = entry[0].source
        return (getattr(source, "library", False), getattr(source, "key", "") or source.name, entry[1])

    hasher = hashlib.sha256()
    for _, formatted in sorted(((m, canonical(m)) for m in modules), key=order):
        text = formatted.encode("utf-8")
        hasher.update(len(text).to_bytes(8, "big"))
        hasher.update(text)
    return "sha256:" + hasher.hexdigest()


# ---- the pipeline ---------------------------------------------------------------------


@dataclass
class Build:
    """What the stages pass along, each filling in its part."""

    paths: list[str | os.PathLike] | None = None
    sources: list[Source] = field(default_factory=list)
    modules: list[ast.Module] = field(default_factory=list)
    checked: CheckedPolicy | None = None
    authored: Authored | None = None
    digest: str = ""
    policy: Policy | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: seconds per stage, in order
    timings: dict[str, float] = field(default_factory=dict)


def _read_stage(build: Build) -> None:
    if build.paths is not None:
        build.sources = read_paths(build.paths, build.diagnostics)


def _parse_stage(build: Build) -> None:
    build.modules = parse_sources(build.sources, build.diagnostics)


def _use_stage(build: Build) -> None:
    build.modules = resolve_uses(build.modules, build.diagnostics)


def _check_stage(build: Build) -> None:
    build.checked, build.authored, found = check(build.modules)
    build.diagnostics.extend(found)
    if any(d.severity is Severity.ERROR for d in build.diagnostics):
        raise PolicyError(build.diagnostics)


def _digest_stage(build: Build) -> None:
    build.digest = digest(build.modules)


def _compile_stage(build: Build) -> None:
    assert build.checked is not None and build.authored is not None
    build.policy = Policy(build.checked, build.authored, build.digest, sorted(build.diagnostics, key=Diagnostic.sort_key))


#: The loader's stages, in order (OPA's compiler keeps its stages as such a list):
#: read the files, parse each, parse the libraries they `use`, check (names, types,
#: rules, tests: every diagnostic; errors stop here), digest the canonical text,
#: compile the fast path.
STAGES: tuple[tuple[str, Callable[[Build], None]], ...] = (
    ("read", _read_stage),
    ("parse", _parse_stage),
    ("use", _use_stage),
    ("check", _check_stage),
    ("digest", _digest_stage),
    ("compile", _compile_stage),
)


def build(paths: list[str | os.PathLike] | None = None, sources: list[Source] | None = None,
          diagnostics: list[Diagnostic] | None = None, timings: dict[str, float] | None = None) -> Policy:
    """Run the stages on paths (or on sources already read); a PolicyError when any
    error is found. `timings`, when given, receives the seconds of each stage run."""
    state = Build(paths=paths, sources=list(sources or []), diagnostics=list(diagnostics or []))
    with collector_paused():
        try:
            for name, stage in STAGES:
                began = time.perf_counter()
                try:
                    stage(state)
                finally:
                    state.timings[name] = time.perf_counter() - began
        finally:
            if timings is not None:
                timings.update(state.timings)
    assert state.policy is not None
    return state.policy


def compile_sources(sources: list[Source], diagnostics: list[Diagnostic] | None = None,
                    timings: dict[str, float] | None = None) -> Policy:
    """Sources to a Policy (the stages after `read`); raises PolicyError when any error is found."""
    return build(sources=sources, diagnostics=diagnostics, timings=timings)


def load_policy(paths, timings: dict[str, float] | None = None) -> Policy:
    """A file, a directory, or a list of both, to a compiled Policy."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return build(paths=list(paths), timings=timings)


def load_policy_text(text: str, name: str = "<policy>") -> Policy:
    """Policy text (one file's worth) to a compiled Policy."""
    return compile_sources([Source(name, text)])
