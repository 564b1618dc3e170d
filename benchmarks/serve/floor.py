"""The HTTP floor of `benchmarks/serve.py`: the decision service with one more
endpoint, `POST /floor`, which reads its body as /v1/decide does (the same size
limit, the same routing, metrics and deadlines) and answers a constant small
JSON document without deciding anything. What /v1/decide costs beyond it is
what Lawful adds to the stack."""

from __future__ import annotations

from engine.serve.app import JSON, ROUTES, Route, Service, _respond
from engine.serve.settings import Settings

ANSWER = b'{"effect":"allow","allowed":true,"reasons":[],"obligations":[]}'


class FloorService(Service):
    routes = {**ROUTES, "/floor": Route("floor", ("POST",), "client", "floor")}

    async def floor(self, scope, receive, send) -> int:
        self._json_only(scope)
        await self._body(scope, receive, self.settings.max_body)
        await _respond(send, 200, ANSWER, JSON)
        return 200


def from_environment() -> FloorService:
    return FloorService(Settings.from_env())
