"""A real HTTP proxy on loopback in front of moto, to play S3 servers that misbehave.

botocore talks HTTP to the proxy exactly as it would to S3; each request either
gets an answer the test chose (a 409 ConditionalRequestConflict with S3's own
XML body) or is forwarded to moto, headers rewritten if the test asks (a server
that ignores ``If-None-Match``). Nothing in botocore or the store is patched.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass
class Canned:
    """An answer the proxy gives instead of forwarding."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def s3_error(status: int, code: str, message: str) -> Canned:
    """An S3 error response as AWS sends it: XML body, request ids, ``Date``."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>proxy-host-id</HostId></Error>"
    ).encode()
    return Canned(status, body, {"Content-Type": "application/xml"})


def conditional_conflict() -> Canned:
    """S3's 409 on a conditional write that raced another operation on the key."""
    return s3_error(
        409,
        "ConditionalRequestConflict",
        "A conflicting conditional operation is currently in progress against this "
        "resource. Please try again.",
    )


@dataclass
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names


# Looks at a request; returns a Canned answer, or None to forward it. It may edit
# ``request.headers`` before forwarding.
Rule = Callable[[Request], Canned | None]


class S3Proxy:
    """Forwards to ``upstream`` unless ``rule`` answers; records every request it saw."""

    def __init__(self, upstream: str, rule: Rule) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.rule = rule
        self.seen: list[Request] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                with proxy._lock:
                    proxy.seen.append(request)
                    answer = proxy.rule(request)
                if answer is None:
                    answer = proxy._forward(request, body)
                self.send_response(answer.status)
                headers = {"Date": formatdate(usegmt=True), **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "content-length" not in {n.lower() for n in headers}:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def _forward(self, request: Request, body: bytes) -> Canned:
        connection = http.client.HTTPConnection(self.upstream, timeout=10)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
            headers.pop("expect", None)
            connection.request(request.method, request.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            if request.method != "HEAD":
                kept = {k: v for k, v in kept.items() if k.lower() != "content-length"}
            return Canned(response.status, data, kept)
        finally:
            connection.close()

    def puts_of(self, key: str) -> int:
        """How many PUTs of an object whose path ends with ``key`` reached the proxy."""
        with self._lock:
            return sum(
                1 for r in self.seen if r.method == "PUT" and r.path.split("?")[0].endswith(key)
            )


@contextmanager
def running_proxy(upstream: str, rule: Rule) -> Iterator[S3Proxy]:
    """Serve ``S3Proxy`` on a thread for the ``with`` block; always shut down."""
    proxy = S3Proxy(upstream, rule)
    thread = threading.Thread(
        target=proxy._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield proxy
    finally:
        proxy._server.shutdown()
        proxy._server.server_close()
        thread.join(timeout=5)


def conflict_first(key: str, times: int) -> Rule:
    """409 to the first ``times`` PUTs of ``key`` (``times < 0``: for ever); forward the rest."""
    count = 0

    def rule(request: Request) -> Canned | None:
        nonlocal count
        if request.method == "PUT" and request.path.split("?")[0].endswith("/" + key):
            count += 1
            if times < 0 or count <= times:
                return conditional_conflict()
        return None

    return rule


def strip_if_none_match(request: Request) -> None:
    """A server that ignores conditional creates: the header never reaches moto."""
    request.headers.pop("if-none-match", None)
