"""Browser security headers on every HTTP response: CSP, framing, MIME sniffing, referrer.

Pages with script (the staff calendar, the demo practice site) run only the app's own files: no
inline script or style, no other origin, and no other site may frame them, so a page elsewhere
cannot overlay the calendar and trick a receptionist into clicking (clickjacking). Everything
else (JSON, `.ics`, the widget's assets, the script-free confirmation page) gets a policy that
allows nothing at all, which is what a response should allow if it is not an app page.

The widget stays embeddable: a practice's site loads `/widget/slotwise-widget.js` with a script
tag. A CSP on a script or stylesheet response governs nothing (only documents and workers
enforce one), and the portal API's CORS is decided by `api.portal.cors`, so neither is affected.

The interactive API docs (`/docs`, `/redoc`) load Swagger UI and ReDoc from a CDN with an inline
bootstrap script; they keep only the framing and sniffing headers.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# 'self' covers ws:/wss: to the same host (CSP Level 3), which the calendar's live channel uses.
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
RESOURCE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_POLICY = "frame-ancestors 'none'"

# The waitlist offer page is a page with script, served beside the widget's assets.
PAGE_PATHS = ("/calendar", "/demo/", "/widget/waitlist-offer")
DOCS_PATHS = ("/docs", "/redoc")

COMMON = {
    "X-Content-Type-Options": "nosniff",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    # Confirmation links carry a token in the URL; no page needs to tell another where it was.
    "Referrer-Policy": "no-referrer",
}


def policy_for(path: str) -> str:
    if path in DOCS_PATHS or path.startswith("/docs/"):
        return DOCS_POLICY
    if any(path.startswith(p) for p in PAGE_PATHS):
        return PAGE_POLICY
    return RESOURCE_POLICY


class SecurityHeadersMiddleware:
    """Pure ASGI (no buffering): adds the headers as the response starts, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
