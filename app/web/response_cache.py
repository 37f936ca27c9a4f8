"""Whole responses to GET requests, kept until the data changes (a release is ingested).

Pages and charts are pure functions of the URL, the HX-Request header and the stored data, so a hit
skips routing, queries and rendering altogether. The data version is re-read at most once a second.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_ENTRIES: Final = 2048
MAX_BODY: Final = 4 << 20  # bytes; bigger answers are not kept
VERSION_TTL: Final = 1.0  # seconds an answer may lag behind a finished ingest


class ResponseCache:
    def __init__(self, app: ASGIApp, version: Callable[[], Any], skip_prefixes: tuple[str, ...] = ("/static",)):
        self.app = app
        self._version = version
        self._skip = skip_prefixes
        self._entries: OrderedDict[tuple[Any, ...], tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._known: tuple[float, Any] = (0.0, None)

    async def _current_version(self) -> Any:
        checked, version = self._known
        if time.monotonic() - checked > VERSION_TTL:
            version = await run_in_threadpool(self._version)
            self._known = (time.monotonic(), version)
        return version

    def clear(self) -> None:
        self._entries.clear()
        self._known = (0.0, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(self._skip):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            version = await self._current_version()
        except Exception:  # the database is down: let the app answer (with its 503 page)
            await self.app(scope, receive, send)
            return
        key = (
            version,
            scope["path"],
            scope["query_string"],
            headers.get(b"hx-request"),
            b"gzip" in headers.get(b"accept-encoding", b""),
            b"text/csv" in headers.get(b"accept", b""),
        )
        cached = self._entries.get(key)
        if cached is not None:
            self._entries.move_to_end(key)
            status, response_headers, body = cached
            asked = headers.get(b"if-none-match")
            if asked is not None and (b"etag", asked) in response_headers:
                kept = [(k, v) for k, v in response_headers if k in (b"etag", b"cache-control", b"vary")]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": status, "headers": response_headers})
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict[str, Any] = {"body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                if not message.get("more_body") and captured.get("status") == 200 and len(captured["body"]) <= MAX_BODY:
                    # filed under the version of the snapshot the answer was read from (app.request.get_db),
                    # which may be newer than the one known when the request came in
                    read_at = scope.get("state", {}).get("data_version", version)
                    self._entries[(read_at, *key[1:])] = (200, captured["headers"], bytes(captured["body"]))
                    if len(self._entries) > MAX_ENTRIES:
                        self._entries.popitem(last=False)
            await send(message)

        await self.app(scope, receive, capture)
