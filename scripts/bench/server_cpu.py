"""Server and client CPU per call on the large v2 problem (B=1, H=8, L=S=1024, d=64, no weights): gRPC
(a plain grpcio stub, causal and not) and REST binary (bench.v2's raw client), for one or more
running release servers, in alternation, 3 rounds of SECONDS each. CPU is read from
/proc/PID/stat around the calls, so it counts the server's work only, whatever the client costs;
the client's own CPU (this process, grpcio's threads included) is read beside it, which says how
much of a wall time is the client's.

Beside each call, the engine alone on the same problem (engine-bench --row, BENCH_WORKERS as
the servers' --workers): its wall time and its CPU time (BENCH_CLOCK=cpu). Their use: on a
machine of N cores no overlap of computing and transfer can bring a call's wall time under
(server CPU + client CPU) / N, so that floor over the engine's wall time is the least ratio
an end-to-end target can reach on this machine with this client. The last column takes the
server's work to be only the engine's and its own kernel time (system CPU: the socket copies and
loopback's TCP work, which any server pays for the same bytes), as if everything else it does
cost nothing: (engine CPU + server system CPU + client CPU) / N.
With --weights, the calls are REST binary with the weights asked too (a 35.7 MB answer), not
causal and causal, and GRPC_PORT is not used.
Usage, from the repository root (the venv needs grpcio-tools):
  env -u OPENBLAS_CORETYPE .venv-e2e/bin/python -m scripts.bench.server_cpu [--weights] SECONDS NAME,PID,HTTP_PORT,GRPC_PORT ...
(the servers started with env -u OPENBLAS_CORETYPE too, as engine-bench then runs)
"""
import os
import statistics
import sys
import time

from scripts import ROOT
from scripts.bench.grpc import grpc_call, stubs
from scripts.bench.v2 import engine_milliseconds, problem, raw_call

ENGINE_BENCH = os.path.join(ROOT, ".build", "release", "engine-bench")


def cpu_milliseconds(pid):
    """The process's (user + system, system) CPU time so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = 1000.0 / os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) * tick, int(fields[12]) * tick  # utime, stime: clock ticks


def calls(http, grpc, arrays, weights, messages, services):
    """The calls to time against one server: name, the engine's problem (masking, weights), call."""
    if weights:
        both = ("output", "weights")
        return (("REST binary weights", ("full", True), raw_call(f"127.0.0.1:{http}", arrays, outputs=both)),
                ("REST binary weights causal", ("causal", True),
                 raw_call(f"127.0.0.1:{http}", arrays, parameters={"causal": True}, outputs=both)))
    return (("gRPC causal", ("causal", False), grpc_call(f"127.0.0.1:{grpc}", arrays, True, messages, services)),
            ("gRPC none", ("full", False), grpc_call(f"127.0.0.1:{grpc}", arrays, False, messages, services)),
            ("REST binary none", ("full", False), raw_call(f"127.0.0.1:{http}", arrays)))


def main():
    arguments = sys.argv[1:]
    weights = arguments[0] == "--weights"
    seconds = float(arguments[1 if weights else 0])
    servers = [(name, int(pid), http, grpc) for name, pid, http, grpc in (a.split(",") for a in arguments[2 if weights else 1:])]
    messages, services = (None, None) if weights else stubs()
    arrays = problem()
    workers = int(os.environ.get("BENCH_WORKERS", os.cpu_count()))
    rows, problems, engines = {}, {}, {}
    for _ in range(3):
        for name, pid, http, grpc in servers:
            for call_name, engine_problem, call in calls(http, grpc, arrays, weights, messages, services):
                problems[call_name] = engine_problem
                call()  # warm: the connection and the server's buffers
                cpu, client, start, count = cpu_milliseconds(pid), time.process_time(), time.time(), 0
                while time.time() - start < seconds:
                    call()
                    count += 1
                wall = (time.time() - start) * 1000 / count
                client = (time.process_time() - client) * 1000 / count
                (total, system), (total0, system0) = cpu_milliseconds(pid), cpu
                rows.setdefault((name, call_name), []).append(((total - total0) / count, client, wall, (system - system0) / count))
        for masking, asks_weights in set(problems.values()):
            engines.setdefault((masking, asks_weights), []).append(
                tuple(engine_milliseconds(ENGINE_BENCH, workers, masking, asks_weights, clock) for clock in ("wall", "cpu")))
    cores = os.cpu_count()
    print(f"| server | call | server CPU ms/call (system) | client CPU ms/call | wall ms/call | engine wall ms | engine CPU ms "
          f"| floor (server + client CPU) / {cores} ms | wall / engine | floor / engine "
          f"| (engine + server system + client CPU) / {cores} / engine |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for (name, call_name), values in rows.items():
        server, client, wall, system = (statistics.median(v[i] for v in values) for i in range(4))
        engine_wall, engine_cpu = (statistics.median(v[i] for v in engines[problems[call_name]]) for i in range(2))
        floor = (server + client) / cores
        least = (engine_cpu + system + client) / cores
        print(f"| {name} | {call_name} | {server:.1f} ({system:.1f}) | {client:.1f} | {wall:.1f} | {engine_wall:.2f} "
              f"| {engine_cpu:.1f} | {floor:.1f} | {wall / engine_wall:.2f}x | {floor / engine_wall:.2f}x "
              f"| {least / engine_wall:.2f}x |")
    print(f"\nmedians of 3 rounds; the engine with BENCH_WORKERS={workers} on {cores} cores")


if __name__ == "__main__":
    main()
