"""A real HTTP proxy on loopback in front of moto, to play S3 servers that misbehave.

botocore talks HTTP to the proxy exactly as it would to S3; each request either
gets an answer the test chose (a 409 ConditionalRequestConflict with S3's own
XML body), suffers a network ``Fault`` (reset, silence, a cut-off body, an answer
lost after the write was done), or is forwarded to moto, headers rewritten if the
test asks (a server that ignores ``If-None-Match``). Nothing in botocore or the
store is patched. ``flaky`` fails a seeded share of requests the way hotel Wi-Fi
and a busy S3 do.
"""

from __future__ import annotations

import enum
import http.client
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
    # A chunked body made on the fly instead of ``body`` (set Transfer-Encoding: chunked).
    stream: Callable[[], Iterator[bytes]] | None = None


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


class Fault(enum.Enum):
    """What the network does to a request instead of carrying it faithfully."""

    RESET = "reset"  # the connection is reset before the request reaches S3
    TIMEOUT = "timeout"  # silence past the client's read timeout, then a drop; not forwarded
    TRUNCATED = "truncated"  # forwarded; the answer's body is cut off mid-way
    LOST = "lost"  # forwarded (a write happens); the answer never comes back


def slow_down() -> Canned:
    """S3's throttling answer."""
    return s3_error(503, "SlowDown", "Please reduce your request rate.")


def internal_error() -> Canned:
    return s3_error(500, "InternalError", "We encountered an internal error. Please try again.")


@dataclass
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names


# Looks at a request; returns a Canned answer, a Fault, or None to forward it. It may
# edit ``request.headers`` before forwarding.
Rule = Callable[[Request], Canned | Fault | None]


class S3Proxy:
    """Forwards to ``upstream`` unless ``rule`` answers; records every request it saw."""

    def __init__(self, upstream: str, rule: Rule, *, silence_s: float = 1.0) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.rule = rule
        self.silence_s = silence_s  # how long a TIMEOUT holds the line: beyond the client's
        self.seen: list[Request] = []
        self.faults: list[tuple[Fault | int, Request]] = []  # every fault or canned status
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.close_connection = True

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                with proxy._lock:
                    proxy.seen.append(request)
                    answer = proxy.rule(request)
                    if answer is not None:
                        kind = answer if isinstance(answer, Fault) else answer.status
                        proxy.faults.append((kind, request))
                if answer in (Fault.RESET, Fault.TIMEOUT):
                    if answer is Fault.TIMEOUT:
                        time.sleep(proxy.silence_s)
                    self._drop()
                    return
                fault = answer if isinstance(answer, Fault) else None
                if answer is None or fault is not None:
                    answer = proxy._forward(request, body)
                if fault is Fault.LOST:
                    self._drop()
                    return
                self.send_response(answer.status)
                headers = {"Date": formatdate(usegmt=True), **answer.headers}
                length = {n.lower(): v for n, v in headers.items()}.get("content-length")
                if length is None and "transfer-encoding" not in {n.lower() for n in headers}:
                    length = str(len(answer.body))
                    headers["Content-Length"] = length
                if fault is Fault.TRUNCATED:
                    # Promise the whole body (at least one byte), deliver half, hang up.
                    headers["Content-Length"] = str(max(1, len(answer.body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command == "HEAD":
                    return
                if fault is Fault.TRUNCATED:
                    self.wfile.write(answer.body[: len(answer.body) // 2])
                    self.wfile.flush()
                    self._drop()
                    return
                if callable(answer.stream):
                    self._stream(answer.stream)
                else:
                    self.wfile.write(answer.body)

            def _drop(self) -> None:
                """Hang up with a TCP reset: the client sees "connection reset by peer"."""
                self.close_connection = True
                with suppress(OSError):
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )

            def _stream(self, chunks: Callable[[], Iterator[bytes]]) -> None:
                """A chunked body of unknown, perhaps endless, length."""
                self.close_connection = True
                try:
                    for chunk in chunks():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client stopped reading: that is the point
                    pass

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
def running_proxy(upstream: str, rule: Rule, *, silence_s: float = 1.0) -> Iterator[S3Proxy]:
    """Serve ``S3Proxy`` on a thread for the ``with`` block; always shut down."""
    proxy = S3Proxy(upstream, rule, silence_s=silence_s)
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


# What ``flaky`` picks from, and how often relative to each other.
FAILURES: dict[str, Callable[[], Canned | Fault]] = {
    "500": internal_error,
    "503": slow_down,
    "reset": lambda: Fault.RESET,
    "timeout": lambda: Fault.TIMEOUT,
    "truncated": lambda: Fault.TRUNCATED,
    "lost": lambda: Fault.LOST,
}


class Flaky:
    """A rule that fails a seeded share of requests with one of ``FAILURES``.

    Kinds come from a seeded shuffled bag, so every kind turns up once in each run
    of ``len(kinds)`` failures: a short test still meets all of them.
    ``enabled`` switches it off (to set up or to check the end state through the
    same proxy); ``rate`` and ``kinds`` may change between steps.
    """

    def __init__(self, rate: float, seed: int, kinds: tuple[str, ...] = tuple(FAILURES)) -> None:
        self.rate = rate
        self.kinds = kinds
        self.enabled = True
        self._random = random.Random(seed)
        self._bags: dict[tuple[str, ...], list[str]] = {}

    def __call__(self, request: Request) -> Canned | Fault | None:
        if not self.enabled or self._random.random() >= self.rate:
            return None
        bag = self._bags.setdefault(self.kinds, [])
        if not bag:
            bag.extend(self.kinds)
            self._random.shuffle(bag)
        return FAILURES[bag.pop()]()


def endless(chunk: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A body that never ends."""
    while True:
        yield chunk
