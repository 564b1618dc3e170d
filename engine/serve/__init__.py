"""`lawful serve`: the policy's decisions over HTTP, for services in any language.

    lawful serve rules/examples/shop --port 8181 --workers 2
    curl -s localhost:8181/v1/decide -H 'content-type: application/json' -d @event.json

uvicorn runs `app.Service` (plain ASGI) with `protocol.DeadlineProtocol`; see
docs/serve.md for the endpoints, the options and their guarantees.
"""

from __future__ import annotations

import os
import shutil
import ssl
import sys
import tempfile

from .settings import SETTINGS_ENV, SHARED_ENV, ServeError, Settings, refusals

__all__ = ["ServeError", "Settings", "refusals", "run"]


APP = "engine.serve.app:from_environment"


def run(settings: Settings, app: str = APP) -> int:
    """Start uvicorn with these settings and return its exit status once it stops.
    The caller has checked `refusals(settings)` and that the policy compiles. `app`
    is the factory of each worker's application (`module:function`), importable in
    a fresh process; it reads the settings from `$LAWFUL_SERVE_SETTINGS`."""
    import uvicorn

    from .protocol import DeadlineProtocol

    os.environ[SETTINGS_ENV] = settings.to_env()
    shared = None
    if settings.workers > 1:  # each worker's metrics in files of one folder, added up by /metrics
        shared = tempfile.mkdtemp(prefix="lawful-serve-")
        os.mkdir(os.path.join(shared, "metrics"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(shared, "metrics")
        os.environ[SHARED_ENV] = shared
    options: dict = {}
    if settings.tls:
        options.update(ssl_certfile=settings.tls_cert, ssl_keyfile=settings.tls_key)
        if settings.tls_client_ca is not None:
            options.update(ssl_ca_certs=settings.tls_client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    try:
        uvicorn.run(app, factory=True, host=settings.host.strip("[]"),
                    port=settings.port, workers=settings.workers if settings.workers > 1 else None,
                    http=DeadlineProtocol, lifespan="on", access_log=settings.access_log,
                    limit_concurrency=settings.max_connections + 1,  # uvicorn counts the one asking server_header=False, proxy_headers=False,
                    timeout_graceful_shutdown=10, log_level="info", **options)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
    sys.stdout.flush()
    return 0
