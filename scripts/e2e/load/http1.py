"""A minimal HTTP/1.1 client on raw sockets, for the load and fault test.

Why not a client library: the test must see exactly what the server does on the wire
(keep-alive reuse, a reset or an early close, a response that arrives before the body was
sent) and must be able to misbehave on purpose (stop half-way through a body, hang up while
a request is queued). Libraries retry, pool and hide exactly those events.
"""
import asyncio
import socket
import time


class ConnectionLost(Exception):
    """The server closed or reset the connection before a complete response."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body


def encode_request(method, path, body=b"", headers=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(head):
    """Status code and lower-cased headers of a response head (without the blank line)."""
    status_line, *fields = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for field in fields:
        name, _, value = field.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


class Connection:
    """One keep-alive connection; requests on it are sequential."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(reader, writer)

    async def request(self, method, path, body=b"", headers=None):
        try:
            self.writer.write(encode_request(method, path, body, headers))
            await self.writer.drain()
            return await self.read_response()
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            raise ConnectionLost(f"{method} {path}: {type(error).__name__}: {error}") from None

    async def read_response(self):
        while True:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, headers = parse_head(head[:-4])
            if status != 100:  # an interim 100 Continue precedes the real answer
                break
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self.read_chunked()
        else:
            body = b""
        return Response(status, headers, body)

    @staticmethod
    def closes(response):
        """The server said it closes the connection after this answer (as it does after an
        early answer whose body it did not read, and while draining): reconnect."""
        return response.headers.get("connection", "").lower() == "close"

    async def read_chunked(self):
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(data[:-2])

    def send_raw(self, data):
        self.writer.write(data)

    async def close(self):
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


def blocking_get(sock, path):
    """GET on a blocking keep-alive socket; returns (status, body, seconds)."""
    started = time.perf_counter()
    sock.sendall(encode_request("GET", path))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionLost(f"GET {path}: closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionLost(f"GET {path}: closed")
        body += chunk
    return status, body, time.perf_counter() - started


def blocking_connection(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
