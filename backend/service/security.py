"""Who may talk to the backend: loopback hosts and origins only, and a bearer token.

The Host/Origin checks stop a web page in the user's browser from driving the backend
(DNS rebinding, cross-site requests); the token stops other local users' programs.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def new_token() -> str:
    """A random token for one backend start (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _hostname(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_host(host_header: str | None) -> bool:
    """True for a Host header naming a loopback address, with or without a port."""
    return host_header is not None and _hostname(host_header) in LOOPBACK_HOSTS


def is_loopback_origin(origin: str | None) -> bool:
    """True when there is no Origin header, or it is an http(s) loopback origin."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


class LocalOnlyAuthMiddleware(BaseHTTPMiddleware):
    """Refuse non-loopback Host/Origin (403), then require ``Authorization: Bearer``
    with the start's token (401)."""

    def __init__(self, app, token: str) -> None:
        super().__init__(app)
        self._token = token.encode()

    async def dispatch(self, request: Request, call_next):
        if not is_loopback_host(request.headers.get("host")):
            return JSONResponse(
                {"detail": "Refused: the backend only answers requests addressed to loopback."},
                status_code=403,
            )
        if not is_loopback_origin(request.headers.get("origin")):
            return JSONResponse(
                {"detail": "Refused: requests from web pages are not allowed."}, status_code=403
            )
        auth = request.headers.get("authorization", "")
        scheme, _, supplied = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.encode(), self._token):
            return JSONResponse(
                {"detail": "Missing or wrong token: read it from the backend's state file."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)
