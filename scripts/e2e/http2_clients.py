"""Hostile and demanding HTTP/2 clients for scripts/e2e/http2.sh, on raw frames.

Written with hyperframe and hpack (which the `h2` package brings) rather than h2's connection
object, because h2 refuses to break the protocol's rules on the client side: it would not open
more streams than the server allows, and that is one of the things tested here.

    python -m scripts.e2e.http2_clients rapid-reset PORT     # CVE-2023-44487
    python -m scripts.e2e.http2_clients many-streams PORT    # up to the stream limit, then past it
    python -m scripts.e2e.http2_clients await-goaway PORT    # prints "connected", then waits for GOAWAY

Each prints one line of JSON with what it saw, and exits non-zero when the server misbehaved.
"""

import json
import socket
import sys
import time

from hpack import Decoder, Encoder
from hyperframe.frame import (DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CANCEL, NO_ERROR, REFUSED_STREAM, ENHANCE_YOUR_CALM = 0x8, 0x0, 0x7, 0xB
SMALL = json.dumps({"query": [[1, 0]], "key": [[1, 0], [0, 1]], "value": [[1], [2]]}).encode()


class Connection:
    """One h2c connection: writes frames, reads them back one at a time."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.encoder = Encoder()
        self.buffer = b""
        self.next_stream = 1
        self.server_settings = {}
        # A large connection window, so that the server's answers never wait for ours.
        self.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 24}), preface=True)
        self.send(WindowUpdateFrame(0, window_increment=(1 << 30)))

    def send(self, *frames, preface=False):
        self.sock.sendall((PREFACE if preface else b"") + b"".join(frame.serialize() for frame in frames))

    def answer(self, frame):
        """Acknowledges a frame; the server may have closed the connection already."""
        try:
            self.send(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def headers(self, path, method="POST", end_stream=False, extra=()):
        stream = self.next_stream
        self.next_stream += 2
        block = self.encoder.encode([(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"),
                                     (":path", path), *extra])
        flags = ["END_HEADERS"] + (["END_STREAM"] if end_stream else [])
        return stream, HeadersFrame(stream, data=block, flags=flags)

    def read_frame(self):
        """The next frame, or None when the server has closed the connection."""
        while True:
            if len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                if len(self.buffer) >= 9 + length:
                    frame.parse_body(memoryview(self.buffer[9:9 + length]))
                    self.buffer = self.buffer[9 + length:]
                    if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                        self.server_settings.update(frame.settings)
                        self.answer(SettingsFrame(0, flags=["ACK"]))
                    elif isinstance(frame, PingFrame) and "ACK" not in frame.flags:
                        self.answer(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]))
                    return frame
            try:
                chunk = self.sock.recv(1 << 16)
            except (ConnectionResetError, socket.timeout):
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def close(self):
        self.sock.close()


def rapid_reset(port, connections=20, streams_per_connection=2000):
    """Opens and at once resets POST streams whose body never comes, connection after
    connection. Each must end in GOAWAY (ENHANCE_YOUR_CALM) long before its streams run out."""
    seen = []
    for _ in range(connections):
        connection = Connection(port)
        sent = 0
        try:
            for _ in range(streams_per_connection):
                stream, headers = connection.headers("/v1/attention", extra=[("content-length", "100000")])
                connection.send(headers, RstStreamFrame(stream, error_code=CANCEL))
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        goaway = None
        while (frame := connection.read_frame()) is not None:
            if isinstance(frame, GoAwayFrame):
                goaway = frame.error_code
        connection.close()
        seen.append({"resets_sent": sent, "goaway": goaway})
    print(json.dumps({"rapid_reset": seen}))
    if any(entry["goaway"] != ENHANCE_YOUR_CALM for entry in seen):
        sys.exit("a rapid-reset connection did not end in GOAWAY ENHANCE_YOUR_CALM")


def many_streams(port, connections=8, rounds=10):
    """On each of `connections` connections, `rounds` rounds of as many streams at once as the
    server allows (SETTINGS_MAX_CONCURRENT_STREAMS), each a small POST sent in full: every one
    is answered (200, or 503 when the pool is full). Then one round of half as many again past
    the limit, which breaks the protocol: SwiftNIO ends the connection with GOAWAY
    PROTOCOL_ERROR (a connection error, which RFC 9113 §5.1.2 allows), and the server serves on."""
    results = []
    for _ in range(connections):
        connection = Connection(port)
        while SettingsFrame.MAX_CONCURRENT_STREAMS not in connection.server_settings:
            if connection.read_frame() is None:
                sys.exit("no SETTINGS from the server")
        limit = connection.server_settings[SettingsFrame.MAX_CONCURRENT_STREAMS]
        result = {"limit": limit, "statuses": {}, "refused": 0, "other_resets": 0, "unanswered": 0, "goaway": None}
        decoder = Decoder()
        for round in range(rounds + 1):
            streams = limit if round < rounds else limit + limit // 2
            frames, pending = [], set()
            for _ in range(streams):
                stream, headers = connection.headers("/v1/attention", extra=[("content-type", "application/json"),
                                                                             ("content-length", str(len(SMALL)))])
                pending.add(stream)
                frames += [headers, DataFrame(stream, data=SMALL, flags=["END_STREAM"])]
            connection.send(*frames)
            while pending:
                frame = connection.read_frame()
                if frame is None:
                    break
                if isinstance(frame, HeadersFrame):
                    status = dict(decoder.decode(frame.data)).get(":status")
                    if status:
                        result["statuses"][status] = result["statuses"].get(status, 0) + 1
                    if "END_STREAM" in frame.flags:
                        pending.discard(frame.stream_id)
                elif isinstance(frame, DataFrame):
                    if frame.flow_controlled_length:
                        connection.send(WindowUpdateFrame(frame.stream_id, window_increment=frame.flow_controlled_length))
                    if "END_STREAM" in frame.flags:
                        pending.discard(frame.stream_id)
                elif isinstance(frame, RstStreamFrame):
                    pending.discard(frame.stream_id)
                    result["refused" if frame.error_code == REFUSED_STREAM else "other_resets"] += 1
                elif isinstance(frame, GoAwayFrame):
                    result["goaway"] = frame.error_code
                    break
            if result["goaway"] is not None:
                break
            result["unanswered"] += len(pending)
            if pending:
                sys.exit(f"streams within the limit left unanswered: {result}")
        connection.close()
        results.append(result)
    print(json.dumps({"many_streams": results}))
    PROTOCOL_ERROR = 0x1
    for result in results:
        answered, limit = sum(result["statuses"].values()), result["limit"]
        if answered < rounds * limit or set(result["statuses"]) - {"200", "503"}:
            sys.exit(f"expected at least {rounds * limit} answers, 200 or 503 past the queue: {result}")
        if result["goaway"] != PROTOCOL_ERROR:
            sys.exit(f"streams past the limit did not end the connection with GOAWAY PROTOCOL_ERROR: {result}")


def await_goaway(port, timeout=60.0):
    """Opens a connection and one stream, says so, and waits for the server's GOAWAY (sent on
    SIGTERM): it must be NO_ERROR, and the connection must then close."""
    connection = Connection(port, timeout=timeout)
    stream, headers = connection.headers("/health", method="GET", end_stream=True)
    connection.send(headers)
    print("connected", flush=True)
    started = time.monotonic()
    goaway, closed = None, False
    while time.monotonic() - started < timeout:
        frame = connection.read_frame()
        if frame is None:
            closed = True
            break
        if isinstance(frame, GoAwayFrame):
            goaway = frame.error_code
    print(json.dumps({"goaway": goaway, "closed": closed}))
    if goaway != NO_ERROR or not closed:
        sys.exit("no GOAWAY (NO_ERROR) followed by the close on SIGTERM")


if __name__ == "__main__":
    command, port = sys.argv[1], int(sys.argv[2])
    {"rapid-reset": rapid_reset, "many-streams": many_streams, "await-goaway": await_goaway}[command](port)
