"""What `lawful serve` is started with, checked before anything listens.

The settings travel to uvicorn's worker processes as JSON in an environment
variable (`SETTINGS_ENV`); secrets do not: each worker reads the token files and
the token variables itself, so no token is ever written anywhere by the server.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

#: the JSON settings handed to each worker process
SETTINGS_ENV = "LAWFUL_SERVE_SETTINGS"
#: a folder the workers of one server share (set by `run` when there are several):
#: its `reload` file is rewritten by the worker that answers POST /v1/reload, and the
#: others reload when they see it change
SHARED_ENV = "LAWFUL_SERVE_SHARED"
#: bearer tokens for the decision endpoints (whitespace- or comma-separated)
TOKENS_ENV = "LAWFUL_TOKENS"
#: bearer tokens for the endpoints that change what is served (`POST /v1/reload`)
ADMIN_TOKENS_ENV = "LAWFUL_ADMIN_TOKENS"
#: a token shorter than this is refused: it could be guessed
MIN_TOKEN_LENGTH = 16
DEFAULT_PORT = 8181


class ServeError(Exception):
    """Settings the server refuses to start with; the message says why and what to do."""


class Settings(BaseModel):
    """`lawful serve`'s options (see docs/serve.md, which lists each)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: list[str]
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    #: files of bearer tokens, one per line (`#` starts a comment)
    token_file: str | None = None
    admin_token_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    #: CA bundle of the client certificates accepted; set, every client must present one
    tls_client_ca: str | None = None
    #: None: decide at the server's clock (a caller's `at` is ignored); a number:
    #: trust a caller's `at` within that many seconds of the server's clock
    trust_caller_time: float | None = Field(default=None, ge=0)
    #: largest body of one event (decide, explain, remedies), and of a JSON-array batch
    max_body: int = Field(default=1024 * 1024, ge=1024)
    max_batch_body: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: decisions of a batch held for a client that does not read while it sends
    max_batch_buffer: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)
    #: seconds a client may take to send its headers, and between two pieces of a body
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=10.0, gt=0)
    #: connections beyond this many are answered 503 (uvicorn's limit_concurrency)
    max_connections: int = Field(default=1000, ge=1)
    watch: bool = True
    allow_reload: bool = False
    #: a decision log (SQLite, or JSON lines by suffix); with several workers each
    #: writes its own chain, `NAME.wN.SUFFIX`
    decision_log: str | None = None
    log_key_file: str | None = None
    access_log: bool = False

    def to_env(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_env(cls) -> "Settings":
        text = os.environ.get(SETTINGS_ENV)
        if not text:
            raise ServeError(f"${SETTINGS_ENV} is not set: start the server with `lawful serve`")
        return cls.model_validate_json(text)

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def mutual_tls(self) -> bool:
        return self.tls_client_ca is not None


def loopback(host: str) -> bool:
    """The host is reachable from this machine only: `localhost`, 127.0.0.0/8, ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_tokens(path: str | None, variable: str) -> tuple[str, ...]:
    """The tokens of a file (one per line, `#` comments, blank lines skipped) and of an
    environment variable (separated by whitespace or commas). Raises ServeError for a
    file that cannot be read, is readable by other users, or holds a short token."""
    found: list[tuple[str, str]] = []
    if path is not None:
        where = Path(path)
        try:
            mode = where.stat().st_mode
            text = where.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ServeError(f"{path}: cannot read the token file ({getattr(error, 'strerror', None) or error})")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ServeError(f"{path}: the token file can be read by other users "
                             f"(mode {stat.S_IMODE(mode):o}): `chmod 600 {path}`")
        for number, line in enumerate(text.splitlines(), 1):
            token = line.split("#", 1)[0].strip()
            if token:
                found.append((token, f"{path}:{number}"))
    for token in os.environ.get(variable, "").replace(",", " ").split():
        found.append((token, f"${variable}"))
    for token, where_from in found:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ServeError(f"{where_from}: a token must be at least {MIN_TOKEN_LENGTH} characters "
                             f"(this one has {len(token)}); `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` "
                             "makes one")
        if any(ord(c) < 0x21 or ord(c) > 0x7e for c in token):
            raise ServeError(f"{where_from}: a token is printable ASCII without spaces")
    return tuple(dict.fromkeys(token for token, _ in found))


def read_log_key(settings: Settings) -> bytes | None:
    if settings.log_key_file is None:
        return None
    try:
        return Path(settings.log_key_file).read_bytes().strip()
    except OSError as error:
        raise ServeError(f"{settings.log_key_file}: cannot read the log key ({error.strerror})")


def refusals(settings: Settings) -> list[str]:
    """Why the server must not start with these settings (empty: it may)."""
    problems: list[str] = []
    for name in ("tls_cert", "tls_key", "tls_client_ca", "token_file", "admin_token_file", "log_key_file"):
        value = getattr(settings, name)
        if value is not None and not os.path.isfile(value):
            problems.append(f"--{name.replace('_', '-')} {value}: no such file")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        problems.append("TLS needs both --tls-cert and --tls-key")
    if settings.tls_client_ca is not None and settings.tls_cert is None:
        problems.append("--tls-client-ca needs TLS: give --tls-cert and --tls-key")
    if problems:
        return problems
    try:
        tokens = read_tokens(settings.token_file, TOKENS_ENV)
        admin = read_tokens(settings.admin_token_file, ADMIN_TOKENS_ENV)
    except ServeError as error:
        return [str(error)]
    if not loopback(settings.host) and not tokens and not settings.mutual_tls:
        problems.append(
            f"--host {settings.host} listens beyond this machine: require authentication with "
            f"--token-file FILE (or ${TOKENS_ENV}), or client certificates with --tls-client-ca "
            "(and --tls-cert, --tls-key)")
    if settings.allow_reload and not admin:
        problems.append(f"--allow-reload needs admin tokens: --admin-token-file FILE or ${ADMIN_TOKENS_ENV} "
                        "(a reload is refused to anyone without one)")
    if settings.decision_log is not None and settings.log_key_file is None \
            and not os.environ.get("LAWFUL_LOG_KEY"):
        problems.append("--decision-log needs a key to pseudonymise subjects: --log-key-file FILE "
                        "or $LAWFUL_LOG_KEY")
    return problems
