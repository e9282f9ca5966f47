"""What the load test watches from outside the server: its memory, its file descriptors,
and how fast its probes answer.

The probes run in a process of their own: in the load generator's event loop, a JSON parse
or a NumPy check would delay the probe's own reading and be counted against the server.
"""
import json
import multiprocessing
import os
import time

from scripts.e2e.load.http1 import blocking_connection, blocking_get


def rss_bytes(pid):
    """Resident set size of `pid` from /proc/PID/status (VmRSS, in kB)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def process_state(pid):
    """The one-letter state from /proc/PID/status ('Z' once it exited and awaits its parent), or None."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("State:"):
                    return line.split()[1]
    except FileNotFoundError:
        return None
    return None


def settle(pid, target_fds, seconds=10):
    """Waits until the server holds at most `target_fds` descriptors (closing connections
    takes an event-loop turn); returns the last count seen."""
    deadline = time.monotonic() + seconds
    count = open_fds(pid)
    while count > target_fds and time.monotonic() < deadline:
        time.sleep(0.05)
        count = open_fds(pid)
    return count


def _watch(port, pid, period, stop, results):
    """Probe loop (in the child process): GET /health and GET /ready by turns every `period`
    seconds on two keep-alive connections, and the server's RSS at each turn.

    A probe is timed from just before its request is written to the last byte of its
    answer, so it includes this process's own wake-up once the answer has arrived. To keep
    that wake-up from waiting behind the load generator on a small machine (a kubelet runs
    apart from the load it probes), the process raises its scheduling priority when it may
    (as root: nice -10). It also records how late its own sleeps end: when that lateness
    is as large as a slow probe, the time went to the machine, not to the server."""
    try:
        os.nice(-10)
        raised = True
    except PermissionError:
        raised = False
    health, ready = blocking_connection(port), blocking_connection(port)
    samples = {"health": [], "ready": [], "rss": [], "admitted": [], "wake_late": [], "raised_priority": raised}
    while not stop.is_set():
        started = time.perf_counter()
        status, _, seconds = blocking_get(health, "/health")
        samples["health"].append((status, seconds))
        status, body, seconds = blocking_get(ready, "/ready")
        samples["ready"].append((status, seconds))
        if status == 200:
            samples["admitted"].append(json.loads(body)["admitted"])
        samples["rss"].append(rss_bytes(pid))
        pause = max(0.0, period - (time.perf_counter() - started))
        slept = time.perf_counter()
        time.sleep(pause)
        samples["wake_late"].append(time.perf_counter() - slept - pause)
    results.put(samples)


class Monitor:
    """Runs the probe loop in a child process between `start()` and `stop()`."""

    def __init__(self, port, pid, period=0.02):
        self.stop_event = multiprocessing.Event()
        self.results = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_watch, args=(port, pid, period, self.stop_event, self.results))

    def start(self):
        self.process.start()
        return self

    def stop(self):
        self.stop_event.set()
        samples = self.results.get(timeout=30)
        self.process.join(timeout=30)
        return samples
