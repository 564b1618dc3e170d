"""`lawful fmt`: the canonical layout of policy text (the layout itself is
`engine.syntax.printer`'s), sound or refused: the result must parse back to the
same statements, doc comments and comments (Cedar's soundness check), and a
file is replaced atomically."""

from __future__ import annotations

import os
import stat
import tempfile

from ..core.collector import collector_paused
from ..core.diagnostics import Diagnostic
from ..core.source import Source
from ..syntax import ast, parse_module
from ..syntax.printer import format_module


class FormatError(Exception):
    """The text does not parse, or formatting would change its meaning."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []



def _shape(module: ast.Module) -> tuple:
    """What formatting must keep: statements, doc comments and comments, in order."""
    return (module.statements, tuple(s.doc for s in module.statements),
            tuple(c.text.rstrip() for c in sorted(module.comments, key=lambda c: c.span.start)))


def format_text(text: str, name: str = "<policy>") -> str:
    """The canonical form of one file's text; raises FormatError if it does not
    parse (or, never expected, if the formatted text would not mean the same)."""
    with collector_paused():
        try:
            module, diagnostics = parse_module(Source(name, text))
            if diagnostics:
                raise FormatError(f"{name} does not parse", diagnostics)
            formatted = format_module(module)
            again, problems = parse_module(Source(name, formatted))
        except RecursionError:
            raise FormatError(f"{name}: nested too deeply to format; it is left as it is") from None
        unsound = problems or _shape(again) != _shape(module)
    if unsound:
        raise FormatError(f"formatting {name} would change its meaning; it is left as it is")
    return formatted


# ---- writing ----------------------------------------------------------------------------


def replace_file(path: str, text: str | bytes) -> None:
    """Replace the contents of `path` atomically: a temporary file in the same
    folder, written and synced, given the original's permission bits (and owner,
    where allowed), renamed over the original, and the folder synced. A symbolic
    link is kept and its target formatted. A file that does not exist yet is
    created the same way; a target that is not a regular file (a device, a pipe)
    is written to as it is. On any error (OSError) the original is as it was and
    the temporary file is gone."""
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:  # a new file
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        # a device or a pipe (`-o /dev/stdout`): written to, never renamed over
        with open(target, "wb") as stream:
            stream.write(text.encode("utf-8") if isinstance(text, str) else text)
        return
    if info is not None and not os.access(target, os.W_OK):
        raise PermissionError(13, "Permission denied", path)
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                         dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8") if isinstance(text, str) else text)
            stream.flush()
            os.fsync(stream.fileno())
        if info is None:  # a new file: readable by all, writable by its owner
            os.chmod(temporary, 0o644)
        else:
            os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if info is not None and hasattr(os, "chown"):
            try:
                os.chown(temporary, info.st_uid, info.st_gid)
            except OSError:  # not allowed to give it away: it stays ours
                pass
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # some systems cannot open a folder; the rename is done
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
