"""A stand-in v2 server that answers every inference at once with a canned response.

It reads each request whole (head, then Content-Length bytes of body, into one buffer)
and answers with the bytes that attention-server sends for scaled dot-product attention,
B=1, H=8, L=S=1024, d=64, binary output: the same headers, the same JSON header and
2 MiB of binary output (zeros). A client timed against it spends only its own time and the
transfer, so scripts/bench/v2.py uses it to show the least a v2 client library can cost.

  python3 -m scripts.bench.canned_v2_server   listens on a free 127.0.0.1 port and prints it
                                              on stdout (one line)
"""
import json
import socket
import threading

B, H, L, D = 1, 8, 1024, 64
OUTPUT_BYTES = 4 * B * H * L * D


def canned_response():
    header = json.dumps({
        "model_name": "scaled_dot_product_attention", "model_version": "1",
        "outputs": [{"name": "output", "datatype": "FP32", "shape": [B, H, L, D],
                     "parameters": {"binary_data_size": OUTPUT_BYTES}}],
    }, separators=(",", ":")).encode()
    body = header + bytes(OUTPUT_BYTES)
    head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            f"Inference-Header-Content-Length: {len(header)}\r\nVary: Accept-Encoding\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def serve(connection, response):
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray(16 << 20)
    view = memoryview(buffer)
    filled = 0
    while True:
        # The head: read until the blank line.
        while (end := buffer.find(b"\r\n\r\n", 0, filled)) < 0:
            count = connection.recv_into(view[filled:])
            if count == 0:
                connection.close()
                return
            filled += count
        head = bytes(buffer[:end]).decode("latin-1").lower()
        length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n") if line.startswith("content-length:")), 0)
        total = end + 4 + length
        while filled < total:
            filled += connection.recv_into(view[filled:total])
        connection.sendall(response)
        buffer[:filled - total] = buffer[total:filled]
        filled -= total


def main():
    response = canned_response()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, response), daemon=True).start()


if __name__ == "__main__":
    main()
