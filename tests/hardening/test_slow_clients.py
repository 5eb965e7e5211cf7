"""A client that sends its headers and then stalls its body is answered 408 and disconnected
after the body timeout, instead of holding the connection (and a worker's buffers) forever."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from api.config import Settings
from api.main import create_app
from tests.api.booking.conftest import Clinic
from tests.support.server import running_server


def _read_until_closed(sock: socket.socket) -> bytes:
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_stalled_body_is_408_and_the_connection_closed(
    settings: Settings, clinic: Clinic, framing: str
) -> None:
    app = create_app(settings.model_copy(update={"body_timeout_seconds": 0.5}))
    body = json.dumps(clinic.booking()).encode()
    with running_server(app) as url:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            length = (
                f"Content-Length: {len(body)}\r\n"
                if framing == "content-length"
                else "Transfer-Encoding: chunked\r\n"
            )
            sock.sendall(
                (
                    "POST /api/booking/appointments HTTP/1.1\r\n"
                    f"Host: {parts.netloc}\r\n"
                    f"Authorization: {clinic.headers()['Authorization']}\r\n"
                    "Content-Type: application/json\r\n"
                    f"{length}\r\n"
                ).encode()
            )
            half = body[: len(body) // 2]
            sock.sendall(
                half if framing == "content-length" else b"%x\r\n%s\r\n" % (len(half), half)
            )
            # ...and nothing more. The server answers and hangs up (recv returns b"" at close);
            # the 30 s socket timeout only stops a broken server from hanging the test.
            answer = _read_until_closed(sock)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower()
    problem = json.loads(payload)
    assert problem["status"] == 408 and "within 0.5 seconds" in problem["detail"]


def test_a_body_sent_in_time_is_booked(settings: Settings, clinic: Clinic) -> None:
    import httpx

    app = create_app(settings.model_copy(update={"body_timeout_seconds": 5}))
    with running_server(app) as url:
        resp = httpx.post(
            f"{url}/api/booking/appointments", json=clinic.booking(), headers=clinic.headers()
        )
    assert resp.status_code == 201, resp.text
