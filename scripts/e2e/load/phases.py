"""The three phases of the load test, each returning what it measured; run.py asserts.

- load:   closed-loop clients on keep-alive connections send the request mix for a while;
          every answer must be a correct 200 or a 503 with Retry-After.
- faults: clients that leave before the whole body, right after it, while their request is
          queued, and while it runs.
- drain:  SIGTERM with requests in flight and long jobs running.
"""
import asyncio
import json
import os
import random
import re
import signal
import time

from scripts.e2e.load.http1 import Connection, ConnectionLost, encode_request
from scripts.e2e.load.monitor import process_state


class Tally:
    """Answers by request kind: statuses, latencies of the 200s, failures."""

    def __init__(self):
        self.statuses = {}    # kind -> {status: count}
        self.latencies = {}   # kind -> [seconds] of 200 answers
        self.failures = []    # messages

    def record(self, template, response, seconds):
        counts = self.statuses.setdefault(template.kind, {})
        counts[response.status] = counts.get(response.status, 0) + 1
        if response.status == 200:
            self.latencies.setdefault(template.kind, []).append(seconds)
            try:
                template.check(response)
            except (AssertionError, KeyError, ValueError) as error:
                self.failures.append(f"{template.kind}: wrong answer: {error}")
        elif response.status == 503:
            problem = overload_problem(template, response)
            if problem:
                self.failures.append(f"{template.kind}: 503 {problem}")
        else:
            self.failures.append(f"{template.kind}: status {response.status}: {response.body[:300]!r}")

    def fail(self, message):
        self.failures.append(message)

    def count(self, status=None):
        return sum(n for counts in self.statuses.values() for s, n in counts.items() if status is None or s == status)


def overload_problem(template, response):
    """What is wrong with a 503 answer, or None: it needs Retry-After and the API's error body."""
    retry = response.headers.get("retry-after", "")
    if not retry.isdigit():
        return f"without a valid Retry-After: {retry!r}"
    body = json.loads(response.body)
    if template.api == "v1":
        if response.headers.get("content-type") != "application/problem+json" or body.get("status") != 503:
            return f"not a problem+json 503: {response.body[:200]!r}"
    elif "error" not in body:
        return f"no v2 error message: {response.body[:200]!r}"
    return None


async def get(port, path):
    connection = await Connection.open(port)
    try:
        return await connection.request("GET", path)
    finally:
        await connection.close()


async def metric_total(port, name, **labels):
    """The sum of a Prometheus metric's samples whose labels include `labels`."""
    text = (await get(port, "/metrics")).body.decode()
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"{name}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def metric_settled(port, name, **labels):
    """A metric's total once it stops moving: answers still being written when a phase
    ends are counted a little later, and must not be taken for the next phase's."""
    total = await metric_total(port, name, **labels)
    for _ in range(50):
        await asyncio.sleep(0.2)
        again = await metric_total(port, name, **labels)
        if again == total:
            break
        total = again
    return total


async def metric_reaches(port, target, name, seconds=30, **labels):
    """Waits until a metric's total reaches `target` (a request is counted once its answer is
    written, a little after its place in the pool is freed); returns the last total seen."""
    deadline = time.monotonic() + seconds
    total = await metric_total(port, name, **labels)
    while total < target and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        total = await metric_total(port, name, **labels)
    return total


async def pool(port):
    """GET /ready's counts: `admitted` (every place held, including requests still sending
    or decoding their bodies), `running` (jobs on a worker) and `queued`."""
    return json.loads((await get(port, "/ready")).body)


async def wait_for_pool(port, seconds, what, **counts):
    """Polls /ready until each of `counts` (admitted, running, queued) has its value; a wait
    that times out names the last counts seen."""
    deadline = time.monotonic() + seconds
    while True:
        now = await pool(port)
        if all(now[name] == count for name, count in counts.items()):
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what} (last /ready seen: {now})")
        await asyncio.sleep(0.01)


async def early_answers(connections, seconds=1.0):
    """What the server already answered on connections whose requests should still be in
    flight: a description per answer, for the message of a failed wait."""
    answers = []
    for connection in connections:
        try:
            response = await asyncio.wait_for(connection.read_response(), seconds)
            answers.append(f"{response.status} {response.body[:300]!r}")
        except asyncio.TimeoutError:
            answers.append("no answer yet")
        except (ConnectionError, asyncio.IncompleteReadError, ConnectionLost) as error:
            answers.append(f"connection lost: {error!r}")
    return answers


# ------------------------------------------------------------------------------------
# Load

async def client_loop(port, mix, until, tally, stop=None):
    """Sends requests drawn from `mix` one after another on one keep-alive connection until
    `until` (a monotonic time) or `stop` is set. After a 503 it waits 10 to 50 ms, less than
    Retry-After asks, to keep the queue full: this client tests shedding, not politeness."""
    templates, weights = zip(*mix)
    connection = await Connection.open(port)
    try:
        while time.monotonic() < until and not (stop and stop.is_set()):
            template = random.choices(templates, weights)[0]
            started = time.perf_counter()
            try:
                response = await connection.request("POST", template.path, template.body, template.headers)
            except ConnectionLost as error:
                tally.fail(f"{template.kind}: {error}")
                await connection.close()
                connection = await Connection.open(port)
                continue
            tally.record(template, response, time.perf_counter() - started)
            if Connection.closes(response):
                await connection.close()
                try:
                    connection = await Connection.open(port)
                except OSError as error:
                    # A draining server stops listening: that ends this client, and is a
                    # failure only when nothing asked the server to stop.
                    if not (stop and stop.is_set()):
                        tally.fail(f"reconnect: {type(error).__name__}: {error}")
                    return
            if response.status == 503:
                await asyncio.sleep(random.uniform(0.01, 0.05))
    finally:
        await connection.close()


async def load(port, mix, connections, seconds):
    tally = Tally()
    until = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(port, mix, until, tally) for _ in range(connections)))
    return tally, time.perf_counter() - started


# ------------------------------------------------------------------------------------
# Faults

async def leave_before_the_whole_body(port, template, times):
    """Sends the head and half the body, then closes."""
    for _ in range(times):
        connection = await Connection.open(port)
        head_and_body = encode_request("POST", template.path, template.body, template.headers)
        connection.send_raw(head_and_body[:len(head_and_body) - len(template.body) // 2])
        await connection.writer.drain()
        await connection.close()


async def leave_after_the_body(port, template, times):
    """Sends the whole request, then closes without reading the answer."""
    for _ in range(times):
        connection = await Connection.open(port)
        connection.send_raw(encode_request("POST", template.path, template.body, template.headers))
        await connection.writer.drain()
        await connection.close()


async def start_requests(port, template, count):
    """Opens `count` connections, each sending `template` without waiting for the answer."""
    connections = [await Connection.open(port) for _ in range(count)]
    for connection in connections:
        connection.send_raw(encode_request("POST", template.path, template.body, template.headers))
        await connection.writer.drain()
    return connections


async def leave_while_queued_and_running(port, long_job, small, workers):
    """Fills every worker with a long job, queues small requests behind them and hangs up
    on those: the queue must empty while the long jobs still run. Then hangs up on the long
    jobs: their workers must come free long before the jobs could have finished.
    Returns (queued requests, seconds the running jobs took to stop)."""
    answered = await metric_total(port, "attention_http_requests_total", route=long_job.path, status="200")
    running = await start_requests(port, long_job, workers)
    # Admitted is not enough: a long job still decoding its body leaves its worker idle,
    # and a small request takes an idle worker at once instead of queueing.
    await wait_for_pool(port, 30, f"{workers} long jobs running", admitted=workers, running=workers)
    queued = await start_requests(port, small, 3)
    await wait_for_pool(port, 30, "3 queued requests", admitted=workers + 3, running=workers, queued=3)
    for connection in queued:
        await connection.close()
    await wait_for_pool(port, 30, "the queued requests to leave the queue", admitted=workers)
    assert await metric_total(port, "attention_http_requests_total", route=long_job.path, status="200") == answered, \
        "a long job was answered before the queued requests left: make it longer"
    hung_up = time.perf_counter()
    for connection in running:
        await connection.close()
    await wait_for_pool(port, 60, "the running jobs to stop", admitted=0)
    return 3, time.perf_counter() - hung_up


async def timed_request(port, template):
    """One request on a fresh connection: (response, seconds)."""
    connection = await Connection.open(port)
    try:
        started = time.perf_counter()
        response = await connection.request("POST", template.path, template.body, template.headers)
        return response, time.perf_counter() - started
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------
# Drain

async def drain(port, pid, mix, long_job, workers, connections, grace):
    """Starts the mix and `workers` long jobs, sends SIGTERM once the long jobs run, stops
    sending new requests once /ready says 503 (as a load balancer would), and waits for the
    process to exit. Returns (tally of the mix, tally of the long jobs, seconds from SIGTERM
    to readiness 503, seconds from SIGTERM to exit)."""
    tally, long_tally = Tally(), Tally()
    stop = asyncio.Event()
    long_connections = await start_requests(port, long_job, workers)
    try:
        await wait_for_pool(port, 30, "the long jobs to run", admitted=workers, running=workers)
    except AssertionError as error:
        raise AssertionError(f"{error}; the long jobs' connections: {await early_answers(long_connections)}") from None
    clients = [asyncio.create_task(client_loop(port, mix, time.monotonic() + grace, tally, stop))
               for _ in range(connections)]
    await asyncio.sleep(0.5)
    os.kill(pid, signal.SIGTERM)
    signalled = time.perf_counter()

    probe = await Connection.open(port)
    while (response := await probe.request("GET", "/ready")).status != 503:
        # A 200 written just after draining began carries Connection: close.
        if Connection.closes(response):
            await probe.close()
            probe = await Connection.open(port)
        await asyncio.sleep(0.01)
    not_ready = time.perf_counter() - signalled
    await probe.close()
    stop.set()
    await asyncio.gather(*clients)

    for connection in long_connections:
        try:
            response = await connection.read_response()
            long_tally.record(long_job, response, time.perf_counter() - signalled)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            long_tally.fail(f"long job in flight at SIGTERM: connection lost: {error!r}")
        await connection.close()

    while process_state(pid) not in (None, "Z"):
        if time.perf_counter() - signalled > grace:
            raise AssertionError(f"still running {grace} s after SIGTERM")
        await asyncio.sleep(0.05)
    return tally, long_tally, not_ready, time.perf_counter() - signalled
