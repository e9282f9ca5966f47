"""Server and client CPU per call on the large v2 problem (B=1, H=8, L=S=1024, d=64, no weights): gRPC
(a plain grpcio stub, causal and not) and REST binary (bench.v2's raw client), for one or more
running release servers, in alternation, 3 rounds of SECONDS each. CPU is read from
/proc/PID/stat around the calls, so it counts the server's work only, whatever the client costs;
the client's own CPU (this process, grpcio's threads included) is read beside it, which says how
much of a wall time is the client's.
With --weights, the calls are REST binary with the weights asked too (a 35.7 MB answer), not
causal and causal, and GRPC_PORT is not used.
Usage, from the repository root (the venv needs grpcio-tools):
  .venv-e2e/bin/python -m scripts.bench.server_cpu [--weights] SECONDS NAME,PID,HTTP_PORT,GRPC_PORT ...
"""
import os
import statistics
import sys
import time

from scripts.bench.grpc import grpc_call, stubs
from scripts.bench.v2 import problem, raw_call


def cpu_milliseconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")  # utime + stime, in clock ticks


def calls(http, grpc, arrays, weights, messages, services):
    """The calls to time against one server, by name."""
    if weights:
        both = ("output", "weights")
        return (("REST binary weights", raw_call(f"127.0.0.1:{http}", arrays, outputs=both)),
                ("REST binary weights causal", raw_call(f"127.0.0.1:{http}", arrays, parameters={"causal": True}, outputs=both)))
    return (("gRPC causal", grpc_call(f"127.0.0.1:{grpc}", arrays, True, messages, services)),
            ("gRPC none", grpc_call(f"127.0.0.1:{grpc}", arrays, False, messages, services)),
            ("REST binary none", raw_call(f"127.0.0.1:{http}", arrays)))


def main():
    arguments = sys.argv[1:]
    weights = arguments[0] == "--weights"
    seconds = float(arguments[1 if weights else 0])
    servers = [(name, int(pid), http, grpc) for name, pid, http, grpc in (a.split(",") for a in arguments[2 if weights else 1:])]
    messages, services = (None, None) if weights else stubs()
    arrays = problem()
    rows = {}
    for _ in range(3):
        for name, pid, http, grpc in servers:
            for call_name, call in calls(http, grpc, arrays, weights, messages, services):
                call()  # warm: the connection and the server's buffers
                cpu, client, start, count = cpu_milliseconds(pid), time.process_time(), time.time(), 0
                while time.time() - start < seconds:
                    call()
                    count += 1
                wall = (time.time() - start) * 1000 / count
                client = (time.process_time() - client) * 1000 / count
                rows.setdefault((name, call_name), []).append(((cpu_milliseconds(pid) - cpu) / count, client, wall))
    print("| server | call | server CPU ms/call | client CPU ms/call | wall ms/call |")
    print("|---|---|--:|--:|--:|")
    for (name, call_name), values in rows.items():
        print(f"| {name} | {call_name} | " + " | ".join(f"{statistics.median(v[i] for v in values):.1f}" for i in range(3)) + " |")
    print("\nmedians of 3 rounds")


if __name__ == "__main__":
    main()
