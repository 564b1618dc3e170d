"""A repository of policies: its configuration and the discovery of its policies.

Configuration (`lawful.toml`, or `[tool.lawful]` in `pyproject.toml`) is found by
walking up from the current directory, as ruff finds its own; the nearest file
wins, and a `pyproject.toml` without `[tool.lawful]` is passed over. Its paths and
patterns are relative to the directory that holds it.

Discovery turns the paths given to `lawful lint/fmt/test` into policies:

- a directory with a `policy "…"` declaration in one of its own `.law` files (or
  named in the configuration's `paths`) is one policy: every `.law` file below it
  belongs to it, except those below a subdirectory that is itself such a policy;
- every other `.law` file is a policy of its own;
- hidden entries (`.git`, `.venv`, …), virtual environments (a folder holding
  `pyvenv.cfg`), the `exclude` patterns (by default `venv`, `build`, `dist`,
  `node_modules`, `__pycache__`, `site-packages`), the `extend-exclude` ones and
  what `.gitignore` files ignore are skipped;
- a file named on the command line stands for the policy it belongs to (the
  nearest directory above it that is a policy, up to the repository's top), and
  only that file's warnings are reported.

Each policy's files are then read by `engine.load`, as any policy is.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pathspec

from ..core.diagnostics import CODES, Diagnostic, Severity, did_you_mean

DEFAULT_EXCLUDE = ("venv", "build", "dist", "node_modules", "__pycache__", "site-packages")
CONFIG_NAMES = ("lawful.toml", "pyproject.toml")
#: a line that declares the policy's name
_DECLARES_POLICY = re.compile(r'^[ \t]*policy[ \t]+"', re.MULTILINE)


class ConfigError(Exception):
    """A configuration file that cannot be used: the message names the file (and line)."""


# ---- configuration ---------------------------------------------------------------------


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _codes(value: Any) -> str | None:
    """Why `value` is not a list of codes or code prefixes (None: it is one)."""
    if not _strings(value):
        return "must be a list of codes or code prefixes, such as [\"W0805\", \"W09\"]"
    for item in value:
        if not item or not any(code.startswith(item) for code in CODES):
            hint = did_you_mean(item, sorted(CODES)) if item else None
            return f"`{item}` is no diagnostic code or prefix of one" + (f" ({hint})" if hint else "")
    return None


def _check_list(value: Any) -> str | None:
    return None if _strings(value) else "must be a list of strings"


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _check_fail_on(value: Any) -> str | None:
    return None if value in ("error", "warning") else 'must be "error" or "warning"'


def _check_string(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _check_per_file(value: Any) -> str | None:
    if not isinstance(value, dict):
        return 'must be a table of patterns to codes, such as {"legacy/*.law" = ["W08"]}'
    for pattern, codes in value.items():
        problem = _codes(codes)
        if problem:
            return f"`{pattern}`: {problem}"
    return None


#: every key a configuration may hold: (table, key) -> check
SCHEMA: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("", "paths"): _check_list,
    ("", "exclude"): _check_list,
    ("", "extend-exclude"): _check_list,
    ("", "respect-gitignore"): _check_bool,
    ("", "force-exclude"): _check_bool,
    ("lint", "select"): _codes,
    ("lint", "ignore"): _codes,
    ("lint", "per-file-ignores"): _check_per_file,
    ("lint", "fail-on"): _check_fail_on,
    ("test", "coverage"): _check_bool,
    ("test", "coverage-libraries"): _check_bool,
    ("test", "junit"): _check_string,
}
TABLES = ("lint", "test")

DEFAULTS: dict[str, Any] = {
    "paths": [], "exclude": list(DEFAULT_EXCLUDE), "extend-exclude": [], "respect-gitignore": True,
    "force-exclude": False, "lint.select": [], "lint.ignore": [], "lint.per-file-ignores": {},
    "lint.fail-on": "warning", "test.coverage": False, "test.coverage-libraries": False,
    "test.junit": None,
}


@dataclass
class Config:
    """The resolved settings, and where each came from (`origin`: a file and line,
    `default`, or `command line`)."""

    root: Path
    file: Path | None = None
    values: dict[str, Any] = field(default_factory=lambda: {k: (list(v) if isinstance(v, list) else v)
                                                            for k, v in DEFAULTS.items()})
    origin: dict[str, str] = field(default_factory=lambda: dict.fromkeys(DEFAULTS, "default"))

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: Any, origin: str = "command line") -> None:
        self.values[key] = value
        self.origin[key] = origin

    def show(self) -> str:
        """The resolved configuration as TOML, each key with where it came from."""
        lines = [f"# configuration: {self.file or 'none found (the defaults)'}",
                 f"# paths and patterns are relative to {self.root}"]
        table = ""
        for key in DEFAULTS:
            section, _, name = key.rpartition(".")
            if section != table:
                table = section
                lines += ["", f"[{section}]"]
            value = self.values[key]
            lines.append(f"# {name}: not set  # {self.origin[key]}" if value is None
                         else f"{name} = {_toml(value)}  # {self.origin[key]}")
        return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*lawful\s*[\].]", text, re.MULTILINE) is not None


def find_config(start: Path) -> Path | None:
    """The nearest `lawful.toml`, or `pyproject.toml` with `[tool.lawful]`, at or above `start`."""
    for folder in (start, *start.parents):
        if (folder / "lawful.toml").is_file():
            return folder / "lawful.toml"
        if (folder / "pyproject.toml").is_file() and _has_tool_table(folder / "pyproject.toml"):
            return folder / "pyproject.toml"
    return None


def _line_of(text: str, prefix: str, table: str, key: str) -> int | None:
    """The line (1-based) of `key` in `table`, by searching the text (tomllib keeps no positions)."""
    lines = text.splitlines()
    header = f"{prefix}.{table}" if prefix and table else (prefix or table)

    def table_line(name: str) -> int | None:
        pattern = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, name.split("."))) + r"\s*\]")
        return next((i for i, line in enumerate(lines) if pattern.match(line)), None)

    own = table_line(f"{header}.{key}" if header else key)  # the key is a table of its own
    if own is not None:
        return own + 1
    start = (table_line(header) or 0) if header else 0
    wanted = re.compile(r'^\s*(?:[\w."-]+\.)?"?' + re.escape(key) + r'"?\s*=')
    for number in range(start, len(lines)):
        if number > start and header and lines[number].lstrip().startswith("["):
            break
        if wanted.match(lines[number]):
            return number + 1
    for number, line in enumerate(lines):
        if re.search(r'(^|[.\s"])' + re.escape(key) + r'"?\s*=', line):
            return number + 1
    return None


def load_config(cwd: Path | None = None, file: Path | None = None) -> Config:
    """The configuration for work in `cwd` (found by walking up), or the one in `file`."""
    cwd = Path(cwd or os.getcwd()).absolute()
    file = file.absolute() if file else find_config(cwd)
    if file is None:
        return Config(root=cwd)
    config = Config(root=file.parent, file=file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot be read: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        where = f"{file}:{found.group(1)}:{found.group(2)}" if found else str(file)
        raise ConfigError(f"{where}: not valid TOML: {message}") from None
    prefix = ""
    if file.name == "pyproject.toml":
        prefix = "tool.lawful"
        data = data.get("tool", {}).get("lawful", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: `tool.lawful` must be a table")

    def fail(table: str, key: str, problem: str) -> None:
        line = _line_of(text, prefix, table, key)
        name = ".".join(part for part in (prefix, table, key) if part)
        raise ConfigError(f"{file}{f':{line}' if line else ''}: `{name}` {problem}")

    def known(table: str) -> list[str]:
        return [k for t, k in SCHEMA if t == table] + (list(TABLES) if not table else [])

    for table, entries in [("", {k: v for k, v in data.items() if k not in TABLES})] + [
            (t, data[t]) for t in TABLES if t in data]:
        if not isinstance(entries, dict):
            fail("", table, "must be a table")
        for key, value in entries.items():
            check = SCHEMA.get((table, key))
            if check is None:
                hint = did_you_mean(key, known(table))
                fail(table, key, "is not a configuration key" + (f" ({hint})" if hint else "")
                     + "; known: " + ", ".join(f"`{k}`" for k in known(table)))
                continue
            problem = check(value)
            if problem:
                fail(table, key, problem)
            if table == "lint" and key == "ignore" and any(c.startswith("E") for c in value):
                fail(table, key, "cannot name errors (E…): a policy with an error does not compile")
            line = _line_of(text, prefix, table, key)
            config.set(f"{table}.{key}" if table else key, value,
                       f"{file.name}{f':{line}' if line else ''}")
    return config


# ---- selecting findings ------------------------------------------------------------------


def enabled(code: str, select: list[str], ignore: list[str]) -> bool:
    """Whether a warning is on: the longest matching prefix decides, as in ruff (an
    ignore of `W08` with a select of `W0805` keeps W0805); with no select, all are."""
    chosen = max((len(p) for p in select if code.startswith(p)), default=None) if select else 0
    if chosen is None:
        return False
    dropped = max((len(p) for p in ignore if code.startswith(p)), default=None)
    return dropped is None or chosen > dropped


def reported(diagnostic: Diagnostic, policy: "Target", config: Config) -> bool:
    """Whether a finding is shown. Errors always are (the policy does not compile,
    whichever file holds them); a warning when its code is selected, not ignored for
    its file, and in a file the policy was named for."""
    if diagnostic.severity is Severity.ERROR:
        return True
    file = diagnostic.file
    if file is not None and policy.only is not None and os.path.abspath(file) not in policy.only:
        return False
    ignore = list(config["lint.ignore"])
    if file is not None and config["lint.per-file-ignores"]:
        relative = _relative(Path(os.path.abspath(file)), config.root)
        for pattern, codes in config["lint.per-file-ignores"].items():
            if relative is not None and pathspec.GitIgnoreSpec.from_lines([pattern]).match_file(relative):
                ignore += codes
    return enabled(diagnostic.code, config["lint.select"], ignore)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


# ---- discovery ---------------------------------------------------------------------------


@dataclass
class Target:
    """One policy to lint or test: its name (a directory or a file, as the user spelled
    it), its files, and `only`: the absolute paths of the files it was named for
    (None: all of them)."""

    name: str
    files: list[str] = field(default_factory=list)
    only: set[str] | None = None


class Discovery:
    def __init__(self, config: Config, cwd: Path | None = None):
        self.config = config
        self.cwd = Path(cwd or os.getcwd()).absolute()
        self.excludes = pathspec.GitIgnoreSpec.from_lines(config["exclude"] + config["extend-exclude"])
        self.roots = {os.path.normpath(config.root / p) for p in config["paths"]}
        self._gitignores: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._declares: dict[str, bool] = {}
        self._chains: dict[str, tuple[str, ...]] = {}

    # -- what is skipped

    def _gitignore(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._gitignores:
            try:
                with open(os.path.join(folder, ".gitignore"), encoding="utf-8") as handle:
                    self._gitignores[folder] = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
            except (OSError, UnicodeDecodeError):
                self._gitignores[folder] = None
        return self._gitignores[folder]

    def _git_ignored(self, path: str, is_dir: bool) -> bool:
        """What the `.gitignore` files of the folders above `path` (up to the
        repository's top) say; the deepest one with a matching pattern decides."""
        verdict: bool | None = None
        for folder in self._chain(os.path.dirname(path)):
            spec = self._gitignore(folder)
            if spec is None:
                continue
            relative = os.path.relpath(path, folder).replace(os.sep, "/") + ("/" if is_dir else "")
            result = spec.check_file(relative)
            if result.include is not None:
                verdict = result.include
        return bool(verdict)

    def _chain(self, folder: str) -> tuple[str, ...]:
        """The folders from the repository's top (the nearest holding `.git`, else the
        filesystem's root) down to `folder`."""
        if folder not in self._chains:
            parent = os.path.dirname(folder)
            top = os.path.exists(os.path.join(folder, ".git")) or parent == folder
            self._chains[folder] = (folder,) if top else self._chain(parent) + (folder,)
        return self._chains[folder]

    def excluded(self, path: str, is_dir: bool) -> bool:
        """Whether discovery skips `path` (absolute): hidden, a virtual environment,
        an excluded pattern, or ignored by git."""
        name = os.path.basename(path)
        if name.startswith("."):
            return True
        if is_dir and os.path.isfile(os.path.join(path, "pyvenv.cfg")):
            return True
        relative = _relative(Path(path), self.config.root)
        candidate = (relative if relative is not None else name) + ("/" if is_dir else "")
        if self.excludes.match_file(candidate):
            return True
        return bool(self.config["respect-gitignore"]) and self._git_ignored(path, is_dir)

    def excluded_here_or_above(self, path: str, is_dir: bool) -> bool:
        """`excluded` for a path named on the command line: it or a folder above it
        (up to the configuration's folder)."""
        if self.excluded(path, is_dir):
            return True
        folder = os.path.dirname(path)
        while _relative(Path(folder), self.config.root) not in (None, "."):
            if self.excluded(folder, True):
                return True
            folder = os.path.dirname(folder)
        return False

    # -- what is a policy

    def _declares_policy(self, file: str) -> bool:
        if file not in self._declares:
            try:
                with open(file, encoding="utf-8", errors="replace") as handle:
                    self._declares[file] = bool(_DECLARES_POLICY.search(handle.read()))
            except OSError:
                self._declares[file] = False
        return self._declares[file]

    def _listing(self, folder: str) -> tuple[list[str], list[str]]:
        """The `.law` files and the subfolders of a folder that discovery keeps, sorted."""
        files: list[str] = []
        folders: list[str] = []
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return [], []
        for name in names:
            path = os.path.join(folder, name)
            is_dir = os.path.isdir(path)
            if not is_dir and not name.endswith(".law"):
                continue
            if self.excluded(path, is_dir):
                continue
            (folders if is_dir else files).append(name)
        return files, folders

    def is_policy_dir(self, folder: str) -> bool:
        if os.path.normpath(folder) in self.roots:
            return True
        files, _ = self._listing(folder)
        return any(self._declares_policy(os.path.join(folder, name)) for name in files)

    def _top(self, folder: str) -> str | None:
        """How far up to look for the policy a path belongs to: the nearest folder that
        holds `.git`, a configuration file, or is the configuration's folder."""
        current = folder
        while True:
            if (os.path.normpath(current) == os.path.normpath(self.config.root)
                    or any(os.path.exists(os.path.join(current, marker)) for marker in (".git", *CONFIG_NAMES))):
                return current
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent

    def enclosing(self, folder: str) -> str | None:
        """The nearest policy directory at or above `folder` (absolute), or None."""
        top = self._top(folder) or folder
        current = folder
        while True:
            if not self.excluded_here_or_above(current, True) and self.is_policy_dir(current):
                return current
            if os.path.normpath(current) == os.path.normpath(top):
                return None
            parent = os.path.dirname(current)
            if parent == current:
                return None
            current = parent

    # -- walking

    def _display(self, path: str, absolute: bool) -> str:
        return path if absolute else os.path.relpath(path, self.cwd)

    def walk(self, folder: str, name: str) -> list[Target]:
        """The policies below a folder (absolute path; `name`: as it is shown)."""
        targets: list[Target] = []
        seen: set[str] = set()

        def visit(path: str, shown: str, owner: Target | None) -> None:
            real = os.path.realpath(path)
            if real in seen:  # a link loop, or one folder under two names
                return
            seen.add(real)
            if self.is_policy_dir(path):
                owner = Target(shown)
                targets.append(owner)
            files, folders = self._listing(path)
            entries = sorted([(n, False) for n in files] + [(n, True) for n in folders])
            for entry, is_dir in entries:
                child, child_shown = os.path.join(path, entry), os.path.normpath(os.path.join(shown, entry))
                if is_dir:
                    visit(child, child_shown, owner)
                elif owner is not None:
                    owner.files.append(child_shown)
                else:
                    targets.append(Target(child_shown, [child_shown]))

        visit(folder, name, None)
        return targets

    def files(self, given: list[str], force_exclude: bool = False) -> list[str]:
        """Every `.law` file named or below a named folder, for `fmt` (no grouping)."""
        found: list[str] = []
        for spelled in given:
            path = os.path.abspath(spelled)
            if not os.path.exists(path):
                raise FileNotFoundError(spelled)
            is_dir = os.path.isdir(path)
            if force_exclude and self.excluded_here_or_above(path, is_dir):
                continue
            if not is_dir:
                found.append(spelled)
                continue
            for target in self.walk(path, os.path.normpath(spelled)):
                found += target.files
        return list(dict.fromkeys(found))

    def policies(self, given: list[str], force_exclude: bool = False) -> list[Target]:
        """The policies the named paths stand for, in the order named (each once)."""
        merged: dict[str, Target] = {}

        def add(target: Target, key: str) -> Target:
            if key not in merged:
                merged[key] = target
                return target
            held = merged[key]
            if held.only is not None:
                held.only = None if target.only is None else held.only | target.only
            return held

        def key_of(target: Target) -> str:
            return os.path.abspath(target.name)

        for spelled in given:
            path = os.path.abspath(spelled)
            absolute = os.path.isabs(spelled)
            if not os.path.exists(path):
                raise FileNotFoundError(spelled)
            is_dir = os.path.isdir(path)
            if force_exclude and self.excluded_here_or_above(path, is_dir):
                continue
            start = path if is_dir else os.path.dirname(path)
            root = self.enclosing(start)
            if root is None or (is_dir and os.path.normpath(root) == os.path.normpath(path)):
                if is_dir:
                    found = self.walk(path, os.path.normpath(spelled))
                    # a folder with no policy in it: read as one, the loader names the problem (E0002)
                    for target in found or [Target(os.path.normpath(spelled), [spelled])]:
                        add(target, key_of(target))
                else:
                    add(Target(os.path.normpath(spelled), [os.path.normpath(spelled)]), path)
                continue
            # a file, or a folder, inside a policy directory: that policy, for these files
            walked = self.walk(root, os.path.normpath(self._display(root, absolute)))
            policy = walked[0]
            inside = [f for f in policy.files
                      if os.path.abspath(f) == path or os.path.abspath(f).startswith(path + os.sep)]
            if not is_dir and not inside:  # named, though discovery would skip it
                policy.files.append(os.path.normpath(spelled))
                inside = [spelled]
            policy.only = {os.path.abspath(f) for f in inside}
            add(policy, key_of(policy))
            if is_dir:  # policies of their own below the folder
                for target in walked[1:]:
                    if os.path.abspath(target.name).startswith(path + os.sep):
                        add(target, key_of(target))
        return list(merged.values())


def validate_codes(codes: list[str], option: str) -> list[str]:
    """Codes or prefixes given on the command line; a ConfigError names a bad one."""
    problem = _codes(codes)
    if problem:
        raise ConfigError(f"{option}: {problem}")
    if option == "--ignore" and any(code.startswith("E") for code in codes):
        raise ConfigError(f"{option}: cannot name errors (E…): a policy with an error does not compile")
    return codes


# ---- selecting tests ---------------------------------------------------------------------


class TestFilter:
    """A pytest `-k` expression: words matched case-insensitively as substrings of a
    test's name or file, joined by `and`, `or`, `not` and parentheses."""

    __test__ = False  # not a pytest class

    def __init__(self, expression: str):
        self.tokens = re.findall(r"\(|\)|[^\s()]+", expression)
        if not self.tokens:
            raise ValueError("the expression is empty")
        self.expression = expression
        self._check()

    def _check(self) -> None:
        position = self._parse_or(0, lambda word: True)[1]
        if position != len(self.tokens):
            raise ValueError(f"`{self.expression}`: unexpected `{self.tokens[position]}`")

    def __call__(self, name: str, file: str) -> bool:
        haystack = f"{file}::{name}".lower()
        return self._parse_or(0, lambda word: word.lower() in haystack)[0]

    def _parse_or(self, at: int, match: Callable[[str], bool]) -> tuple[bool, int]:
        value, at = self._parse_and(at, match)
        while at < len(self.tokens) and self.tokens[at] == "or":
            right, at = self._parse_and(at + 1, match)
            value = value or right
        return value, at

    def _parse_and(self, at: int, match: Callable[[str], bool]) -> tuple[bool, int]:
        value, at = self._parse_not(at, match)
        while at < len(self.tokens) and self.tokens[at] == "and":
            right, at = self._parse_not(at + 1, match)
            value = value and right
        return value, at

    def _parse_not(self, at: int, match: Callable[[str], bool]) -> tuple[bool, int]:
        if at >= len(self.tokens):
            raise ValueError(f"`{self.expression}`: ends where a word was expected")
        token = self.tokens[at]
        if token == "not":
            value, at = self._parse_not(at + 1, match)
            return not value, at
        if token == "(":
            value, at = self._parse_or(at + 1, match)
            if at >= len(self.tokens) or self.tokens[at] != ")":
                raise ValueError(f"`{self.expression}`: a `(` is not closed")
            return value, at + 1
        if token in (")", "and", "or"):
            raise ValueError(f"`{self.expression}`: unexpected `{token}`")
        return match(token), at + 1
