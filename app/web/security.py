"""Security headers on every answer: a Content-Security-Policy that allows only our own assets, and the rest."""

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Charts draw with vega's expression interpreter (no eval) and our own scripts only; vega sets inline
# style attributes on the SVG it draws, hence 'unsafe-inline' for styles alone.
POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The interactive API docs are FastAPI's page, which starts Swagger UI with an inline script.
DOCS_POLICY: Final = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATH: Final = "/api/v1/docs"
HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (DOCS_POLICY if scope["path"] == DOCS_PATH else POLICY).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k not in dict(HEADERS)]
                message["headers"] = [*headers, *HEADERS, (b"content-security-policy", policy)]
            await send(message)

        await self.app(scope, receive, with_headers)
