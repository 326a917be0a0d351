"""JSON nesting bounded before parsing — giới hạn độ lồng JSON: an ASGI middleware that reads the body
of a JSON request and answers 422, naming the reason, when its arrays and objects nest deeper than
:data:`MAX_DEPTH` — counted over the raw bytes (brackets outside strings), without building the object,
so that a body nested 900 levels deep never reaches the parser, the validators or the serialisers (whose
recursion limits turned it into a 500). Other requests pass untouched; a JSON body is handed on whole.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from api.web.problems import problem

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DEPTH = 32
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in ``body`` (strings skipped, escapes honoured); a
    malformed body gets a number too, and is refused by the parser afterwards."""
    depth = deepest = 0
    for token in _TOKENS.finditer(body):
        char = token.group()[:1]
        if char in {b"[", b"{"}:
            depth += 1
            deepest = max(deepest, depth)
        elif char in {b"]", b"}"}:
            depth -= 1
    return deepest


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class JsonDepthLimit:
    """Refuse a JSON request body nested deeper than ``max_depth`` with a 422 problem."""

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        depth = json_depth(body)
        if depth > self.max_depth:
            answer = problem(
                422,
                f"the JSON body nests {depth} levels deep; at most {self.max_depth} are accepted",
                [{"field": "body", "message": f"must nest at most {self.max_depth} levels deep"}],
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], last: Message | None, then: Receive) -> Receive:
    """A ``receive`` that hands on the body already read, then what the client sends next (``then``)."""
    pending: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if last is not None:
        pending.append(last)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive
