"""The `lawful` command line. Thin: every command calls the library.

Exit codes (spec section 9): 0 success (for `eval`, whatever the effect);
1 findings or failures; 2 a usage error, or a policy that does not compile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Iterator

from rich.console import Console

from .core import __version__
from .core.diagnostics import render_all
from .load import PolicyError, load_policy
from .event.values import loads, split_lines
from .decide.decision import Decision
from .decide.policy import not_json

if TYPE_CHECKING:
    from rich.text import Text

    from .audit import AuditResult

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input: reported on one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 too; keep its wording
        self.print_usage(sys.stderr)
        raise UsageError(message)


class _Console(Console):
    def on_broken_pipe(self) -> None:  # rich exits 1 here; a closed reader is no failure
        raise BrokenPipeError


def _colour_wanted() -> bool | None:
    """NO_COLOR (set and not empty): never colour; FORCE_COLOR (set and not empty):
    colour even when the output is not a terminal; neither: colour on a terminal.
    NO_COLOR wins when both are set (no-color.org, force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _consoles() -> tuple[Console, Console]:
    wanted = _colour_wanted()

    def console(stderr: bool) -> Console:
        if wanted is None:  # rich decides: a terminal, and not TERM=dumb
            return _Console(stderr=stderr, highlight=False, soft_wrap=True)
        if wanted:  # forced: even a pipe, or TERM=dumb (an editor's compile buffer)
            dumb = os.environ.get("TERM", "").lower() in ("dumb", "unknown")
            return _Console(stderr=stderr, highlight=False, soft_wrap=True, force_terminal=True,
                            color_system="standard" if dumb else "auto")
        stream = sys.stderr if stderr else sys.stdout  # NO_COLOR: FORCE_COLOR does not make a pipe a terminal
        return _Console(stderr=stderr, highlight=False, soft_wrap=True, no_color=True,
                        force_terminal=_isatty(stream))

    return console(False), console(True)


def _color(console: Console) -> bool:
    return console.is_terminal and not console.no_color and console.color_system is not None


def _load(paths, err: Console):
    try:
        return load_policy(paths)
    except PolicyError as error:
        err.print(render_all(error.diagnostics, color=_color(err)), markup=False, highlight=False)
        raise SystemExit(EXIT_USAGE)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not an event file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read: {error.strerror or error}") from None


def _stdin_lines():
    """Standard input line by line as it arrives (bytes where it has them), so
    that `tail -f log.jsonl | lawful eval POLICY --json` decides each line at once."""
    stdin = sys.stdin
    if stdin is None or getattr(stdin, "closed", False):
        raise UsageError("standard input is closed: name an event file, or pipe JSON lines in")
    buffer = getattr(stdin, "buffer", None)
    return iter(buffer.readline, b"") if buffer is not None else iter(stdin.readline, "")


def _json_lines(lines, name: str) -> Iterator[tuple[str, Any]]:
    """(where, event or _NotJson) for each non-blank line: lines split on `\n` only."""
    for number, text, problem in split_lines(lines):
        if problem is not None:
            yield f"{name}:{number}", _NotJson(problem)
            continue
        assert text is not None  # a line without a problem has its text
        try:
            yield f"{name}:{number}", loads(text)
        except (ValueError, RecursionError) as error:
            column = getattr(error, "colno", 1)
            yield f"{name}:{number}:{column}", _NotJson(not_json(number, error))


class _NotJson:
    def __init__(self, message: str):
        self.message = message


def _events(path: str | None) -> Iterator[tuple[str, Any]]:
    """One JSON event from a file, or JSON lines (from stdin, as they arrive, or a file)."""
    if path in (None, "-"):
        yield from _json_lines(_stdin_lines(), "<stdin>")
        return
    data = _read_bytes(path)
    try:
        yield path, loads(data.decode("utf-8"))
        return
    except RecursionError:
        error_text = "the JSON is nested too deeply"
    except UnicodeDecodeError as error:
        error_text = f"is not UTF-8 (byte {error.start + 1})"
    except json.JSONDecodeError as error:
        error_text = f"{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
    except ValueError as error:  # JSON Python will not read (an integer of over 4,300 digits)
        error_text = f"not valid JSON: {error}"
    lines = data.split(b"\n")
    if sum(1 for line in lines if line.strip()) <= 1:
        raise UsageError(f"{path}:{error_text}" if error_text[0].isdigit() else f"{path}: {error_text}")
    yield from _json_lines(lines, path)


def _decide(policy, event: Any) -> Decision:
    if isinstance(event, _NotJson):
        return policy.unreadable(event.message)
    return policy.evaluate(event)


def cmd_eval(args, out: Console, err: Console) -> int:
    from .decide.explain import render_decision

    policy = _load(args.policy, err)
    stream = out.file
    denied = 0
    for path in args.events or ["-"]:
        live = path == "-"  # decisions are written as the lines arrive
        for where, event in _events(path):
            decision = _decide(policy, event)
            denied += not decision.allowed
            if args.json:
                stream.write(decision.to_json() + "\n")
            else:
                if len(args.events) > 1 or where.startswith("<stdin>:"):
                    out.print(where, style="bold", markup=False, highlight=False)
                out.print(render_decision(decision, event), end="")
            if live:
                stream.flush()
    stream.flush()
    if args.fail_on_deny and denied:
        err.print(f"lawful: {denied:,} event(s) denied (--fail-on-deny)", markup=False, highlight=False)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_explain(args, out: Console, err: Console) -> int:
    from .decide.explain import explain, render_explanation, render_remedies

    policy = _load(args.policy, err)
    events = list(_events(args.event))
    if len(events) != 1:
        raise UsageError(f"{args.event}: `explain` takes one event, found {len(events)}")
    _, event = events[0]
    if isinstance(event, _NotJson):
        raise UsageError(f"{args.event}: {event.message}")
    data = explain(policy, event)
    found = policy.remedies(event) if args.remedies else None
    if args.json:
        if found is not None:
            data["remedies"] = found.model_dump(mode="json")
        out.print(json.dumps(data, indent=2, default=str), markup=False, highlight=False)
    else:
        out.print(render_explanation(data), end="")
        if found is not None:
            out.print()
            out.print(render_remedies(found), end="")
    return EXIT_OK


#: `lawful diff --fail-on`: the kinds of change each word stands for
_FAIL_ON = {"deny-to-allow": ("deny-to-allow",), "allow-to-deny": ("allow-to-deny",),
            "obligation-added": ("obligation-added",), "obligation-removed": ("obligation-removed",),
            "obligations": ("obligation-added", "obligation-removed"),
            "any": ("allow-to-deny", "deny-to-allow", "obligation-added", "obligation-removed")}


class _Kinds(tuple):
    text = ""


def _fail_on(text: str) -> _Kinds:
    """`--fail-on deny-to-allow,obligations`: the kinds of change that fail the diff."""
    words = [word.strip() for word in text.split(",") if word.strip()]
    unknown = [word for word in words if word not in _FAIL_ON]
    if unknown or not words:
        raise argparse.ArgumentTypeError(
            f"`{unknown[0] if unknown else text}` is not a kind of change: use a comma list of "
            + ", ".join(_FAIL_ON))
    kinds = _Kinds(dict.fromkeys(kind for word in words for kind in _FAIL_ON[word]))
    kinds.text = ",".join(words)
    return kinds


def cmd_diff(args, out: Console, err: Console) -> int:
    """Every class of events whose decision changes from OLD to NEW (`engine.diff`);
    exit 1 when a change is of a kind --fail-on names."""
    from .decide.analysis.diff import diff, render_markdown, render_text

    old = _load(args.old, err)
    new = _load(args.new, err)
    result = diff(old, new)
    if args.format == "json":
        text = result.to_json() + "\n"
    else:
        text = (render_markdown if args.format == "markdown" else render_text)(result)
    out.file.write(text)
    out.file.flush()
    failing = [change for change in result.changes if change.kind in (args.fail_on or ())]
    if failing:
        kinds = ", ".join(f"{sum(1 for c in failing if c.kind == kind)} {kind}"
                          for kind in dict.fromkeys(c.kind for c in failing))
        err.print(f"lawful: the policy change has {kinds} (--fail-on {args.fail_on.text})",
                  markup=False, highlight=False)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_schema(args, out: Console, err: Console) -> int:
    from .event.schema import event_schema

    if args.what != "event":
        if args.policy:
            raise UsageError(f"`schema {args.what}` takes no policy")
        if args.what == "decision":
            schema = Decision.model_json_schema()
        elif args.what == "remedies":
            from .decide.analysis import Remedies

            schema = Remedies.model_json_schema()
        elif args.what == "diff":
            from .decide.analysis import Diff

            schema = Diff.model_json_schema()
        elif args.what == "record":
            from .records.ropa import json_schema

            schema = json_schema()
        else:
            from .tools.testing import TestReport

            schema = TestReport.model_json_schema()
    else:
        schema = event_schema(_load(args.policy, err) if args.policy else None)
    out.print(json.dumps(schema, indent=2), markup=False, highlight=False)
    return EXIT_OK


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return value


def _positive(what: str, most: int, least: int = 1):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
        if not least <= value <= most:
            raise argparse.ArgumentTypeError(f"{what} is from {least:,} to {most:,}, not {value:,}")
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of seconds") from None
    if not (0 <= value < 10 ** 9):  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds (0 or more)")
    return value


def _timeout(text: str) -> float:
    value = _seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("--timeout is a number of seconds above 0, not 0")
    return value


def cmd_serve(args, out: Console, err: Console) -> int:
    try:
        from .serve import Settings, refusals, run
    except ImportError as error:
        raise UsageError(f"`lawful serve` needs the server's packages ({error.name} is missing): "
                         "pip install 'lawful[serve]'") from None
    settings = Settings(policy=list(args.policy), host=args.host, port=args.port, workers=args.workers,
                        token_file=args.token_file, admin_token_file=args.admin_token_file,
                        allow_reload=args.allow_reload, tls_cert=args.tls_cert, tls_key=args.tls_key,
                        tls_client_ca=args.tls_client_ca, trust_caller_time=args.trust_caller_time,
                        max_body=args.max_body, max_batch_body=args.max_batch_body,
                        max_batch_buffer=args.max_batch_buffer,
                        header_timeout=args.timeout, body_timeout=args.timeout,
                        max_connections=args.max_connections, decision_log=args.decision_log,
                        log_key_file=args.log_key_file, watch=not args.no_watch, access_log=args.access_log)
    problems = refusals(settings)
    if problems:
        raise UsageError("lawful serve will not start:\n  " + "\n  ".join(problems))
    _load(args.policy, err)  # the policy compiles (else its diagnostics, exit 1) before anything listens
    return run(settings)


# ---- the DPO's documents: ropa, notice, map ----------------------------------------

#: each document's formats; the first is the default (file suffixes name the others)
DOCUMENT_FORMATS = {
    "ropa": ("md", "html", "json", "xlsx", "ods"),
    "notice": ("md", "html"),
    "map": ("svg", "png", "dot"),
}
_SUFFIXES = {"markdown": "md", "htm": "html", "gv": "dot"}
_BINARY = {"xlsx", "ods", "png"}


def _document_format(args) -> str:
    formats = DOCUMENT_FORMATS[args.command]
    if args.format:
        return args.format
    if args.output and args.output != "-":
        from pathlib import Path

        suffix = Path(args.output).suffix.lstrip(".").lower()
        suffix = _SUFFIXES.get(suffix, suffix)
        if suffix in formats:
            return suffix
        raise UsageError(f"{args.output}: cannot tell the format from the name; give --format "
                         + "|".join(formats))
    return formats[0]


def _document(args, err: Console):
    """The policy's Record; a warning when items are missing (W11xx)."""
    from .records.build import record

    found = record(_load(args.policy, err))
    if found.gaps:
        err.print(f"lawful: warning: the policy does not state {len(found.gaps)} item(s) the documents "
                  "need; `lawful lint` shows where", markup=False, highlight=False)
    return found


def _emit(args, data: str | bytes, out: Console) -> int:
    """Write a document to -o FILE (atomically), or to standard output."""
    from .tools.fmt import replace_file

    if args.output and args.output != "-":
        try:
            replace_file(args.output, data)
        except OSError as error:
            raise UsageError(f"{args.output}: cannot write: {error.strerror or error}") from None
        return EXIT_OK
    try:
        if isinstance(data, bytes):
            stream = getattr(out.file, "buffer", None)
            if stream is None or out.file.isatty():
                raise UsageError("this format is binary: give -o FILE (or pipe the output)")
            stream.write(data)
            stream.flush()
        else:
            out.file.write(data if data.endswith("\n") else data + "\n")
            out.file.flush()
    except BrokenPipeError:
        raise  # the reader has gone: main() ends quietly
    except OSError as error:
        raise UsageError(f"cannot write to standard output: {error.strerror or error}") from None
    return EXIT_OK


def _map_svg(found, err: Console) -> str | None:
    """The data map as SVG for the HTML record, or None (with a warning) without Graphviz."""
    from .records import graph

    try:
        return graph.render(found, "svg").decode("utf-8")
    except graph.MapError as error:
        err.print(f"lawful: warning: the record has no data map: {error}", markup=False, highlight=False)
        return None


def cmd_ropa(args, out: Console, err: Console) -> int:
    from .records import ropa

    form = _document_format(args)
    found = _document(args, err)
    if form == "md":
        return _emit(args, ropa.markdown(found), out)
    if form == "html":
        svg = None if args.no_map else _map_svg(found, err)
        try:
            page = ropa.html(found, svg)
        except ValueError as error:  # the page refuses a map it cannot embed safely
            err.print(f"lawful: warning: the record has no data map: {error}", markup=False, highlight=False)
            page = ropa.html(found, None)
        return _emit(args, page, out)
    if form == "json":
        return _emit(args, ropa.json_text(found), out)
    return _emit(args, ropa.xlsx(found) if form == "xlsx" else ropa.ods(found), out)


def cmd_notice(args, out: Console, err: Console) -> int:
    from .records import notice

    form = _document_format(args)
    found = _document(args, err)
    return _emit(args, notice.markdown(found) if form == "md" else notice.html(found), out)


def cmd_map(args, out: Console, err: Console) -> int:
    from .records import graph

    form = _document_format(args)
    found = _document(args, err)
    if form == "dot":
        return _emit(args, graph.dot(found), out)
    try:
        data = graph.render(found, "svg" if form == "svg" else "png")
    except graph.MapError as error:
        raise UsageError(str(error)) from None
    return _emit(args, data.decode("utf-8") if form == "svg" else data, out)


def _project(args):
    """The configuration (found by walking up, or --config) and discovery for
    `lint`, `fmt` and `test`; a bad configuration is a usage error."""
    from pathlib import Path

    from .tools.project import ConfigError, Discovery, load_config

    try:
        config = load_config(file=Path(args.config) if args.config else None)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if not args.paths and not args.show_config:
        raise UsageError(f"`lawful {args.command}` needs a path: `.` for every policy below here")
    if args.force_exclude:
        config.set("force-exclude", True)
    if args.exclude is not None:  # as ruff: --exclude replaces the list, --extend-exclude adds to it
        config.set("exclude", _listed(args.exclude))
    if args.extend_exclude:
        config.set("extend-exclude", config["extend-exclude"] + _listed(args.extend_exclude))
    return config, Discovery(config)


def _listed(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, as one list."""
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def _policies(args, discovery, config, err: Console):
    try:
        targets = discovery.policies(args.paths, config["force-exclude"])
    except FileNotFoundError as error:
        raise UsageError(f"{error.args[0]}: no such file or directory") from None
    if not targets:
        err.print(f"lawful: warning: no policies found in {', '.join(args.paths)}", markup=False, highlight=False)
    return targets


def cmd_fmt(args, out: Console, err: Console) -> int:
    """Format files in place (atomically), or show what would change. A file that
    cannot be read, does not parse or cannot be written gets its diagnostics or
    one `lawful: error:` line and is left as it was; the others are still done.
    `-` formats standard input to standard output."""
    from .tools.fmt import FormatError, format_text, replace_file

    config, discovery = _project(args)
    if args.show_config:
        out.file.write(config.show())
        return EXIT_OK

    def fail(message: str) -> None:
        err.print(f"lawful: error: {message}", markup=False, highlight=False)

    def formatted_or_none(text: str, name: str) -> str | None:
        try:
            return format_text(text, name)
        except FormatError as error:
            if error.diagnostics:
                err.print(render_all(error.diagnostics, color=_color(err)), markup=False, highlight=False)
            else:
                fail(str(error))
            return None

    if "-" in args.paths:
        if args.paths != ["-"]:
            raise UsageError("`-` (standard input) cannot be given with other paths")
        text = sys.stdin.read()
        formatted = formatted_or_none(text, "<stdin>")
        if formatted is None:
            return EXIT_USAGE
        if args.diff:
            _write_diff(out, text, formatted, "<stdin>")
        elif not args.check:
            out.file.write(formatted)
            out.file.flush()
        return EXIT_FINDINGS if (args.check or args.diff) and formatted != text else EXIT_OK
    try:
        names = discovery.files(args.paths, config["force-exclude"])
    except FileNotFoundError as error:
        raise UsageError(f"{error.args[0]}: no such file or directory") from None
    changed, broken = [], 0
    for name in names:
        try:
            with open(name, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{name}: cannot be read: {getattr(error, 'strerror', None) or error}")
            broken += 1
            continue
        formatted = formatted_or_none(text, name)
        if formatted is None:
            broken += 1
            continue
        if formatted == text:
            continue
        if args.diff:
            _write_diff(out, text, formatted, name)
            if args.check:  # the diff on stdout, the list on stderr
                err.print(f"would reformat {name}", markup=False, highlight=False)
        elif args.check:
            out.print(f"would reformat {name}", markup=False, highlight=False)
        else:
            try:
                replace_file(name, formatted)
            except OSError as error:
                fail(f"{name}: cannot be written: {error.strerror or error}; the file is unchanged")
                broken += 1
                continue
            out.print(f"reformatted {name}", markup=False, highlight=False)
        changed.append(name)
    if broken:
        return EXIT_USAGE
    if changed and (args.check or args.diff):
        return EXIT_FINDINGS
    return EXIT_OK


def _write_diff(out: Console, text: str, formatted: str, name: str) -> None:
    import difflib

    diff = difflib.unified_diff(text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                fromfile=f"a/{name}", tofile=f"b/{name}")
    out.file.write("".join(diff))  # as it is: the console would drop \r and \f
    out.file.flush()


def cmd_test(args, out: Console, err: Console) -> int:
    import time

    from rich.text import Text

    from .tools.testing import coverage, describe_failure, junit_xml, run_test, to_json
    from .tools.project import TestFilter

    config, discovery = _project(args)
    for option, key in (("coverage", "test.coverage"), ("coverage_libraries", "test.coverage-libraries"),
                        ("junit", "test.junit")):
        if getattr(args, option):
            config.set(key, getattr(args, option))
    if args.show_config:
        out.file.write(config.show())
        return EXIT_OK
    try:
        keep = TestFilter(args.k) if args.k else None
    except ValueError as error:
        raise UsageError(f"-k: {error}") from None
    targets = _policies(args, discovery, config, err)
    policies = [(t.name, _load(t.files, err)) for t in targets]  # exits 2 if one does not compile
    suites, failed, deselected = [], [], 0
    text = args.format == "text"
    started = time.perf_counter()
    for path, policy in policies:
        begin = time.perf_counter()
        tests = [t for t in policy.tests if keep is None or keep(t.name.value, t.span.file if t.span else path)]
        deselected += len(policy.tests) - len(tests)
        results = [run_test(policy, test) for test in tests]
        suites.append((path, results, time.perf_counter() - begin))
        failed += [r for r in results if not r.passed]
        if not text or not results:
            continue
        if args.verbose:
            for result in results:
                out.print(Text.assemble(("PASSED" if result.passed else "FAILED",
                                         "green" if result.passed else "bold red"),
                                        f" {result.location or path}  {result.name}"))
            continue
        progress = Text(f"{path} ")
        for result in results:
            progress.append("." if result.passed else "F", style="green" if result.passed else "bold red")
        out.print(progress)
    junit = config["test.junit"]
    if junit:
        try:
            with open(junit, "w", encoding="utf-8") as handle:
                handle.write(junit_xml(suites))
        except OSError as error:
            raise UsageError(f"{junit}: cannot be written: {error.strerror or error}")
    seconds = time.perf_counter() - started
    if not text:
        out.file.write(to_json(suites, deselected, seconds) + "\n")
        out.file.flush()
        return EXIT_FINDINGS if failed else EXIT_OK
    for result in failed:
        out.print()
        out.print(Text(f"FAILED {result.location}  {result.name}", style="bold red"))
        for line in describe_failure(result):
            out.print("  " + line, markup=False, highlight=False)
    if config["test.coverage"]:
        out.print()
        for (path, policy), (_, results, _) in zip(policies, suites):
            rules = coverage(policy, results)
            own = [r for r in rules if not r.library]
            shown = own if own and not config["test.coverage-libraries"] else rules
            hit = sum(1 for r in shown if r.applied)
            out.print(Text(f"coverage of {path}: {hit} of {len(shown)} rules applied in some test",
                           style="bold"))
            for entry in shown:
                mark, style = ("✓", "green") if entry.applied else ("✗", "red")
                times = f"{entry.applied} test{'s' if entry.applied != 1 else ''}" if entry.applied else "never"
                row = Text(f"  {mark} ", style=style)
                name = entry.rule.label or entry.rule.text
                name = name if len(name) <= 40 else name[:39] + "…"
                row.append(f"{name:<40} {times:<10} {entry.rule.location or ''}")
                out.print(row)
    passed = sum(len(results) for _, results, _ in suites) - len(failed)
    out.print()
    if passed + len(failed) == 0:
        out.print("no tests found" if not deselected else "no tests selected", markup=False, highlight=False)
    out.print(f"{passed} passed, {len(failed)} failed" + (f", {deselected} deselected" if deselected else "")
              + f" in {seconds:.2f}s", markup=False, highlight=False)
    return EXIT_FINDINGS if failed else EXIT_OK


def cmd_lint(args, out: Console, err: Console) -> int:
    from collections import Counter

    from .core.diagnostics import CODES
    from .tools.lint import lint_path
    from .tools.project import ConfigError, reported, validate_codes
    from .tools.report import fails, to_github, to_json, to_sarif

    config, discovery = _project(args)
    try:
        if args.select:
            config.set("lint.select", validate_codes(_listed(args.select), "--select"))
        if args.ignore:
            config.set("lint.ignore", config["lint.ignore"] + validate_codes(_listed(args.ignore), "--ignore"))
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if args.fail_on:
        config.set("lint.fail-on", args.fail_on)
    if args.show_config:
        out.file.write(config.show())
        return EXIT_OK
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError("--statistics prints text or JSON (--format text or json)")
    results = []
    for target in _policies(args, discovery, config, err):
        timings: dict[str, float] = {}
        result = lint_path(target.files, timings if args.timings else None)
        result.path = target.name
        result.diagnostics = [d for d in result.diagnostics if reported(d, target, config)]
        results.append(result)
        if args.timings:  # on stderr: the findings on stdout stay a clean report
            err.print(f"timings {target.name}: " + " · ".join(f"{stage} {seconds * 1000:.1f} ms"
                                                             for stage, seconds in timings.items())
                      + f" · total {sum(timings.values()) * 1000:.1f} ms", markup=False, highlight=False)
    findings = [d for r in results for d in r.diagnostics]
    if args.statistics:
        counts = Counter(d.code for d in findings).most_common()
        if args.format == "json":
            out.file.write(json.dumps([{"code": code, "count": count, "message": CODES[code]}
                                       for code, count in counts], indent=2) + "\n")
        else:
            for code, count in counts:
                out.print(f"{count:>5}  {code}  {CODES[code]}", markup=False, highlight=False)
            out.print(f"{len(findings)} finding(s) in {len(results)} polic{'y' if len(results) == 1 else 'ies'}",
                      markup=False, highlight=False)
    elif args.format == "text":
        if findings:
            out.print(render_all(findings, color=_color(out)), markup=False, highlight=False)
        else:
            out.print(f"no findings in {', '.join(args.paths)}", markup=False, highlight=False)
    else:
        render = {"json": to_json, "sarif": to_sarif, "github": to_github}[args.format]
        text = render(results)
        out.print(text, markup=False, highlight=False, end="" if text.endswith("\n") or not text else "\n")
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if fails(results, config["lint.fail-on"]) else EXIT_OK


def cmd_repl(args, out: Console, err: Console) -> int:
    from .tools.repl import main as repl_main

    return repl_main(args.paths, args.history, out)


def _moment(text: str | None, option: str):
    """--since/--until/--now: an ISO date or date-time (UTC unless it says)."""
    from datetime import datetime, timezone

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: `{text}` is not an ISO date or date-time (2026-11-01 or "
                         "2026-11-01T09:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cmd_audit(args, out: Console, err: Console) -> int:
    from pathlib import Path

    policy = _load(args.policy, err)
    old = _load(args.compare, err) if args.compare else None
    window = dict(since=_moment(args.since, "--since"), until=_moment(args.until, "--until"))
    now = _moment(args.now, "--now")
    folder = Path(args.out)
    created = not folder.exists()
    try:  # before the audit, so that an unwritable folder fails fast
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{args.out}: cannot create the output folder: {error.strerror or error}") from None
    try:
        return _audit(args, out, err, policy, old, window, now, folder)
    except BaseException:
        if created:  # a failed audit leaves no empty folder behind
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


def _audit(args, out: Console, err: Console, policy, old, window, now, folder) -> int:
    from .audit import AuditError
    from .audit.report import compare, html_report, summarise

    progress = _isatty(err.file) and not args.quiet  # a real terminal: FORCE_COLOR is no reason to animate
    result: AuditResult
    previous: AuditResult | None
    try:
        with err.status(f"deciding with {args.engine}…") if progress else _nothing():
            if args.engine == "spark":
                from .audit.spark import audit_spark

                result = audit_spark(policy, args.events, now=now, master=args.master, progress=progress, **window)
                previous = audit_spark(policy if old is None else old, args.events, now=now, master=args.master,
                                       table="lawful_old", session=result.handle, **window) if old else None
            else:
                from .audit import audit_duckdb

                result = audit_duckdb(policy, args.events, now=now, threads=args.threads, progress=progress,
                                      **window)
                previous = audit_duckdb(old, args.events, now=now, connection=result.handle,
                                        table="lawful_old", **window) if old else None
            summary = summarise(result, policy)
            comparison = compare(result, previous) if previous is not None else None
            result.write_parquet(str(folder / "decisions.parquet"))
    except AuditError as error:
        raise UsageError(str(error)) from None
    except ImportError as error:
        extra = "spark" if args.engine == "spark" else "audit"
        raise UsageError(f"`lawful audit --engine {args.engine}` needs {error.name or 'a module'}: "
                         f"pip install 'lawful[{extra}]'") from None
    except Exception as error:  # an engine's own error (unreadable file, …): a message, not a traceback
        raise UsageError(f"the audit failed: {type(error).__name__}: {str(error).splitlines()[0]}") from None
    if comparison is not None:
        assert old is not None  # a comparison is with the old policy
        summary["compare"] = {"old_policy": {"name": old.name, "digest": old.digest}, **comparison}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    (folder / "report.html").write_text(html_report(summary, comparison), encoding="utf-8")
    if args.json:
        out.print(json.dumps(summary, indent=2, default=str), markup=False, highlight=False)
        return _gates(args, summary, err)
    events = summary["events"]
    out.print(f"{events:,} event(s): {summary['allow']:,} allowed, {summary['deny']:,} denied "
              f"({summary['invalid']:,} unreadable or invalid)", markup=False, highlight=False)
    for violation in summary["top_violations"][:5]:
        out.print(f"  {violation['events']:>10,}  {violation['kind']}  {violation['rule'] or ''}",
                  markup=False, highlight=False)
    if comparison is not None:
        for change in comparison["changes"]:
            out.print(f"  changed {change['old']} -> {change['new']}: {change['events']:,}",
                      markup=False, highlight=False)
    out.print(f"wrote {folder / 'decisions.parquet'}, {folder / 'summary.json'}, {folder / 'report.html'}",
              markup=False, highlight=False)
    return _gates(args, summary, err)


class _Threshold:
    """`--max-denied`/`--max-invalid`: a count (`10`) or a share of the events (`2.5%`);
    the audit fails when the events counted exceed it."""

    def __init__(self, text: str):
        self.text = text.strip()
        number = self.text[:-1] if self.text.endswith("%") else self.text
        self.share = number != self.text
        problem = (f"`{text}` is not a count (10) or a share of the events (2.5%)")
        try:
            value = float(number) if self.share else int(number)
        except ValueError:
            raise argparse.ArgumentTypeError(problem) from None
        if self.share and not 0 <= value <= 100:  # also rejects nan
            raise argparse.ArgumentTypeError(f"`{text}`: a share is from 0% to 100%")
        if not self.share and value < 0:
            raise argparse.ArgumentTypeError(f"`{text}`: a count is 0 or more")
        self.value = value

    def exceeded(self, count: int, events: int) -> bool:
        if self.share:
            return events > 0 and count * 100 > self.value * events
        return count > self.value


def _gates(args, summary: dict, err: Console) -> int:
    """Exit 1 when the audit's denied or invalid events exceed --max-denied/--max-invalid
    (the outputs are written first, so a failed nightly audit still has its report)."""
    events, failed = summary["events"], False
    for option, threshold, count, what in (("--max-denied", args.max_denied, summary["deny"], "denied"),
                                           ("--max-invalid", args.max_invalid, summary["invalid"], "invalid")):
        if threshold is not None and threshold.exceeded(count, events):
            share = f" ({count * 100 / events:.1f}% of {events:,})" if events else ""
            err.print(f"lawful: audit failed: {option} {threshold.text}: {count:,} {what} event(s){share}",
                      markup=False, highlight=False)
            failed = True
    return EXIT_FINDINGS if failed else EXIT_OK


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _log_key(args) -> str | bytes | None:
    """The key for `log query`/`verify`: --key-file, else $LAWFUL_LOG_KEY (None: neither)."""
    if args.key_file:
        try:
            with open(args.key_file, "rb") as handle:
                return handle.read().strip()
        except OSError as error:
            raise UsageError(f"{args.key_file}: cannot read the key: {error.strerror or error}") from None
    return os.environ.get("LAWFUL_LOG_KEY") or None


def _cell(value) -> "Text":
    """A value from a log, printable as it is (no markup, no lone surrogates)."""
    from rich.text import Text

    return Text(str(value).encode("utf-8", "backslashreplace").decode("utf-8"))


def _located(console: Console, name: str, problems, label: str = "") -> None:
    for where, message in problems:
        console.print(_cell(f"{name}: {where}: {label}{message}"))


def cmd_log(args, out: Console, err: Console) -> int:
    from rich.table import Table

    from .runtime import log

    try:
        if args.action == "verify":
            result = log.verify(args.log, head=args.head, key=_log_key(args))
            if args.json:
                out.print(json.dumps({"records": result.records, "intact": result.intact, "state": result.state,
                                      "head": result.head, "checkpoint": result.checkpoint,
                                      "problems": [{"where": w, "message": m} for w, m in result.problems],
                                      "warnings": [{"where": w, "message": m} for w, m in result.warnings],
                                      "notes": [{"where": w, "message": m} for w, m in result.notes]},
                                     indent=2), markup=False, highlight=False)
            else:
                _located(out, args.log, result.problems)
                _located(out, args.log, result.warnings, "warning: ")
                _located(out, args.log, result.notes, "note: ")
                state = {"intact": "intact", "grown": "intact, grown since the last checkpoint (fine)",
                         "truncated": f"BROKEN: truncated ({len(result.problems)} problem(s))"}.get(
                    result.state, f"BROKEN ({len(result.problems)} problem(s))")
                out.print(f"{result.records} record(s), chain {state}; head {result.head}",
                          markup=False, highlight=False)
            return EXIT_OK if result.intact else EXIT_FINDINGS
        if args.action == "query":
            problems: list = []
            records = log.query(args.log, args.subject, _log_key(args), problems)
            if args.json:
                for record in records:
                    out.print(json.dumps(record, sort_keys=True), markup=False, highlight=False)
            else:
                table = Table("seq", "time", "purpose", "categories", "effect", "why", title=(
                    f"{len(records)} decision(s) about this subject"))
                for record in records:
                    stored = record.get("event")
                    event = stored if isinstance(stored, dict) else {}
                    categories = event.get("categories")
                    why = "; ".join(str(r.get("rule") or r.get("kind", "")) for r in record["reasons"])
                    table.add_row(*map(_cell, (record["seq"], record["time"], record.get("purpose"),
                                               ", ".join(map(str, categories if isinstance(categories, list)
                                                             else [])),
                                               record["effect"], why)))
                out.print(table)
            _located(err, args.log, problems, "not read (it may be about this subject): ")
            return EXIT_FINDINGS if problems else EXIT_OK
        summary = log.stats(args.log)
        problems = [(p["where"], p["message"]) for p in summary["problems"]]
        if args.json:
            out.print(json.dumps(summary, indent=2), markup=False, highlight=False)
        else:
            out.print(_cell(f"{summary['records']} decision(s): {summary['allow']} allowed, {summary['deny']} denied"
                            + (f" ({summary['from']} to {summary['to']})" if summary["records"] else "")))
            for title, key in (("by purpose", "by_purpose"), ("by rule (the rule or reason behind each "
                                                               "decision)", "by_rule")):
                table = Table(title.split(" (")[0].replace("by ", "").capitalize(), "allow", "deny", title=title)
                for name, counts in summary[key].items():
                    table.add_row(_cell(name), str(counts["allow"]), str(counts["deny"]))
                out.print(table)
        _located(err, args.log, problems, "not counted: ")
        return EXIT_FINDINGS if problems else EXIT_OK
    except log.LogError as error:
        raise UsageError(str(error).encode("utf-8", "backslashreplace").decode("utf-8")) from None


def _project_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="a lawful.toml or pyproject.toml to use (default: "
                   "the nearest one at or above the current folder)")
    p.add_argument("--exclude", metavar="PATTERNS", action="append",
                   help="gitignore-style patterns to skip, replacing the configured `exclude` "
                   "(repeat, or separate with commas)")
    p.add_argument("--extend-exclude", metavar="PATTERNS", action="append",
                   help="patterns to skip besides `exclude` (added to the configured `extend-exclude`)")
    p.add_argument("--force-exclude", action="store_true",
                   help="skip named paths that the excludes or .gitignore cover (for pre-commit)")
    p.add_argument("--show-config", action="store_true",
                   help="print the resolved configuration, and where each setting came from, and exit")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lawful", description="Policy-as-code for GDPR data processing.")
    parser.add_argument("-V", "--version", action="version", version=f"lawful {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("eval", help="decide events against a policy")
    p.add_argument("policy", metavar="POLICY", help="a .law file or a directory of them")
    p.add_argument("events", metavar="EVENT", nargs="*",
                   help="JSON event files (one event, or JSON lines each), or - (the default) "
                   "for JSON lines on stdin")
    p.add_argument("--json", action="store_true", help="print each decision as one JSON line")
    p.add_argument("--fail-on-deny", action="store_true",
                   help="exit 1 when any event is denied (an invalid or unreadable event is a deny); "
                        "by default eval exits 0 whatever the effect")
    p.set_defaults(run=cmd_eval)

    p = commands.add_parser("explain", help="show every rule considered for one event, and why")
    p.add_argument("policy", metavar="POLICY")
    p.add_argument("event", metavar="EVENT", help="a JSON event file, or - for stdin")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument("--remedies", action="store_true",
                   help="also show what would make a denied event allowed: the minimal sets of changes "
                   "a controller can make, the facts to supply, or the rules that leave no lawful remedy "
                   "(with --json: a `remedies` key)")
    p.set_defaults(run=cmd_explain)

    p = commands.add_parser("diff", help="every class of events whose decision changes between two policies",
                            description="Compare two policies exactly, over every possible event: each class "
                                        "of events that changes from allow to deny, from deny to allow, or "
                                        "gains or loses an obligation, with an example event both policies "
                                        "were verified to decide differently.")
    p.add_argument("old", metavar="OLD", help="the policy before the change: a .law file or a directory")
    p.add_argument("new", metavar="NEW", help="the policy after the change")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                   help="text (default), json (a stable contract) or markdown (for a pull-request comment)")
    p.add_argument("--fail-on", type=_fail_on, metavar="KINDS",
                   help="exit 1 when the diff has a change of these kinds (a comma list of deny-to-allow, "
                   "allow-to-deny, obligations, any): `--fail-on deny-to-allow` passes a change that only "
                   "makes the policy stricter")
    p.set_defaults(run=cmd_diff)

    p = commands.add_parser("lint", help="report compile errors and analysis warnings")
    p.add_argument("paths", metavar="PATH", nargs="*",
                   help="policy files or folders: a folder is searched for policies; a file stands "
                   "for the policy it belongs to, and only its warnings are reported")
    p.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text",
                   help="text (default), json (a stable contract), sarif (2.1.0), or github "
                   "(workflow commands)")
    p.add_argument("--fail-on", choices=["error", "warning"], default=None,
                   help="exit 1 on findings of this severity or worse (default: warning, or the "
                   "configuration's lint.fail-on)")
    p.add_argument("--select", action="append", metavar="CODES",
                   help="only these warnings (codes or prefixes, comma-separated: W0805,W09); "
                   "replaces the configuration's")
    p.add_argument("--ignore", action="append", metavar="CODES",
                   help="also leave out these warnings (codes or prefixes, comma-separated)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--statistics", action="store_true", help="print how many findings of each code, "
                   "instead of the findings")
    p.add_argument("--timings", action="store_true",
                   help="print on stderr the time of each stage (read, parse, use, check, digest, "
                   "compile) and of lint, per policy")
    _project_options(p)
    p.set_defaults(run=cmd_lint)

    p = commands.add_parser("fmt", help="format policy files in place, in the one canonical layout")
    p.add_argument("paths", metavar="PATH", nargs="*",
                   help=".law files or folders, or - to format standard input to standard output")
    p.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change and exit 1 if any")
    p.add_argument("--diff", action="store_true",
                   help="change nothing; print a unified diff and exit 1 if any file would change "
                   "(with --check: the list goes to stderr)")
    _project_options(p)
    p.set_defaults(run=cmd_fmt)

    p = commands.add_parser("test", help="run the test blocks of policies")
    p.add_argument("paths", metavar="PATH", nargs="*",
                   help="policy files or folders: a folder is searched for policies; a file stands "
                   "for the policy it belongs to")
    p.add_argument("-k", metavar="EXPRESSION",
                   help="only tests whose name or file matches: words (case-insensitive substrings) "
                   "with and, or, not and parentheses, as in pytest")
    p.add_argument("-v", "--verbose", action="store_true", help="one line a test, with PASSED or FAILED")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json")
    p.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML (one testsuite "
                   "a policy)")
    p.add_argument("--coverage", action="store_true",
                   help="report which rules the tests exercised and which never were")
    p.add_argument("--coverage-libraries", action="store_true",
                   help="with --coverage, include the rules of libraries such as `use gdpr`")
    _project_options(p)
    p.set_defaults(run=cmd_test)

    p = commands.add_parser("repl", help="explore and debug a policy interactively")
    p.add_argument("paths", metavar="POLICY", nargs="*", help="a policy to start from (default: empty)")
    p.add_argument("--history", metavar="FILE",
                   help="where to keep the input history (default: $LAWFUL_HISTORY or ~/.lawful_history)")
    p.set_defaults(run=cmd_repl)

    p = commands.add_parser("audit", help="decide a whole log of events (DuckDB or Spark) and report")
    p.add_argument("policy", metavar="POLICY", help="a .law file or a directory of them")
    p.add_argument("events", metavar="EVENTS", nargs="+",
                   help="event files: JSON lines, Parquet or CSV; globs; object-store URLs with Spark")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="duckdb (embedded, the default) or spark")
    p.add_argument("--out", metavar="DIR", default="audit", help="where to write (default: ./audit)")
    p.add_argument("--since", metavar="TIME", help="only events at or after this date or time")
    p.add_argument("--until", metavar="TIME", help="only events before this date or time")
    p.add_argument("--compare", metavar="OLD_POLICY", help="also decide with this policy and report what changes")
    p.add_argument("--now", metavar="TIME", help="the time for events without `at` (default: now)")
    p.add_argument("--master", metavar="URL", help="Spark master (default: $SPARK_MASTER or local[*])")
    p.add_argument("--threads", type=int, metavar="N", help="DuckDB threads (default: all cores)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--max-denied", type=_Threshold, metavar="N|P%",
                   help="exit 1 (after writing the outputs) when more than N events, or more than P%% of "
                        "them, are denied; invalid events are denies too (0: fail on any deny)")
    p.add_argument("--max-invalid", type=_Threshold, metavar="N|P%",
                   help="exit 1 (after writing the outputs) when more than N events, or more than P%% of "
                        "them, are unreadable or invalid")
    p.set_defaults(run=cmd_audit)

    p = commands.add_parser("log", help="verify, query and summarise a decision log")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = actions.add_parser("verify", help="check the hash chain and the checkpoint: name every edited, "
                           "deleted, inserted or reordered record, and records removed from the end")
    q.add_argument("log", metavar="LOG", help="a decision log (SQLite or JSON lines)")
    q.add_argument("--head", metavar="HASH", help="the head hash recorded earlier: also detects "
                   "a log replaced by an older copy of itself")
    q.add_argument("--key-file", metavar="FILE",
                   help="the log's key, to check the checkpoint's signature (default: $LAWFUL_LOG_KEY)")
    q.add_argument("--json", action="store_true", help="print the result as JSON")
    q = actions.add_parser("query", help="what was decided about one person (GDPR Art. 15)")
    q.add_argument("log", metavar="LOG")
    q.add_argument("--subject", required=True, metavar="ID", help="the subject's id, as the application knows it")
    q.add_argument("--key-file", metavar="FILE",
                   help="the log's pseudonymisation key (default: $LAWFUL_LOG_KEY)")
    q.add_argument("--json", action="store_true", help="print each record as one JSON line")
    q = actions.add_parser("stats", help="allows and denies by purpose and by rule")
    q.add_argument("log", metavar="LOG")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=cmd_log)

    for name, help_text in (
            ("ropa", "the GDPR Art. 30 record of processing activities, from the policy"),
            ("notice", "a GDPR Art. 13/14 privacy notice draft, from the policy"),
            ("map", "the data map: categories, purposes, recipients and transfers (Graphviz)")):
        formats = DOCUMENT_FORMATS[name]
        p = commands.add_parser(name, help=help_text,
                                description=help_text[0].upper() + help_text[1:] + ". Every statement "
                                "is traced to the policy's file and line; items the policy does not state "
                                "are listed (`lawful lint` warns about them, W11xx).")
        p.add_argument("policy", metavar="POLICY", nargs="+", help="policy files or directories")
        p.add_argument("--format", "-f", choices=formats,
                       help=f"output format (default: from -o's suffix, else {formats[0]})")
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
        if name == "ropa":
            p.add_argument("--no-map", action="store_true", help="HTML without the embedded data map")
        p.set_defaults(run={"ropa": cmd_ropa, "notice": cmd_notice, "map": cmd_map}[name])

    p = commands.add_parser("serve", help="decide events over HTTP (uvicorn): one, a batch, explain, remedies",
                            description="Serve the policy's decisions over HTTP for services in any language "
                                        "(docs/serve.md). Listens on loopback unless --host says otherwise, "
                                        "which needs tokens or client certificates. The policy's files are "
                                        "watched and reloaded when they change.")
    p.add_argument("policy", metavar="POLICY", nargs="+", help="policy files or directories")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8181, help="port (default 8181)")
    p.add_argument("--workers", type=_positive("workers", 256), default=1,
                   help="worker processes (default 1; one per core is a good start)")
    p.add_argument("--token-file", metavar="FILE", help="bearer tokens a client must send, one per line "
                   "(also $LAWFUL_TOKENS); without any, no token is asked for")
    p.add_argument("--admin-token-file", metavar="FILE", help="bearer tokens for POST /v1/reload "
                   "(also $LAWFUL_ADMIN_TOKENS)")
    p.add_argument("--allow-reload", action="store_true",
                   help="offer POST /v1/reload to admin tokens (off by default)")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    p.add_argument("--tls-client-ca", metavar="FILE",
                   help="require a client certificate signed by one of these CAs (mutual TLS)")
    p.add_argument("--trust-caller-time", type=_seconds, metavar="SECONDS",
                   help="use an event's `at` when within SECONDS of the server's clock (default: "
                   "every event is decided at the server's time; its `at` is ignored)")
    p.add_argument("--max-body", type=_positive("--max-body", 1 << 40, 1024), default=1024 * 1024,
                   metavar="BYTES", help="largest event body (default 1 MiB, at least 1024)")
    p.add_argument("--max-batch-body", type=_positive("--max-batch-body", 1 << 40, 1024), default=64 * 1024 * 1024,
                   metavar="BYTES", help="largest JSON-array batch (default 64 MiB; JSON lines are streamed)")
    p.add_argument("--max-batch-buffer", type=_positive("--max-batch-buffer", 1 << 40, 64 * 1024),
                   default=64 * 1024 * 1024, metavar="BYTES",
                   help="decisions of a JSON-lines batch held for a client that sends without reading "
                        "(default 64 MiB, at least 64 KiB)")
    p.add_argument("--timeout", type=_timeout, default=10.0, metavar="SECONDS",
                   help="longest wait for a request's headers, or between two pieces of a body (default 10)")
    p.add_argument("--max-connections", type=_positive("--max-connections", 1 << 20), default=1000,
                   help="connections served at once; more are answered 503 (default 1000)")
    p.add_argument("--decision-log", metavar="FILE", help="record every decision (SQLite, or .jsonl), "
                   "pseudonymised; with several workers each writes FILE's name with .wN")
    p.add_argument("--log-key-file", metavar="FILE", help="the decision log's key (also $LAWFUL_LOG_KEY)")
    p.add_argument("--no-watch", action="store_true", help="do not reload when the policy's files change")
    p.add_argument("--access-log", action="store_true", help="log every request (uvicorn's access log)")
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("lsp", help="the language server for editors (LSP over stdio)",
                            description="Speak the Language Server Protocol on standard input and output: "
                                        "diagnostics as you type, hover, completion, go to definition, "
                                        "references, rename, symbols, formatting, quick fixes and semantic "
                                        "tokens for .law files (docs/editors.md). Editors start it; it is "
                                        "not meant to be run by hand.")
    p.add_argument("--stdio", action="store_true", help="accepted for editors that pass it (stdio is the default)")
    p.set_defaults(run=cmd_lsp)

    p = commands.add_parser("schema", help="print the JSON Schema of events, decisions, test reports, "
                                           "remedies, diffs or the Art. 30 record")
    p.add_argument("what", choices=["event", "decision", "test-report", "remedies", "diff", "record"])
    p.add_argument("policy", metavar="POLICY", nargs="?",
                   help="with `event`: also the policy's purposes, categories and countries as enums")
    p.set_defaults(run=cmd_schema)

    p = commands.add_parser("completion", help="print a shell completion script (bash, zsh or fish)",
                            description="Print the script that makes the shell complete lawful's commands, "
                                        "options and file names. bash: `source <(lawful completion bash)` "
                                        "in ~/.bashrc; zsh: `source <(lawful completion zsh)` in ~/.zshrc "
                                        "(after compinit); fish: `lawful completion fish > "
                                        "~/.config/fish/completions/lawful.fish`.")
    p.add_argument("shell", choices=_SHELLS)
    p.set_defaults(run=cmd_completion)
    return parser


_SHELLS = ("bash", "zsh", "fish")


def cmd_lsp(args, out: Console, err: Console) -> int:
    from .lsp.server import main as serve_lsp

    return serve_lsp()


def cmd_completion(args, out: Console, err: Console) -> int:
    """The script (argcomplete's): on each Tab the shell runs `lawful` with the
    command line in the environment, and `_complete` answers from the parser."""
    import argcomplete

    out.file.write(argcomplete.shellcode(["lawful"], shell=args.shell))
    return EXIT_OK


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request from a script of `lawful completion` (and exit);
    otherwise return at once (argcomplete is only imported for a request)."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def main(argv: list[str] | None = None) -> int:
    out, err = _consoles()
    parser = build_parser()
    _complete(parser)
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.run(args, out, err)
    except UsageError as error:
        err.print(f"lawful: error: {error}", markup=False, highlight=False)
        return EXIT_USAGE
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `lawful eval … | head -1`: the reader has what it wanted
        _quiet_stdout()
        return EXIT_OK


def _quiet_stdout() -> None:
    """After a broken pipe, send what Python still flushes at exit to /dev/null
    (else it reports the pipe again and exits 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
