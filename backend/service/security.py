"""Who may talk to the backend: loopback hosts and origins only, and a bearer token.

The Host/Origin checks stop a web page in the user's browser from driving the backend
(DNS rebinding, cross-site requests); the token stops other local users' programs.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

# Exactly a loopback name and an optional all-digit port: no userinfo, no suffix, no path.
# A lenient split (rsplit on ":", urlsplit) lets "[::1].evil.com", "[::1]@evil.com" or
# "localhost:1@evil.com" through, which a DNS-rebinding page can send.
_HOST = r"(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?"
_HOST_RE = re.compile(_HOST, re.IGNORECASE)
_ORIGIN_RE = re.compile(rf"https?://{_HOST}", re.IGNORECASE)


def new_token() -> str:
    """A random token for one backend start (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback_host(host_header: str | None) -> bool:
    """True when a Host header is exactly ``127.0.0.1``, ``localhost`` or ``[::1]``, each
    with an optional ``:port`` of digits (``localhost`` in any case); False otherwise,
    including a missing or empty header and a bare ``::1``."""
    return host_header is not None and _HOST_RE.fullmatch(host_header) is not None


def is_loopback_origin(origin: str | None) -> bool:
    """True when there is no Origin header, or it is ``http(s)://`` followed by a host that
    :func:`is_loopback_host` accepts (nothing after it: no path, no userinfo). ``null``
    (sandboxed frames, ``file://`` pages) is refused."""
    if origin is None:
        return True
    return _ORIGIN_RE.fullmatch(origin) is not None


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
