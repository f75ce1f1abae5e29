"""Host and Origin checks (issue 15, case 7): exactly the loopback names with an optional
all-digit port pass; anything a DNS-rebinding page could dress up as loopback is 403.

Checked on the parsing functions and, over real HTTP, on a running backend.
"""

import httpx
import pytest

from backend.service.security import is_loopback_host, is_loopback_origin

GOOD_HOSTS = [
    "127.0.0.1", "127.0.0.1:8765", "localhost", "localhost:1", "LOCALHOST", "LocalHost:65535",
    "[::1]", "[::1]:8000",
]  # fmt: skip
BAD_HOSTS = [
    "[::1].evil.com", "[::1]@evil.com", "[::1]:80@evil.com", "localhost:1@evil.com",
    "evil.com@localhost", "127.0.0.1.evil.com", "localhost.evil.com", "localhost.",
    "localhost:", "localhost:abc", "localhost:80:90", "localhost:+80", "localhost:123456",
    "127.0.0.1:", "::1", "::1:80", "[::1", "[::1]:", "[0:0:0:0:0:0:0:1]", "127.0.0.2",
    "127.1", "0.0.0.0", "evil.example", "evil.example:8765", " localhost", "localhost/x",
    "localhost#", "",
]  # fmt: skip
GOOD_ORIGINS = ["http://127.0.0.1", "http://localhost:1", "https://LOCALHOST", "http://[::1]:80"]
BAD_ORIGINS = [
    "null", "http://[::1].evil.com", "http://[::1]@evil.com", "http://localhost@evil.com",
    "http://evil.com@localhost", "http://localhost:1@evil.com", "http://localhost:abc",
    "http://localhost:", "http://[::1", "http://::1", "http://localhost/", "http://localhost/x",
    "ftp://localhost", "file://localhost", "localhost", "https://evil.example",
    "http://127.0.0.1.evil.com",
]  # fmt: skip


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_loopback_hosts_pass(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", BAD_HOSTS + [None])
def test_anything_else_is_not_a_loopback_host(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize("origin", GOOD_ORIGINS + [None])
def test_loopback_origins_pass(origin):
    assert is_loopback_origin(origin)


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_anything_else_is_not_a_loopback_origin(origin):
    assert not is_loopback_origin(origin)


def _get_health(info, **headers):
    auth = {"Authorization": f"Bearer {info['token']}"}
    return httpx.get(f"{info['url']}/health", headers={**auth, **headers})


def test_real_backend_answers_403_to_every_bad_host_and_origin(live_backend):
    # Leading blanks and empty values are trimmed or refused by the HTTP parser itself.
    sendable = [h for h in BAD_HOSTS if h and not h.startswith(" ")]
    answers = {h: _get_health(live_backend, Host=h).status_code for h in sendable}
    assert {h: c for h, c in answers.items() if c != 403} == {}
    answers = {o: _get_health(live_backend, Origin=o).status_code for o in BAD_ORIGINS}
    assert {o: c for o, c in answers.items() if c != 403} == {}


def test_real_backend_answers_good_hosts_and_origins(live_backend):
    for host in GOOD_HOSTS:
        assert _get_health(live_backend, Host=host).status_code == 200, host
    for origin in GOOD_ORIGINS:
        assert _get_health(live_backend, Origin=origin).status_code == 200, origin
