"""One policy as the editor has it: its files (open buffers in place of what is on
disk), every diagnostic `lawful lint` would report on them, and the index of
their names (libraries included).

The policy a file belongs to is found as `lawful lint FILE` finds it: the
repository configuration (`lawful.toml` or `[tool.lawful]`, walking up from the
file) and the discovery of `engine.tools.project`; its `lint.select`,
`lint.ignore` and `per-file-ignores` apply. The loader's own stages do the rest,
once per analysis: parse, `use`, check, compile, then lint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core.diagnostics import Diagnostic, Note
from ..core.resources import library_dir, library_of
from ..core.source import Source, Span
from ..decide.policy import Policy
from ..load import STAGES, Build, PolicyError, PolicyFile, read_file
from ..syntax import ast
from ..syntax.lower import parse_module
from ..tools.lint import lint, own_findings
from ..tools.project import ConfigError, Config, Discovery, Target, load_config, reported
from .index import Index


@dataclass
class Analysis:
    """What one run over a policy found."""

    #: the policy's own files (absolute paths), in the order read
    files: list[str]
    sources: dict[str, Source]
    #: every diagnostic reported, by file (absolute path); files without any: []
    diagnostics: dict[str, list[Diagnostic]]
    index: Index
    policy: Policy | None = None
    #: a problem with the configuration (the defaults were used)
    config_problem: str | None = None
    versions: dict[str, int | None] = field(default_factory=dict)
    #: whether the diagnostics include the exact analysis (W0812: `complete`)
    exact: bool = False
    path: str = ""
    config: Config | None = None

    def source(self, path: str) -> Source | None:
        return self.sources.get(path)

    def complete(self) -> None:
        """Add the exact analysis's findings (the policy's decision diagram: it can take
        seconds on a large policy): the diagnostics are then what `lawful lint` reports."""
        if self.policy is not None and not self.exact:
            found = own_findings(self.policy, self.policy.diagnostics + lint(self.policy))
            self.diagnostics = _by_file(self.path, self.files, self.config, found)
        self.exact = True

    def texts(self) -> dict[str, str]:
        """The text of each of the policy's own files, as this analysis read it."""
        return {f: self.sources[f].text for f in self.files if f in self.sources}

    def apply(self, found: list[dict]) -> None:
        """The diagnostics `exact_findings` sent (from another process), on these sources."""
        def span(where) -> Span | None:
            if where is None or where[0] not in self.sources:
                return None
            return Span(self.sources[where[0]], where[1], where[2])

        diagnostics = [Diagnostic(d["code"], d["message"], span(d["span"]), d["help"],
                                  tuple(Note(n["message"], span(n["span"])) for n in d["notes"]))
                       for d in found]
        self.diagnostics = _by_file(self.path, self.files, self.config, diagnostics)
        self.exact = True


def exact_findings(path: str, texts: dict[str, str]) -> list[dict]:
    """Every diagnostic of the policy of `path` read from `texts`, the exact analysis
    included, as plain data (spans as file and offsets): what `Analysis.apply` takes.
    The language server runs it in a process of its own."""
    analysis = analyse(path, texts)
    analysis.complete()

    def where(span: Span | None):
        return None if span is None else (span.file, span.start, span.end)

    return [{"code": d.code, "message": d.message, "help": d.help, "span": where(d.span),
             "notes": [{"message": n.message, "span": where(n.span)} for n in d.notes]}
            for found in analysis.diagnostics.values() for d in found]


def policy_files(path: str) -> tuple[list[str], Config | None, str | None]:
    """The files of the policy `path` (a `.law` file) belongs to, the configuration
    that applies, and why the configuration could not be read (None if it could)."""
    folder = Path(path).parent
    try:
        config = load_config(cwd=folder)
    except ConfigError as error:
        return _alone(path), None, str(error)
    try:
        targets = Discovery(config, cwd=folder).policies([path])
    except (OSError, ConfigError):  # the file is not on disk (yet), or the folder went away
        return _alone(path), config, None
    for target in targets:
        files = [os.path.abspath(f) for f in target.files]
        if path in files:
            return files, config, None
    return _alone(path), config, None


def _alone(path: str) -> list[str]:
    return [path]


#: each file's last parse, by name: (its text, the module, its diagnostics); an edit
#: parses again only the file it changed, and one text a file is kept
_PARSED: dict[str, tuple[str, ast.Module, list[Diagnostic]]] = {}
MAX_PARSED = 2048


def _parse(build: Build) -> None:
    for source in build.sources:
        held = _PARSED.get(source.name)
        if held is None or held[0] != source.text:
            if len(_PARSED) >= MAX_PARSED:
                _PARSED.clear()
            held = _PARSED[source.name] = (source.text, *parse_module(source))
        build.modules.append(held[1])
        build.diagnostics.extend(held[2])


def analyse(path: str, buffers: dict[str, str]) -> Analysis:
    """The analysis of the policy that the file `path` (absolute) belongs to, reading
    each open file from `buffers` (path -> text) and the others from disk; its lint
    leaves out the exact analysis (`Analysis.complete` adds it)."""
    files, config, problem = policy_files(path)
    if path not in files:
        files.append(path)
    build = Build()
    for file in files:
        if file in buffers:
            build.sources.append(PolicyFile(file, buffers[file].replace("\r\n", "\n"), key=file))
        else:
            read = read_file(Path(file), file, build.diagnostics, key=file)
            if read is not None:
                build.sources.append(read)
    policy = None
    stages = dict(STAGES)
    _parse(build)
    stages["use"](build)
    index = Index.of(build.modules)
    found: list[Diagnostic]
    try:
        for name in ("check", "compile"):  # no digest: the editor never shows one
            stages[name](build)
    except PolicyError as error:
        found = [d for d in error.diagnostics if d.span is None or not library_of(d.file)]
    else:
        policy = build.policy
        assert policy is not None
        found = own_findings(policy, policy.diagnostics + lint(policy, exact=False))
    sources = {source.name: source for source in build.sources}
    for module in build.modules:
        sources.setdefault(module.source.name, module.source)
    return Analysis(files, sources, _by_file(path, files, config, found), index, policy, problem,
                    exact=policy is None, path=path, config=config)


def _by_file(path: str, files: list[str], config: Config | None,
             found: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    """The diagnostics the configuration reports, by file (every file of the policy)."""
    if config is not None:
        target = Target(path, files, None)
        found = [d for d in found if reported(d, target, config)]
    diagnostics: dict[str, list[Diagnostic]] = {file: [] for file in files}
    for diagnostic in found:
        file = diagnostic.file if diagnostic.file in diagnostics else path  # no span: the file asked about
        diagnostics[file].append(diagnostic)
    return diagnostics


def library_path(name: str) -> str | None:
    """The file on disk of a library source named `<gdpr>/regions.law`."""
    library = library_of(name)
    if library is None:
        return None
    folder = library_dir(library)
    if folder is None:
        return None
    return str(folder / name[name.index(">/") + 2:])
